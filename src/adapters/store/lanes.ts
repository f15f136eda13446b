// SQL for the lane records: config, approval issues, block versions, approvals and grants.
import type { RunResult } from "better-sqlite3";
import { and, eq, inArray, isNull, or, sql } from "drizzle-orm";
import type { BaseSQLiteDatabase } from "drizzle-orm/sqlite-core";
import type { ConfigLoad } from "../../core/config/load.ts";
import { configSchema, DEFAULT_CONFIG, type LanegateConfig } from "../../core/config/schema.ts";
import { type BlockApproval, type IssueFacts, issueFactsSchema } from "../../core/lanes/facts.ts";
import { ENDED_STATES, type IssueOutcome, type LaneOutcome } from "../../core/lanes/lifecycle.ts";
import type { Db } from "./db.ts";
import * as t from "./schema.ts";

/** A database or a transaction: every query here runs in either. */
export type Q = BaseSQLiteDatabase<"sync", RunResult, typeof t>;
export type GrantRow = typeof t.grants.$inferSelect;

export interface Trigger {
  deliveryId: string | null;
  event: string;
  actor: string | null;
}

export function transaction<T>(db: Db, fn: (q: Q) => T): T {
  return db.transaction((tx) => fn(tx), { behavior: "immediate" });
}

/** Records a config load; returns the previous status when it changed, for the audit log. */
export function recordConfig(q: Q, repo: string, installationId: number | null, load: ConfigLoad, now: Date) {
  const previous = q.select().from(t.repositories).where(eq(t.repositories.repo, repo)).get();
  const row = {
    repo,
    installationId: installationId ?? previous?.installationId ?? null,
    configStatus: load.status,
    configErrors: load.errors,
    // An unreadable config leaves the last known one in force rather than guessing.
    config:
      load.status === "unreadable" ? (previous?.config ?? null) : load.status === "ok" ? load.config : null,
    checkedAt: now.toISOString(),
  };
  q.insert(t.repositories).values(row).onConflictDoUpdate({ target: t.repositories.repo, set: row }).run();
  if (
    previous?.configStatus !== load.status ||
    JSON.stringify(previous?.configErrors) !== JSON.stringify(load.errors)
  ) {
    const detail = load.errors.length ? `: ${load.errors.join("; ")}` : "";
    appendAudit(q, {
      repo,
      deliveryId: null,
      event: "config",
      actor: null,
      subject: ".github/lanegate.yml",
      change: `${previous?.configStatus ?? "never loaded"} -> ${load.status}${detail}`,
      at: now.toISOString(),
    });
  }
  // Declared lanes change only when the config does; most syncs load the same config again.
  const unchanged =
    previous?.configStatus === load.status && JSON.stringify(previous.config) === JSON.stringify(row.config);
  if (load.status === "unreadable" || unchanged) return;
  q.delete(t.declaredLanes).where(eq(t.declaredLanes.repo, repo)).run();
  const lanes = load.status === "ok" ? Object.entries(load.config.lanes) : [];
  for (const [lane, { data_authority, ...flags }] of lanes) {
    q.insert(t.declaredLanes)
      .values({ repo, lane: lane.trim().toLowerCase(), dataAuthority: data_authority, flags })
      .run();
  }
}

/** The config in force for a repository: the last valid one, or the defaults. */
export function configFor(q: Q, repo: string): LanegateConfig {
  const row = q.select().from(t.repositories).where(eq(t.repositories.repo, repo)).get();
  const parsed = configSchema.safeParse(row?.config);
  return parsed.success ? parsed.data : DEFAULT_CONFIG;
}

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

export function recordApproval(
  q: Q,
  repo: string,
  number: number,
  approval: BlockApproval,
  via: string,
  deliveryId: string | null,
) {
  // The latest approval of a block version names its approver, whatever order deliveries came in.
  const row = { repo, number, ...approval, via, deliveryId };
  q.insert(t.blockApprovals)
    .values(row)
    .onConflictDoUpdate({
      target: [t.blockApprovals.repo, t.blockApprovals.number, t.blockApprovals.sha256],
      set: { approver: row.approver, approvedAt: row.approvedAt, via, deliveryId },
      setWhere: sql`excluded.approved_at > ${t.blockApprovals.approvedAt}`,
    })
    .run();
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
  const open = q
    .select()
    .from(t.approvalIssues)
    .where(and(eq(t.approvalIssues.repo, repo), eq(t.approvalIssues.presence, "open")))
    .all();
  const withOpenGrants = q
    .selectDistinct({ number: t.grants.issueNumber })
    .from(t.grants)
    .where(and(eq(t.grants.repo, repo), isNull(t.grants.endedAt)))
    .all()
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
  const rows = q
    .select()
    .from(t.approvalIssues)
    .where(and(eq(t.approvalIssues.repo, repo), eq(t.approvalIssues.number, number)))
    .all();
  return toStored(q, repo, rows)[0];
}

function toStored(q: Q, repo: string, rows: (typeof t.approvalIssues.$inferSelect)[]): StoredIssue[] {
  if (rows.length === 0) return [];
  const numbers = rows.map((r) => r.number);
  const approvals = q
    .select()
    .from(t.blockApprovals)
    .where(and(eq(t.blockApprovals.repo, repo), inArray(t.blockApprovals.number, numbers)))
    .all();
  return rows.map((r) => ({
    facts: issueFactsSchema.parse(r.facts),
    approvals: approvals
      .filter((a) => a.number === r.number)
      .map(({ sha256, approver, approvedAt }) => ({ sha256, approver, approvedAt })),
    statusCommentId: r.statusCommentId,
    statusCommentDigest: r.statusCommentDigest,
  }));
}

export function openGrants(q: Q, repo: string): GrantRow[] {
  return q
    .select()
    .from(t.grants)
    .where(and(eq(t.grants.repo, repo), isNull(t.grants.endedAt)))
    .all();
}

/**
 * Brings the grant rows in line with the derived outcomes (find, compare, then add, update or
 * end), auditing every change. Returns the issues whose rows changed.
 */
export function applyOutcomes(
  q: Q,
  repo: string,
  outcomes: IssueOutcome[],
  trigger: Trigger,
  now: Date,
): number[] {
  const at = now.toISOString();
  const changed = new Set<number>();
  const open = openGrants(q, repo);
  // Ended rows matter only for the issues being applied; the rest of the history stays on disk.
  const numbers = outcomes.map((o) => o.number);
  const everRows = q
    .select()
    .from(t.grants)
    .where(and(eq(t.grants.repo, repo), inArray(t.grants.issueNumber, numbers)))
    .all();
  const sameGrant = (row: GrantRow, l: LaneOutcome) =>
    row.lane === l.lane && row.blockSha === l.blockSha && row.labelEventId === l.labelEventId;
  const audit = (number: number, lane: string, change: string) => {
    changed.add(number);
    appendAudit(q, { repo, ...trigger, subject: `#${number} ${lane}`, change, at });
  };
  for (const issue of outcomes) {
    const rows = open.filter((r) => r.issueNumber === issue.number);
    for (const row of rows) {
      const next = issue.lanes.find((l) => sameGrant(row, l));
      if (next) continue;
      // A claim that never became a grant (pending, invalid, ...) is carried forward, not ended:
      // the history keeps grants, and a pending row per edit would only bury them.
      const successor = issue.lanes.find((l) => l.lane === row.lane && !rows.some((r) => sameGrant(r, l)));
      if (successor && !row.wasActive && !ENDED_STATES.includes(successor.state)) {
        q.update(t.grants)
          .set({ ...grantFields(successor), updatedAt: at })
          .where(eq(t.grants.id, row.id))
          .run();
        row.blockSha = successor.blockSha;
        row.labelEventId = successor.labelEventId;
        audit(issue.number, row.lane, `${row.state} -> ${successor.state}: ${successor.reason}`);
        row.state = successor.state;
        row.reason = successor.reason;
        continue;
      }
      const stillNamed = issue.lanes.some((l) => l.lane === row.lane);
      const reason = stillNamed
        ? "replaced by a newer version of the block or a new approval"
        : "no longer in the block";
      q.update(t.grants)
        .set({ state: "retired", reason, endedAt: at, endedBy: trigger.actor, updatedAt: at })
        .where(eq(t.grants.id, row.id))
        .run();
      audit(issue.number, row.lane, `${row.state} -> retired: ${reason}`);
    }
    for (const l of issue.lanes) {
      const ended = ENDED_STATES.includes(l.state);
      const row = rows.find((r) => sameGrant(r, l));
      const endedFields = ended ? { endedAt: at, endedBy: l.endedBy ?? trigger.actor } : {};
      if (row) {
        if (row.state === l.state && row.reason === l.reason) continue;
        q.update(t.grants)
          .set({ ...grantFields(l), updatedAt: at, ...endedFields })
          .where(eq(t.grants.id, row.id))
          .run();
        audit(issue.number, l.lane, `${row.state} -> ${l.state}: ${l.reason}`);
      } else if (
        !ended ||
        (l.state === "expired" && !everRows.some((r) => r.issueNumber === issue.number && sameGrant(r, l)))
      ) {
        // A retired outcome with no open row means the grant is over or never started: nothing
        // to end. An expiry first seen after the fact is still worth one row of history.
        q.insert(t.grants)
          .values({
            repo,
            lane: l.lane,
            issueNumber: issue.number,
            ...grantFields(l),
            createdAt: at,
            updatedAt: at,
            ...endedFields,
          })
          .run();
        audit(issue.number, l.lane, `new ${l.state}: ${l.reason}`);
      }
    }
  }
  return [...changed];
}

function grantFields(l: LaneOutcome) {
  return {
    blockSha: l.blockSha,
    labelEventId: l.labelEventId,
    policy: l.policy,
    expiresAt: l.expiresAt,
    approver: l.approver,
    approvedAt: l.approvedAt,
    state: l.state,
    reason: l.reason,
    // Set, never cleared: other states leave the column out, so an update keeps it.
    ...(l.state === "active" ? { wasActive: true } : {}),
  };
}

export function saveStatusComment(q: Q, repo: string, number: number, id: number, digest: string) {
  q.update(t.approvalIssues)
    .set({ statusCommentId: id, statusCommentDigest: digest })
    .where(and(eq(t.approvalIssues.repo, repo), eq(t.approvalIssues.number, number)))
    .run();
}

export function appendAudit(q: Q, entry: Omit<typeof t.auditLog.$inferInsert, "id">) {
  q.insert(t.auditLog).values(entry).run();
}

export function deliverySeen(q: Q, id: string): boolean {
  return q.select().from(t.deliveries).where(eq(t.deliveries.id, id)).get() !== undefined;
}

export function markDelivery(q: Q, id: string, event: string, repo: string | null, now: Date) {
  q.insert(t.deliveries)
    .values({ id, event, repo, appliedAt: now.toISOString() })
    .onConflictDoNothing()
    .run();
}

/** Grants whose expiry has passed but are not yet marked, for the sweep. */
export function reposWithExpiringGrants(q: Q, now: Date): string[] {
  return q
    .selectDistinct({ repo: t.grants.repo })
    .from(t.grants)
    .where(and(isNull(t.grants.endedAt), or(eq(t.grants.state, "active"), eq(t.grants.state, "suspended"))))
    .all()
    .map((r) => r.repo)
    .filter((repo) =>
      openGrants(q, repo).some((g) => g.expiresAt !== null && Date.parse(g.expiresAt) <= now.getTime()),
    );
}

export function recordDefaultBranch(q: Q, repo: string, branch: string) {
  q.update(t.repositories).set({ defaultBranch: branch }).where(eq(t.repositories.repo, repo)).run();
}

export function defaultBranchOf(q: Q, repo: string): string | null {
  return q.select().from(t.repositories).where(eq(t.repositories.repo, repo)).get()?.defaultBranch ?? null;
}

export function installationOf(q: Q, repo: string): number | null {
  return q.select().from(t.repositories).where(eq(t.repositories.repo, repo)).get()?.installationId ?? null;
}

export function hasRepository(q: Q, repo: string): boolean {
  return (
    q
      .select({ repo: t.repositories.repo })
      .from(t.repositories)
      .where(eq(t.repositories.repo, repo))
      .get() !== undefined
  );
}
