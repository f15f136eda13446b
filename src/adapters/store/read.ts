// SQL for the read models: what the HTTP routes and the CLI show. Read-only.
import { and, desc, eq, lt } from "drizzle-orm";
import { dataAuthoritySchema, type LanePolicy, lanePolicySchema } from "../../core/domain.ts";
import { type LaneView as CoreLaneView, viewLane } from "../../core/lanes/lane-view.ts";
import { first, type Q, tables } from "./db.ts";
import { inventoryView, operationEvidenceView } from "./evidence.ts";
import type * as s from "./schema.ts";

type GrantRow = typeof s.grants.$inferSelect;

/** A lane as the read models show it: the core's view, plus (v2) what the evidence says. */
export type LaneView = CoreLaneView & { inventory: Awaited<ReturnType<typeof inventoryView>> };

export async function laneViews(q: Q, repo: string): Promise<LaneView[]> {
  const t = tables(q);
  const declared = await q.select().from(t.declaredLanes).where(eq(t.declaredLanes.repo, repo));
  const rows = await q.select().from(t.grants).where(eq(t.grants.repo, repo)).orderBy(desc(t.grants.id));
  const names = new Set([...declared.map((d) => d.lane), ...rows.map((r) => r.lane)]);
  const views: LaneView[] = [];
  for (const lane of [...names].sort())
    views.push(
      await laneView(
        q,
        repo,
        lane,
        declared.find((d) => d.lane === lane),
        rows,
      ),
    );
  return views;
}

export async function oneLaneView(q: Q, repo: string, lane: string) {
  const t = tables(q);
  const declared = await first(
    q
      .select()
      .from(t.declaredLanes)
      .where(and(eq(t.declaredLanes.repo, repo), eq(t.declaredLanes.lane, lane))),
  );
  const rows = await q
    .select()
    .from(t.grants)
    .where(and(eq(t.grants.repo, repo), eq(t.grants.lane, lane)))
    .orderBy(desc(t.grants.id));
  const view = await laneView(q, repo, lane, declared, rows);
  const history = [];
  for (const r of rows)
    history.push({
      id: r.id,
      issue: r.issueNumber,
      url: await issueUrl(q, repo, r.issueNumber),
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
    });
  const operations = await q
    .select()
    .from(t.operations)
    .where(and(eq(t.operations.repo, repo), eq(t.operations.lane, lane)))
    .orderBy(desc(t.operations.id))
    .limit(50);
  return {
    ...view,
    history,
    operations: operations.map((op) => operationSummary(op)),
  };
}

function operationSummary(op: typeof s.operations.$inferSelect) {
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
export async function operationView(q: Q, repo: string, id: number) {
  const t = tables(q);
  const op = await first(
    q
      .select()
      .from(t.operations)
      .where(and(eq(t.operations.repo, repo), eq(t.operations.id, id))),
  );
  if (!op) return null;
  const decision = await first(q.select().from(t.decisions).where(eq(t.decisions.id, op.decisionId)));
  return {
    ...operationSummary(op),
    decision: decision ? decisionSummary(decision) : null,
    run: await runSummary(q, repo, op.runId),
    ...(await operationEvidenceView(q, repo, op.runId, op.attempt)),
  };
}

/** Every decision made for one run, newest last, with the operation it opened. */
export async function runView(q: Q, repo: string, runId: number) {
  const t = tables(q);
  const run = await runSummary(q, repo, runId);
  if (!run) return null;
  const decisions = await q
    .select()
    .from(t.decisions)
    .where(and(eq(t.decisions.repo, repo), eq(t.decisions.runId, runId)))
    .orderBy(t.decisions.id);
  const ops = await q
    .select()
    .from(t.operations)
    .where(and(eq(t.operations.repo, repo), eq(t.operations.runId, runId)));
  return { run, decisions: decisions.map(decisionSummary), operations: ops.map(operationSummary) };
}

/** Operations of a repository, newest first. */
export async function operationsList(q: Q, repo: string, limit: number) {
  const t = tables(q);
  const ops = await q
    .select()
    .from(t.operations)
    .where(eq(t.operations.repo, repo))
    .orderBy(desc(t.operations.id))
    .limit(limit);
  return ops.map(operationSummary);
}

function decisionSummary(d: typeof s.decisions.$inferSelect) {
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

async function runSummary(q: Q, repo: string, runId: number) {
  const t = tables(q);
  const run = await first(
    q
      .select()
      .from(t.workflowRuns)
      .where(and(eq(t.workflowRuns.repo, repo), eq(t.workflowRuns.runId, runId))),
  );
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

async function laneView(
  q: Q,
  repo: string,
  lane: string,
  declared: typeof s.declaredLanes.$inferSelect | undefined,
  allRows: GrantRow[],
): Promise<LaneView> {
  const rows = [];
  for (const r of allRows.filter((g) => g.lane === lane))
    rows.push({
      ...r,
      url: await issueUrl(q, repo, r.issueNumber),
      policy: lanePolicy(r.policy),
      approvals: approvalsOf(r),
    });
  const authority = declared ? dataAuthoritySchema.parse(declared.dataAuthority) : null;
  return { ...viewLane(lane, authority, rows), inventory: await inventoryView(q, repo, lane) };
}

/** The policy a grant row holds, read back through the block's own schema. */
function lanePolicy(raw: unknown): LanePolicy | null {
  const parsed = lanePolicySchema.safeParse(raw);
  return parsed.success ? parsed.data : null;
}

async function issueUrl(q: Q, repo: string, number: number): Promise<string | null> {
  const t = tables(q);
  const row = await first(
    q
      .select({ url: t.approvalIssues.url })
      .from(t.approvalIssues)
      .where(and(eq(t.approvalIssues.repo, repo), eq(t.approvalIssues.number, number))),
  );
  return row?.url ?? null;
}

export async function repositoryView(q: Q, repo: string) {
  const t = tables(q);
  const row = await first(q.select().from(t.repositories).where(eq(t.repositories.repo, repo)));
  return row ? { status: row.configStatus, errors: row.configErrors, checked_at: row.checkedAt } : null;
}

/** The audit log, newest first, a page at a time by id cursor. */
export async function auditPage(q: Q, repo: string, limit: number, before?: number) {
  const t = tables(q);
  const where = before
    ? and(eq(t.auditLog.repo, repo), lt(t.auditLog.id, before))
    : eq(t.auditLog.repo, repo);
  const entries = await q.select().from(t.auditLog).where(where).orderBy(desc(t.auditLog.id)).limit(limit);
  const last = entries.at(-1);
  return { entries, next_before: entries.length === limit && last ? last.id : null };
}

export async function knownRepositories(q: Q): Promise<string[]> {
  const t = tables(q);
  const rows = await q
    .select({ repo: t.repositories.repo })
    .from(t.repositories)
    .orderBy(t.repositories.repo);
  return rows.map((r) => r.repo);
}
