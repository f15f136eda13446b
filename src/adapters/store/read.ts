// SQL for the read models: what the HTTP routes and the CLI show. Read-only.
import { and, desc, eq, lt } from "drizzle-orm";
import { dataAuthoritySchema, type LanePolicy, lanePolicySchema } from "../../core/domain.ts";
import { type LaneView as CoreLaneView, viewLane } from "../../core/lanes/lane-view.ts";
import type { Q } from "./db.ts";
import { inventoryView, operationEvidenceView } from "./evidence.ts";
import * as t from "./schema.ts";

type GrantRow = typeof t.grants.$inferSelect;

/** A lane as the read models show it: the core's view, plus (v2) what the evidence says. */
export type LaneView = CoreLaneView & { inventory: ReturnType<typeof inventoryView> };

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
      approvals: approvalsOf(r),
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

/** The approvers a grant needs and who counted, once the lifecycle counted them. */
function approvalsOf(r: GrantRow): { required: number; by: string[] } | null {
  return r.approvalsRequired !== null && r.approvedBy !== null
    ? { required: r.approvalsRequired, by: r.approvedBy }
    : null;
}

function laneView(
  q: Q,
  repo: string,
  lane: string,
  declared: typeof t.declaredLanes.$inferSelect | undefined,
  allRows: GrantRow[],
): LaneView {
  const rows = allRows
    .filter((r) => r.lane === lane)
    .map((r) => ({
      ...r,
      url: issueUrl(q, repo, r.issueNumber),
      policy: lanePolicy(r.policy),
      approvals: approvalsOf(r),
    }));
  const authority = declared ? dataAuthoritySchema.parse(declared.dataAuthority) : null;
  return { ...viewLane(lane, authority, rows), inventory: inventoryView(q, repo, lane) };
}

/** The policy a grant row holds, read back through the block's own schema. */
function lanePolicy(raw: unknown): LanePolicy | null {
  const parsed = lanePolicySchema.safeParse(raw);
  return parsed.success ? parsed.data : null;
}

function issueUrl(q: Q, repo: string, number: number): string | null {
  const row = q
    .select({ url: t.approvalIssues.url })
    .from(t.approvalIssues)
    .where(and(eq(t.approvalIssues.repo, repo), eq(t.approvalIssues.number, number)))
    .get();
  return row?.url ?? null;
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
