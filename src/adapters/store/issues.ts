// SQL for approval issues: the facts last read from GitHub, block versions and approvals.
import { and, eq, inArray, isNull, sql } from "drizzle-orm";
import {
  approvalViaSchema,
  type BlockApproval,
  type IssueFacts,
  issueFactsSchema,
} from "../../core/lanes/facts.ts";
import { preparedOn, type Q } from "./db.ts";
import * as t from "./schema.ts";

// Every issues delivery asks whether the issue is tracked, reads it and the live issues.
const prepared = preparedOn((q) => {
  const issue = and(
    eq(t.approvalIssues.repo, sql.placeholder("repo")),
    eq(t.approvalIssues.number, sql.placeholder("number")),
  );
  return {
    issue: q.select().from(t.approvalIssues).where(issue).prepare(),
    tracked: q.select({ number: t.approvalIssues.number }).from(t.approvalIssues).where(issue).prepare(),
    open: q
      .select()
      .from(t.approvalIssues)
      .where(and(eq(t.approvalIssues.repo, sql.placeholder("repo")), eq(t.approvalIssues.presence, "open")))
      .prepare(),
    withOpenGrants: q
      .selectDistinct({ number: t.grants.issueNumber })
      .from(t.grants)
      .where(and(eq(t.grants.repo, sql.placeholder("repo")), isNull(t.grants.endedAt)))
      .prepare(),
  };
});

export function saveIssueFacts(q: Q, repo: string, facts: IssueFacts, blockSha: string | null, now: Date) {
  const values = {
    repo,
    number: facts.number,
    url: facts.url,
    presence: facts.presence,
    facts,
    blockSha,
    lastError: null,
    syncedAt: now.toISOString(),
  };
  q.insert(t.approvalIssues)
    .values(values)
    .onConflictDoUpdate({ target: [t.approvalIssues.repo, t.approvalIssues.number], set: values })
    .run();
}

export function recordIssueError(q: Q, repo: string, number: number, error: string) {
  q.update(t.approvalIssues)
    .set({ lastError: error })
    .where(and(eq(t.approvalIssues.repo, repo), eq(t.approvalIssues.number, number)))
    .run();
}

export function recordBlockVersion(
  q: Q,
  repo: string,
  number: number,
  sha256: string,
  text: string,
  now: Date,
) {
  q.insert(t.blockVersions)
    .values({ repo, number, sha256, text, firstSeenAt: now.toISOString() })
    .onConflictDoNothing()
    .run();
}

/**
 * One row per person and block version. A person who approves a version again keeps their first
 * approval; one whose approval was withdrawn (an edited or deleted comment) approves afresh.
 */
export function recordApproval(
  q: Q,
  repo: string,
  number: number,
  approval: BlockApproval,
  deliveryId: string | null,
  commentId: number | null,
) {
  const row = { repo, number, ...approval, deliveryId, commentId, withdrawnAt: null };
  q.insert(t.blockApprovals)
    .values(row)
    .onConflictDoUpdate({
      target: [
        t.blockApprovals.repo,
        t.blockApprovals.number,
        t.blockApprovals.sha256,
        t.blockApprovals.approver,
      ],
      set: { via: row.via, approvedAt: row.approvedAt, deliveryId, commentId, withdrawnAt: null },
      setWhere: sql`${t.blockApprovals.withdrawnAt} is not null`,
    })
    .run();
}

/** The approval a comment made, while it counts. */
function standingCommentApproval(repo: string, number: number, commentId: number) {
  return and(
    eq(t.blockApprovals.repo, repo),
    eq(t.blockApprovals.number, number),
    eq(t.blockApprovals.commentId, commentId),
    isNull(t.blockApprovals.withdrawnAt),
  );
}

/** Withdraws the approval a comment made; returns who approved, or null when the comment approved nothing. */
export function withdrawCommentApproval(
  q: Q,
  repo: string,
  number: number,
  commentId: number,
  at: string,
): { approver: string; sha256: string } | null {
  const [row] = q
    .update(t.blockApprovals)
    .set({ withdrawnAt: at })
    .where(standingCommentApproval(repo, number, commentId))
    .returning({ approver: t.blockApprovals.approver, sha256: t.blockApprovals.sha256 })
    .all();
  return row ?? null;
}

/** Whether a comment holds a standing approval: only then do its edits and deletion matter. */
export function isApprovalComment(q: Q, repo: string, number: number, commentId: number): boolean {
  const row = q
    .select({ approver: t.blockApprovals.approver })
    .from(t.blockApprovals)
    .where(standingCommentApproval(repo, number, commentId))
    .get();
  return row !== undefined;
}

export interface StoredIssue {
  facts: IssueFacts;
  approvals: BlockApproval[];
  statusCommentId: number | null;
  statusCommentDigest: string | null;
}

/** Issues whose derivation can still change: open ones, and any with a grant not yet ended. */
export function liveIssues(q: Q, repo: string): StoredIssue[] {
  // Two indexed reads rather than one OR: both sets stay small however long the history grows.
  const queries = prepared(q);
  const open = queries.open.all({ repo });
  const withOpenGrants = queries.withOpenGrants
    .all({ repo })
    .map((r) => r.number)
    .filter((n) => !open.some((o) => o.number === n));
  const closed = withOpenGrants.length
    ? q
        .select()
        .from(t.approvalIssues)
        .where(and(eq(t.approvalIssues.repo, repo), inArray(t.approvalIssues.number, withOpenGrants)))
        .all()
    : [];
  return toStored(
    q,
    repo,
    [...open, ...closed].sort((a, b) => a.number - b.number),
  );
}

export function storedIssue(q: Q, repo: string, number: number): StoredIssue | undefined {
  const rows = prepared(q).issue.all({ repo, number });
  return toStored(q, repo, rows)[0];
}

function toStored(q: Q, repo: string, rows: (typeof t.approvalIssues.$inferSelect)[]): StoredIssue[] {
  if (rows.length === 0) return [];
  const numbers = rows.map((r) => r.number);
  const approvals = q
    .select()
    .from(t.blockApprovals)
    .where(
      and(
        eq(t.blockApprovals.repo, repo),
        inArray(t.blockApprovals.number, numbers),
        isNull(t.blockApprovals.withdrawnAt),
      ),
    )
    .all();
  return rows.map((r) => ({
    facts: issueFactsSchema.parse(r.facts),
    approvals: approvals
      .filter((a) => a.number === r.number)
      .map(({ sha256, approver, approvedAt, via }) => ({
        sha256,
        approver,
        approvedAt,
        via: approvalViaSchema.parse(via),
      })),
    statusCommentId: r.statusCommentId,
    statusCommentDigest: r.statusCommentDigest,
  }));
}

export function saveStatusComment(q: Q, repo: string, number: number, id: number, digest: string) {
  q.update(t.approvalIssues)
    .set({ statusCommentId: id, statusCommentDigest: digest })
    .where(and(eq(t.approvalIssues.repo, repo), eq(t.approvalIssues.number, number)))
    .run();
}

/** Whether lanegate keeps records of this issue: any delivery about it may change them. */
export function isTracked(q: Q, repo: string, number: number): boolean {
  return prepared(q).tracked.get({ repo, number }) !== undefined;
}
