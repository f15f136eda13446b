// SQL for approval issues: the facts last read from GitHub, block versions and approvals.
import { and, eq, isNull, sql } from "drizzle-orm";
import {
  approvalViaSchema,
  type BlockApproval,
  factsFromStore,
  type IssueFacts,
} from "../../core/lanes/facts.ts";
import { first, type Q, tables } from "./db.ts";
import { inList, insertPlaceholders, insertValues, listValue, param, preparedOn } from "./prepared.ts";
import type * as s from "./schema.ts";

// Every issues delivery asks whether the issue is tracked, reads it and the live issues.
const prepared = preparedOn((q, t) => {
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
    issues: q
      .select()
      .from(t.approvalIssues)
      .where(
        and(
          eq(t.approvalIssues.repo, sql.placeholder("repo")),
          inList(q, t.approvalIssues.number, "numbers"),
        ),
      )
      .prepare(),
    approvals: q
      .select()
      .from(t.blockApprovals)
      .where(
        and(
          eq(t.blockApprovals.repo, sql.placeholder("repo")),
          inList(q, t.blockApprovals.number, "numbers"),
          isNull(t.blockApprovals.withdrawnAt),
        ),
      )
      // The primary key's order, which SQLite gave without asking; PostgreSQL promises none.
      .orderBy(t.blockApprovals.number, t.blockApprovals.sha256, t.blockApprovals.approver)
      .prepare(),
    // The facts of one read from GitHub replace the last ones; nothing else of the row changes.
    saveFacts: q
      .insert(t.approvalIssues)
      .values({
        repo: sql.placeholder("repo"),
        number: sql.placeholder("number"),
        url: sql.placeholder("url"),
        presence: sql.placeholder("presence"),
        facts: sql.placeholder("facts"),
        blockSha: sql.placeholder("blockSha"),
        lastError: null,
        syncedAt: sql.placeholder("syncedAt"),
      })
      .onConflictDoUpdate({
        target: [t.approvalIssues.repo, t.approvalIssues.number],
        set: {
          url: sql`excluded.url`,
          presence: sql`excluded.presence`,
          facts: sql`excluded.facts`,
          blockSha: sql`excluded.block_sha`,
          lastError: null,
          syncedAt: sql`excluded.synced_at`,
        },
      })
      .prepare(),
    blockVersion: q
      .insert(t.blockVersions)
      .values({
        repo: sql.placeholder("repo"),
        number: sql.placeholder("number"),
        sha256: sql.placeholder("sha256"),
        text: sql.placeholder("text"),
        firstSeenAt: sql.placeholder("at"),
      })
      .onConflictDoNothing()
      .prepare(),
    // One row per person and block version (see `recordApproval`).
    approve: q
      .insert(t.blockApprovals)
      .values(insertPlaceholders(t.blockApprovals))
      .onConflictDoUpdate({
        target: [
          t.blockApprovals.repo,
          t.blockApprovals.number,
          t.blockApprovals.sha256,
          t.blockApprovals.approver,
        ],
        set: {
          via: sql`excluded.via`,
          approvedAt: sql`excluded.approved_at`,
          deliveryId: sql`excluded.delivery_id`,
          commentId: sql`excluded.comment_id`,
          withdrawnAt: null,
        },
        setWhere: sql`${t.blockApprovals.withdrawnAt} is not null`,
      })
      .prepare(),
    statusComment: q
      .update(t.approvalIssues)
      .set({ statusCommentId: param("id"), statusCommentDigest: param("digest") })
      .where(issue)
      .prepare(),
  };
});

export async function saveIssueFacts(
  q: Q,
  repo: string,
  facts: IssueFacts,
  blockSha: string | null,
  now: Date,
) {
  await prepared(q).saveFacts.execute({
    repo,
    number: facts.number,
    url: facts.url,
    presence: facts.presence,
    facts,
    blockSha,
    syncedAt: now.toISOString(),
  });
}

export async function recordIssueError(q: Q, repo: string, number: number, error: string) {
  const t = tables(q);
  await q
    .update(t.approvalIssues)
    .set({ lastError: error })
    .where(and(eq(t.approvalIssues.repo, repo), eq(t.approvalIssues.number, number)));
}

export async function recordBlockVersion(
  q: Q,
  repo: string,
  number: number,
  sha256: string,
  text: string,
  now: Date,
) {
  await prepared(q).blockVersion.execute({ repo, number, sha256, text, at: now.toISOString() });
}

/**
 * One row per person and block version. A person who approves a version again keeps their first
 * approval; one whose approval was withdrawn (an edited or deleted comment) approves afresh.
 */
export async function recordApproval(
  q: Q,
  repo: string,
  number: number,
  approval: BlockApproval,
  deliveryId: string | null,
  commentId: number | null,
) {
  const row = { repo, number, ...approval, deliveryId, commentId, withdrawnAt: null };
  await prepared(q).approve.execute(insertValues(tables(q).blockApprovals, row));
}

/** The approval a comment made, while it counts. */
function standingCommentApproval(t: typeof s, repo: string, number: number, commentId: number) {
  return and(
    eq(t.blockApprovals.repo, repo),
    eq(t.blockApprovals.number, number),
    eq(t.blockApprovals.commentId, commentId),
    isNull(t.blockApprovals.withdrawnAt),
  );
}

/** Withdraws the approval a comment made; returns who approved, or null when the comment approved nothing. */
export async function withdrawCommentApproval(
  q: Q,
  repo: string,
  number: number,
  commentId: number,
  at: string,
): Promise<{ approver: string; sha256: string } | null> {
  const t = tables(q);
  const row = await first(
    q
      .update(t.blockApprovals)
      .set({ withdrawnAt: at })
      .where(standingCommentApproval(t, repo, number, commentId))
      .returning({ approver: t.blockApprovals.approver, sha256: t.blockApprovals.sha256 }),
  );
  return row ?? null;
}

/** Whether a comment holds a standing approval: only then do its edits and deletion matter. */
export async function isApprovalComment(
  q: Q,
  repo: string,
  number: number,
  commentId: number,
): Promise<boolean> {
  const t = tables(q);
  const row = await first(
    q
      .select({ approver: t.blockApprovals.approver })
      .from(t.blockApprovals)
      .where(standingCommentApproval(t, repo, number, commentId)),
  );
  return row !== undefined;
}

export interface StoredIssue {
  facts: IssueFacts;
  approvals: BlockApproval[];
  statusCommentId: number | null;
  statusCommentDigest: string | null;
}

/** Issues whose derivation can still change: open ones, and any with a grant not yet ended. */
export async function liveIssues(q: Q, repo: string): Promise<StoredIssue[]> {
  // Two indexed reads rather than one OR: both sets stay small however long the history grows.
  const queries = prepared(q);
  const open = await queries.open.execute({ repo });
  const withOpenGrants = (await queries.withOpenGrants.execute({ repo }))
    .map((r) => r.number)
    .filter((n) => !open.some((o) => o.number === n));
  const closed = withOpenGrants.length
    ? await queries.issues.execute({ repo, numbers: listValue(q, withOpenGrants) })
    : [];
  return toStored(
    q,
    repo,
    [...open, ...closed].sort((a, b) => a.number - b.number),
  );
}

export async function storedIssue(q: Q, repo: string, number: number): Promise<StoredIssue | undefined> {
  const rows = await prepared(q).issue.execute({ repo, number });
  return (await toStored(q, repo, rows))[0];
}

async function toStored(
  q: Q,
  repo: string,
  rows: (typeof s.approvalIssues.$inferSelect)[],
): Promise<StoredIssue[]> {
  if (rows.length === 0) return [];
  const numbers = listValue(
    q,
    rows.map((r) => r.number),
  );
  const approvals = await prepared(q).approvals.execute({ repo, numbers });
  return rows.map((r) => ({
    facts: factsFromStore(r.facts),
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

export async function saveStatusComment(q: Q, repo: string, number: number, id: number, digest: string) {
  await prepared(q).statusComment.execute({ repo, number, id, digest });
}

/** Whether lanegate keeps records of this issue: any delivery about it may change them. */
export async function isTracked(q: Q, repo: string, number: number): Promise<boolean> {
  return (await first(prepared(q).tracked.execute({ repo, number }))) !== undefined;
}
