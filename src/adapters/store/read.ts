// SQL for the read models: what the HTTP routes and the CLI show. Read-only.
import { and, desc, eq, lt } from "drizzle-orm";
import type { DataAuthority, LanePolicy, LaneState } from "../../core/domain.ts";
import type { Q } from "./db.ts";
import { inventoryView, operationEvidenceView } from "./evidence.ts";
import * as t from "./schema.ts";

type GrantRow = typeof t.grants.$inferSelect;

export interface LaneView {
  lane: string;
  data_authority: DataAuthority;
  allowed_rebuild_sources: string[];
  upstream_source: string | null;
  state: LaneState;
  reason: string;
  grant: {
    issue: number;
    url: string;
    approver: string | null;
    approved_at: string | null;
    expires_at: string | null;
    block_sha256: string | null;
  } | null;
  /** (v2) What the evidence of the lane's runs says: its state, current deployment and last bootstrap. */
  inventory: ReturnType<typeof inventoryView>;
  /** Where each part of the answer comes from: the reviewed config, an approval issue, or nowhere. */
  from: Record<
    "data_authority" | "allowed_rebuild_sources" | "expires_at" | "approval_issue",
    "config" | "issue" | "none"
  >;
}

// Of a lane's open rows, the one that says most about it.
const PRECEDENCE: LaneState[] = ["active", "suspended", "conflict", "pending", "invalid"];

export function laneViews(q: Q, repo: string): LaneView[] {
  const declared = q.select().from(t.declaredLanes).where(eq(t.declaredLanes.repo, repo)).all();
  const rows = q.select().from(t.grants).where(eq(t.grants.repo, repo)).orderBy(desc(t.grants.id)).all();
  const names = new Set([...declared.map((d) => d.lane), ...rows.map((r) => r.lane)]);
  return [...names].sort().map((lane) =>
    laneView(
      q,
      repo,
      lane,
      declared.find((d) => d.lane === lane),
      rows,
    ),
  );
}

export function oneLaneView(q: Q, repo: string, lane: string) {
  const declared = q
    .select()
    .from(t.declaredLanes)
    .where(and(eq(t.declaredLanes.repo, repo), eq(t.declaredLanes.lane, lane)))
    .get();
  const rows = q
    .select()
    .from(t.grants)
    .where(and(eq(t.grants.repo, repo), eq(t.grants.lane, lane)))
    .orderBy(desc(t.grants.id))
    .all();
  return {
    ...laneView(q, repo, lane, declared, rows),
    history: rows.map((r) => ({
      id: r.id,
      issue: r.issueNumber,
      url: issueUrl(q, repo, r.issueNumber),
      state: r.state,
      reason: r.reason,
      approver: r.approver,
      approved_at: r.approvedAt,
      block_sha256: r.blockSha,
      expires_at: r.expiresAt,
      policy: r.policy,
      started_at: r.createdAt,
      ended_at: r.endedAt,
      ended_by: r.endedBy,
    })),
    operations: q
      .select()
      .from(t.operations)
      .where(and(eq(t.operations.repo, repo), eq(t.operations.lane, lane)))
      .orderBy(desc(t.operations.id))
      .limit(50)
      .all()
      .map((op) => operationSummary(op)),
  };
}

function operationSummary(op: typeof t.operations.$inferSelect) {
  return {
    id: op.id,
    lane: op.lane,
    source: op.source,
    state: op.state,
    run_id: op.runId,
    run_attempt: op.attempt,
    approval_issue: op.issueNumber,
    block_sha256: op.blockSha,
    outcome: op.conclusion,
    started_at: op.startedAt,
    lease_expires_at: op.leaseExpiresAt,
    ended_at: op.endedAt,
    ended_by: op.endedBy,
  };
}

/** One operation: the request, the decision with every check, the run, and the outcome. */
export function operationView(q: Q, repo: string, id: number) {
  const op = q
    .select()
    .from(t.operations)
    .where(and(eq(t.operations.repo, repo), eq(t.operations.id, id)))
    .get();
  if (!op) return null;
  const decision = q.select().from(t.decisions).where(eq(t.decisions.id, op.decisionId)).get();
  return {
    ...operationSummary(op),
    decision: decision ? decisionSummary(decision) : null,
    run: runSummary(q, repo, op.runId),
    ...operationEvidenceView(q, repo, op.runId, op.attempt),
  };
}

/** Every decision made for one run, newest last, with the operation it opened. */
export function runView(q: Q, repo: string, runId: number) {
  const run = runSummary(q, repo, runId);
  if (!run) return null;
  const decisions = q
    .select()
    .from(t.decisions)
    .where(and(eq(t.decisions.repo, repo), eq(t.decisions.runId, runId)))
    .orderBy(t.decisions.id)
    .all();
  const ops = q
    .select()
    .from(t.operations)
    .where(and(eq(t.operations.repo, repo), eq(t.operations.runId, runId)))
    .all();
  return { run, decisions: decisions.map(decisionSummary), operations: ops.map(operationSummary) };
}

/** Operations of a repository, newest first. */
export function operationsList(q: Q, repo: string, limit: number) {
  return q
    .select()
    .from(t.operations)
    .where(eq(t.operations.repo, repo))
    .orderBy(desc(t.operations.id))
    .limit(limit)
    .all()
    .map(operationSummary);
}

function decisionSummary(d: typeof t.decisions.$inferSelect) {
  return {
    id: d.id,
    run_attempt: d.attempt,
    lane: d.lane,
    allowed: d.allowed,
    request: d.request,
    checks: d.checks,
    approval_issue: d.issueNumber,
    block_sha256: d.blockSha,
    decided_at: d.decidedAt,
    check_run_id: d.checkRunId,
    check_written_at: d.checkWrittenAt,
    write_error: d.writeError,
  };
}

function runSummary(q: Q, repo: string, runId: number) {
  const run = q
    .select()
    .from(t.workflowRuns)
    .where(and(eq(t.workflowRuns.repo, repo), eq(t.workflowRuns.runId, runId)))
    .get();
  if (!run) return null;
  return {
    id: run.runId,
    attempt: run.attempt,
    workflow: run.workflowPath,
    event: run.event,
    branch: run.headBranch,
    head_sha: run.headSha,
    actor: run.actor,
    title: run.displayTitle,
    url: run.htmlUrl,
    status: run.status,
    conclusion: run.conclusion,
  };
}

function laneView(
  q: Q,
  repo: string,
  lane: string,
  declared: typeof t.declaredLanes.$inferSelect | undefined,
  allRows: GrantRow[],
): LaneView {
  const rows = allRows.filter((r) => r.lane === lane);
  const open = rows.filter((r) => r.endedAt === null);
  const row =
    PRECEDENCE.map((s) => open.find((r) => r.state === s)).find((r) => r !== undefined) ?? open[0] ?? rows[0];
  const policy = (row?.policy ?? null) as LanePolicy | null;
  const fromIssue = row !== undefined && row.endedAt === null;
  const authority: DataAuthority =
    policy && fromIssue ? policy.data_authority : ((declared?.dataAuthority ?? "unknown") as DataAuthority);
  return {
    lane,
    data_authority: authority,
    allowed_rebuild_sources: fromIssue && policy ? policy.allowed_rebuild_sources : [],
    upstream_source: fromIssue && policy ? policy.upstream_source : null,
    state: row ? (row.state as LaneState) : declared ? "pending" : "unknown",
    reason: row
      ? row.reason
      : declared
        ? "declared in .github/lanegate.yml; no approval issue grants it"
        : "no approval issue or config names this lane",
    grant: row
      ? {
          issue: row.issueNumber,
          url: issueUrl(q, repo, row.issueNumber),
          approver: row.approver,
          approved_at: row.approvedAt,
          expires_at: row.expiresAt,
          block_sha256: row.blockSha,
        }
      : null,
    inventory: inventoryView(q, repo, lane),
    from: {
      data_authority: policy && fromIssue ? "issue" : declared ? "config" : "none",
      allowed_rebuild_sources: fromIssue && policy ? "issue" : "none",
      expires_at: fromIssue && row?.expiresAt ? "issue" : "none",
      approval_issue: row ? "issue" : "none",
    },
  };
}

function issueUrl(q: Q, repo: string, number: number): string {
  const row = q
    .select({ url: t.approvalIssues.url })
    .from(t.approvalIssues)
    .where(and(eq(t.approvalIssues.repo, repo), eq(t.approvalIssues.number, number)))
    .get();
  return row?.url ?? `https://github.com/${repo}/issues/${number}`;
}

export function repositoryView(q: Q, repo: string) {
  const row = q.select().from(t.repositories).where(eq(t.repositories.repo, repo)).get();
  return row ? { status: row.configStatus, errors: row.configErrors, checked_at: row.checkedAt } : null;
}

/** The audit log, newest first, a page at a time by id cursor. */
export function auditPage(q: Q, repo: string, limit: number, before?: number) {
  const where = before
    ? and(eq(t.auditLog.repo, repo), lt(t.auditLog.id, before))
    : eq(t.auditLog.repo, repo);
  const entries = q.select().from(t.auditLog).where(where).orderBy(desc(t.auditLog.id)).limit(limit).all();
  const last = entries.at(-1);
  return { entries, next_before: entries.length === limit && last ? last.id : null };
}

export function knownRepositories(q: Q): string[] {
  return q
    .select({ repo: t.repositories.repo })
    .from(t.repositories)
    .all()
    .map((r) => r.repo);
}
