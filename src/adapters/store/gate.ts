// SQL for the gate: dispatches, runs, decisions, operations, protection requests.
import { and, desc, eq, inArray, isNull, like, lt, sql } from "drizzle-orm";
import { type LanePolicy, parseLaneId } from "../../core/domain.ts";
import type { Check, GrantFact, ProofRun } from "../../core/gate/decision.ts";
import type { DispatchCandidate } from "../../core/gate/join.ts";
import { workflowFile } from "../../core/gate/request.ts";
import type { Q } from "./lanes.ts";
import * as t from "./schema.ts";

export type RunRow = typeof t.workflowRuns.$inferSelect;
export type DecisionRow = typeof t.decisions.$inferSelect;
export type OperationRow = typeof t.operations.$inferSelect;

/** Records a dispatch; null when this delivery was already recorded. */
export function recordDispatch(q: Q, d: Omit<typeof t.dispatches.$inferInsert, "id">): number | null {
  const row = q.insert(t.dispatches).values(d).onConflictDoNothing().returning({ id: t.dispatches.id }).get();
  return row?.id ?? null;
}

export function unclaimedDispatches(q: Q, repo: string): DispatchCandidate[] {
  return q
    .select()
    .from(t.dispatches)
    .where(and(eq(t.dispatches.repo, repo), isNull(t.dispatches.runId), isNull(t.dispatches.expiredAt)))
    .all()
    .map((d) => ({ ...d, workflowFile: workflowFile(d.workflowPath) }));
}

export function dispatchById(q: Q, id: number) {
  return q.select().from(t.dispatches).where(eq(t.dispatches.id, id)).get();
}

/** Keeps the newest attempt and status; never forgets a join already made. */
export function upsertRun(q: Q, run: Omit<RunRow, "dispatchId" | "joinProblem">): RunRow {
  const existing = getRun(q, run.repo, run.runId);
  if (!existing) {
    q.insert(t.workflowRuns).values(run).run();
  } else if (
    run.attempt > existing.attempt ||
    (run.attempt === existing.attempt && run.updatedAt >= existing.updatedAt)
  ) {
    q.update(t.workflowRuns)
      .set({
        attempt: run.attempt,
        status: run.status,
        conclusion: run.conclusion,
        updatedAt: run.updatedAt,
        headSha: run.headSha,
      })
      .where(and(eq(t.workflowRuns.repo, run.repo), eq(t.workflowRuns.runId, run.runId)))
      .run();
  }
  return getRun(q, run.repo, run.runId) as RunRow;
}

export function getRun(q: Q, repo: string, runId: number): RunRow | undefined {
  return q
    .select()
    .from(t.workflowRuns)
    .where(and(eq(t.workflowRuns.repo, repo), eq(t.workflowRuns.runId, runId)))
    .get();
}

/** Runs still waiting for their dispatch: not joined, not finished, and not already decided. */
export function unjoinedRuns(q: Q, repo: string): RunRow[] {
  return q
    .select()
    .from(t.workflowRuns)
    .where(
      and(
        eq(t.workflowRuns.repo, repo),
        isNull(t.workflowRuns.dispatchId),
        isNull(t.workflowRuns.joinProblem),
        sql`${t.workflowRuns.status} != 'completed'`,
        sql`not exists (select 1 from ${t.decisions} d where d.repo = ${t.workflowRuns.repo} and d.run_id = ${t.workflowRuns.runId})`,
      ),
    )
    .all();
}

export function setRunStatus(q: Q, repo: string, runId: number, status: string, conclusion: string | null) {
  q.update(t.workflowRuns)
    .set({ status, conclusion })
    .where(and(eq(t.workflowRuns.repo, repo), eq(t.workflowRuns.runId, runId)))
    .run();
}

export function markRunCancelled(q: Q, repo: string, runId: number, at: string) {
  q.update(t.workflowRuns)
    .set({ status: "completed", conclusion: "cancelled", updatedAt: at })
    .where(and(eq(t.workflowRuns.repo, repo), eq(t.workflowRuns.runId, runId)))
    .run();
}

export function claimDispatch(q: Q, repo: string, runId: number, dispatchId: number) {
  q.update(t.dispatches).set({ runId }).where(eq(t.dispatches.id, dispatchId)).run();
  q.update(t.workflowRuns)
    .set({ dispatchId })
    .where(and(eq(t.workflowRuns.repo, repo), eq(t.workflowRuns.runId, runId)))
    .run();
}

export function setJoinProblem(q: Q, repo: string, runId: number, problem: string) {
  q.update(t.workflowRuns)
    .set({ joinProblem: problem })
    .where(and(eq(t.workflowRuns.repo, repo), eq(t.workflowRuns.runId, runId)))
    .run();
}

export function decisionsForRun(q: Q, repo: string, runId: number): DecisionRow[] {
  return q
    .select()
    .from(t.decisions)
    .where(and(eq(t.decisions.repo, repo), eq(t.decisions.runId, runId)))
    .orderBy(t.decisions.id)
    .all();
}

export function insertDecision(q: Q, d: Omit<typeof t.decisions.$inferInsert, "id">): DecisionRow {
  return q.insert(t.decisions).values(d).returning().get();
}

export function markCheckWritten(q: Q, decisionId: number, checkRunId: number, at: string) {
  q.update(t.decisions)
    .set({ checkRunId, checkWrittenAt: at, writeError: null })
    .where(eq(t.decisions.id, decisionId))
    .run();
}

export function markWriteError(q: Q, decisionId: number, error: string) {
  q.update(t.decisions).set({ writeError: error }).where(eq(t.decisions.id, decisionId)).run();
}

/** Decisions whose check run has not landed yet and that no newer decision of the attempt replaced. */
export function unwrittenDecisions(q: Q): DecisionRow[] {
  return q
    .select()
    .from(t.decisions)
    .where(
      and(
        isNull(t.decisions.checkWrittenAt),
        sql`not exists (select 1 from ${t.decisions} n where n.repo = ${t.decisions.repo} and n.run_id = ${t.decisions.runId} and n.attempt = ${t.decisions.attempt} and n.id > ${t.decisions.id})`,
      ),
    )
    .all();
}

/** Runs whose newest decision refused them but which have not finished: the cancel to retry. */
export function refusedStillRunning(q: Q): RunRow[] {
  return q
    .select({ run: t.workflowRuns })
    .from(t.workflowRuns)
    .innerJoin(
      t.decisions,
      and(eq(t.decisions.repo, t.workflowRuns.repo), eq(t.decisions.runId, t.workflowRuns.runId)),
    )
    .where(
      and(
        sql`${t.workflowRuns.status} != 'completed'`,
        eq(t.decisions.attempt, t.workflowRuns.attempt),
        eq(t.decisions.allowed, false),
        sql`not exists (select 1 from ${t.decisions} n where n.repo = ${t.decisions.repo} and n.run_id = ${t.decisions.runId} and n.attempt = ${t.decisions.attempt} and n.id > ${t.decisions.id})`,
      ),
    )
    .all()
    .map((r) => r.run);
}

export class LaneBusy extends Error {}

/** Opens an operation; the partial unique index turns a second one on the lane into LaneBusy. */
export function openOperation(q: Q, op: Omit<typeof t.operations.$inferInsert, "id">): OperationRow {
  try {
    return q.insert(t.operations).values(op).returning().get();
  } catch (error) {
    if (error instanceof Error && "code" in error && error.code === "SQLITE_CONSTRAINT_UNIQUE")
      throw new LaneBusy();
    throw error;
  }
}

export function linkDecision(q: Q, operationId: number, decisionId: number) {
  q.update(t.operations).set({ decisionId }).where(eq(t.operations.id, operationId)).run();
}

export function inFlightOn(q: Q, repo: string, lane: string): OperationRow | undefined {
  return q
    .select()
    .from(t.operations)
    .where(
      and(
        eq(t.operations.repo, repo),
        eq(t.operations.lane, lane),
        inArray(t.operations.state, ["in_flight", "stale"]),
      ),
    )
    .get();
}

export function operationsForRun(q: Q, repo: string, runId: number): OperationRow[] {
  return q
    .select()
    .from(t.operations)
    .where(and(eq(t.operations.repo, repo), eq(t.operations.runId, runId)))
    .all();
}

export function endOperation(
  q: Q,
  id: number,
  state: "completed" | "cleared",
  conclusion: string | null,
  by: string,
  at: string,
) {
  q.update(t.operations)
    .set({ state, conclusion, endedAt: at, endedBy: by })
    .where(eq(t.operations.id, id))
    .run();
}

/** In-flight operations whose lease ran out: they keep the lane blocked until reconciled. */
export function expireLeases(q: Q, now: Date): OperationRow[] {
  const due = q
    .select()
    .from(t.operations)
    .where(and(eq(t.operations.state, "in_flight"), lt(t.operations.leaseExpiresAt, now.toISOString())))
    .all();
  for (const op of due)
    q.update(t.operations).set({ state: "stale" }).where(eq(t.operations.id, op.id)).run();
  return due;
}

export function staleOperations(q: Q): OperationRow[] {
  return q.select().from(t.operations).where(eq(t.operations.state, "stale")).all();
}

const PROOF_RUNS_READ = 100;

/**
 * Successful, completed runs of a proof workflow whose dispatch named this lane, dispatched by
 * hand from an allowed branch: a proof workflow edited on another branch proves nothing.
 */
export function proofRuns(q: Q, repo: string, file: string, lane: string, branches: string[]): ProofRun[] {
  const rows = q
    .select({ run: t.workflowRuns, inputs: t.dispatches.inputs })
    .from(t.workflowRuns)
    .innerJoin(t.dispatches, eq(t.dispatches.id, t.workflowRuns.dispatchId))
    .where(
      and(
        eq(t.workflowRuns.repo, repo),
        eq(t.workflowRuns.status, "completed"),
        eq(t.workflowRuns.conclusion, "success"),
        eq(t.workflowRuns.event, "workflow_dispatch"),
        like(t.workflowRuns.workflowPath, `%${file}`),
      ),
    )
    // The newest runs are the only ones that can be fresh, or the latest backup: enough to judge.
    .orderBy(desc(t.workflowRuns.updatedAt))
    .limit(PROOF_RUNS_READ)
    .all();
  return rows
    .filter(
      ({ run, inputs }) =>
        workflowFile(run.workflowPath) === file &&
        branches.includes(run.headBranch ?? "") &&
        parseLaneId(`${String(inputs.context ?? "").trim()}/${String(inputs.instance ?? "").trim()}`)?.id ===
          lane,
    )
    .map(({ run }) => ({ runId: run.runId, startedAt: run.createdAt, completedAt: run.updatedAt }));
}

/** The lane's grant rows that have not ended, as the decision reads them. */
export function laneGrants(q: Q, repo: string, lane: string): GrantFact[] {
  return q
    .select({ grant: t.grants, url: t.approvalIssues.url })
    .from(t.grants)
    .leftJoin(
      t.approvalIssues,
      and(eq(t.approvalIssues.repo, t.grants.repo), eq(t.approvalIssues.number, t.grants.issueNumber)),
    )
    .where(and(eq(t.grants.repo, repo), eq(t.grants.lane, lane), isNull(t.grants.endedAt)))
    .all()
    .filter(({ grant }) => grant.policy !== null)
    .map(({ grant, url }) => ({
      issueNumber: grant.issueNumber,
      url: url ?? `https://github.com/${repo}/issues/${grant.issueNumber}`,
      state: grant.state,
      reason: grant.reason,
      policy: grant.policy as LanePolicy,
      expiresAt: grant.expiresAt,
      blockSha: grant.blockSha,
    }));
}

/** Whether the config declares the lane or any approval issue has ever named it. */
export function laneKnown(q: Q, repo: string, lane: string): boolean {
  const declared = q
    .select({ lane: t.declaredLanes.lane })
    .from(t.declaredLanes)
    .where(and(eq(t.declaredLanes.repo, repo), eq(t.declaredLanes.lane, lane)))
    .get();
  const named = q
    .select({ id: t.grants.id })
    .from(t.grants)
    .where(and(eq(t.grants.repo, repo), eq(t.grants.lane, lane)))
    .limit(1)
    .get();
  return declared !== undefined || named !== undefined;
}

/** Protection requests not answered yet, across repositories, for the sweep to retry. */
export function allUnansweredProtection(q: Q) {
  return q.select().from(t.protectionRequests).where(isNull(t.protectionRequests.answeredAt)).all();
}

export function recordProtectionRequest(q: Q, repo: string, runId: number, environment: string, at: string) {
  q.insert(t.protectionRequests).values({ repo, runId, environment, receivedAt: at }).run();
}

export function unansweredProtection(q: Q, repo: string, runId: number) {
  return q
    .select()
    .from(t.protectionRequests)
    .where(
      and(
        eq(t.protectionRequests.repo, repo),
        eq(t.protectionRequests.runId, runId),
        isNull(t.protectionRequests.answeredAt),
      ),
    )
    .all();
}

export function answerProtection(q: Q, id: number, answer: string, at: string) {
  q.update(t.protectionRequests).set({ answer, answeredAt: at }).where(eq(t.protectionRequests.id, id)).run();
}

/** Dispatches no run claimed within the window: they expire, and the audit log keeps them. */
export function expireDispatches(q: Q, before: string, at: string) {
  const due = q
    .select()
    .from(t.dispatches)
    .where(
      and(isNull(t.dispatches.runId), isNull(t.dispatches.expiredAt), lt(t.dispatches.receivedAt, before)),
    )
    .all();
  for (const d of due) q.update(t.dispatches).set({ expiredAt: at }).where(eq(t.dispatches.id, d.id)).run();
  return due;
}

/** Runs of the last days that never got a decision: unjoinable, so refused by the sweep. */
export function undecidedRuns(q: Q, createdBefore: string): RunRow[] {
  return q
    .select()
    .from(t.workflowRuns)
    .where(
      and(
        lt(t.workflowRuns.createdAt, createdBefore),
        sql`not exists (select 1 from ${t.decisions} d where d.repo = ${t.workflowRuns.repo} and d.run_id = ${t.workflowRuns.runId})`,
      ),
    )
    .all();
}

export function recentDecisions(q: Q, repo: string, lanes: string[], limit: number): DecisionRow[] {
  if (lanes.length === 0) return [];
  return q
    .select()
    .from(t.decisions)
    .where(and(eq(t.decisions.repo, repo), inArray(t.decisions.lane, lanes)))
    .orderBy(desc(t.decisions.id))
    .limit(limit)
    .all();
}

/** The recent gated runs of some lanes, as the status comment lists them. */
export function recentRuns(q: Q, repo: string, lanes: string[], limit = 10) {
  return recentDecisions(q, repo, lanes, limit).map((d) => {
    const run = getRun(q, repo, d.runId);
    const op = operationsForRun(q, repo, d.runId).find((o) => o.attempt === d.attempt);
    const request = d.request as { inputs?: { source?: string } | null };
    const failed = (d.checks as Check[]).find((c) => !c.ok);
    return {
      runId: d.runId,
      attempt: d.attempt,
      lane: d.lane ?? "",
      runUrl: run?.htmlUrl ?? "",
      source: request.inputs?.source ?? "-",
      decision: d.allowed ? "allowed" : `refused: ${failed?.message ?? ""}`,
      outcome: op
        ? op.state === "completed"
          ? (op.conclusion ?? "completed")
          : op.state
        : d.allowed
          ? "-"
          : "cancelled or not run",
    };
  });
}

/** An operator ends a stuck operation by hand; the audit log keeps who and why. */
export function clearOperation(
  q: Q,
  repo: string,
  id: number,
  by: string,
  reason: string,
  now: Date,
): OperationRow {
  const op = q
    .select()
    .from(t.operations)
    .where(and(eq(t.operations.repo, repo), eq(t.operations.id, id)))
    .get();
  if (!op) throw new Error(`no operation ${id} in ${repo}`);
  if (op.state !== "in_flight" && op.state !== "stale")
    throw new Error(`operation ${id} is already ${op.state}`);
  const at = now.toISOString();
  endOperation(q, id, "cleared", null, by, at);
  q.insert(t.auditLog)
    .values({
      repo,
      deliveryId: null,
      event: "operator",
      actor: by,
      subject: op.lane,
      change: `operation ${id} (run ${op.runId}) cleared: ${reason}`,
      at,
    })
    .run();
  return op;
}
