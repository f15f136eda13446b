// SQL for the gate's runs: dispatches, workflow runs, decisions and protection requests.
import { and, desc, eq, inArray, isNull, like, lt, notExists, or, sql } from "drizzle-orm";
import { type Decision, decisionSchema, type ProofRun } from "../../core/gate/decision.ts";
import type { DispatchCandidate } from "../../core/gate/join.ts";
import { workflowFile } from "../../core/gate/request.ts";
import type { RecentRunFact } from "../../core/lanes/status-comment.ts";
import { HOLDING_STATES } from "../../core/operations.ts";

import { preparedOn, type Q } from "./db.ts";
import { operationsForRun } from "./operations.ts";
import * as t from "./schema.ts";

// The reads every gated run's deliveries make.
const prepared = preparedOn((q) => {
  const run = and(
    eq(t.workflowRuns.repo, sql.placeholder("repo")),
    eq(t.workflowRuns.runId, sql.placeholder("runId")),
  );
  return {
    unclaimed: q
      .select()
      .from(t.dispatches)
      .where(
        and(
          eq(t.dispatches.repo, sql.placeholder("repo")),
          isNull(t.dispatches.runId),
          isNull(t.dispatches.expiredAt),
        ),
      )
      .prepare(),
    dispatch: q
      .select()
      .from(t.dispatches)
      .where(eq(t.dispatches.id, sql.placeholder("id")))
      .prepare(),
    run: q.select().from(t.workflowRuns).where(run).prepare(),
    decisions: q
      .select()
      .from(t.decisions)
      .where(
        and(eq(t.decisions.repo, sql.placeholder("repo")), eq(t.decisions.runId, sql.placeholder("runId"))),
      )
      .orderBy(t.decisions.id)
      .prepare(),
  };
});

export type RunRow = typeof t.workflowRuns.$inferSelect;

export type DecisionRow = typeof t.decisions.$inferSelect;

/** Records a dispatch; null when this delivery was already recorded. */
export function recordDispatch(q: Q, d: Omit<typeof t.dispatches.$inferInsert, "id">): number | null {
  const row = q.insert(t.dispatches).values(d).onConflictDoNothing().returning({ id: t.dispatches.id }).get();
  return row?.id ?? null;
}

export function unclaimedDispatches(q: Q, repo: string): DispatchCandidate[] {
  return prepared(q)
    .unclaimed.all({ repo })
    .map((d) => ({ ...d, workflowFile: workflowFile(d.workflowPath) }));
}

export function dispatchById(q: Q, id: number) {
  return prepared(q).dispatch.get({ id });
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
  return prepared(q).run.get({ repo, runId });
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
  return prepared(q).decisions.all({ repo, runId });
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

/** A decision row that no newer decision of the same attempt replaced: the attempt's decision. */
const newestOfAttempt = sql`not exists (select 1 from ${t.decisions} n where n.repo = ${t.decisions.repo} and n.run_id = ${t.decisions.runId} and n.attempt = ${t.decisions.attempt} and n.id > ${t.decisions.id})`;

/** Decisions whose check run has not landed yet and that no newer decision of the attempt replaced. */
export function unwrittenDecisions(q: Q): (DecisionRow & { stored: Decision | null })[] {
  return q
    .select()
    .from(t.decisions)
    .where(and(isNull(t.decisions.checkWrittenAt), newestOfAttempt))
    .all()
    .map((row) => ({ ...row, stored: storedDecision(row) }));
}

/** The decision exactly as it was stored, read back through its schema; null if it does not read. */
export function storedDecision(row: DecisionRow): Decision | null {
  const parsed = decisionSchema.safeParse(row.decision);
  return parsed.success ? parsed.data : null;
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
        newestOfAttempt,
        // An attempt allowed earlier and still holding its lane is never cancelled.
        notExists(
          q
            .select({ id: t.operations.id })
            .from(t.operations)
            .where(
              and(
                eq(t.operations.repo, t.decisions.repo),
                eq(t.operations.runId, t.decisions.runId),
                eq(t.operations.attempt, t.decisions.attempt),
                inArray(t.operations.state, HOLDING_STATES),
              ),
            ),
        ),
      ),
    )
    .all()
    .map((r) => r.run);
}

/** Enough of a lane's newest proof runs to find the latest backup and any fresh verification. */
const PROOF_RUNS_READ = 50;

/**
 * Successful, completed runs of a proof workflow whose dispatch named this lane, dispatched by
 * hand from an allowed branch: a proof workflow edited on another branch proves nothing. Role
 * and lane are columns stored at intake, so other lanes' proofs never crowd this lane's out.
 */
export function proofRuns(
  q: Q,
  repo: string,
  proof: { role: "backup_proof" | "restore_proof"; workflow: string },
  lane: string,
  branches: string[],
): ProofRun[] {
  // The workflow the config names now: repointing proofs.*.workflow retires the old one's runs.
  const path = `.github/workflows/${proof.workflow}`;
  return q
    .select({ run: t.workflowRuns })
    .from(t.dispatches)
    .innerJoin(
      t.workflowRuns,
      and(eq(t.workflowRuns.repo, t.dispatches.repo), eq(t.workflowRuns.dispatchId, t.dispatches.id)),
    )
    .where(
      and(
        eq(t.dispatches.repo, repo),
        eq(t.dispatches.role, proof.role),
        or(eq(t.dispatches.workflowPath, path), like(t.dispatches.workflowPath, `${path}@%`)),
        eq(t.dispatches.lane, lane),
        eq(t.workflowRuns.status, "completed"),
        eq(t.workflowRuns.conclusion, "success"),
        eq(t.workflowRuns.event, "workflow_dispatch"),
        inArray(t.workflowRuns.headBranch, branches),
      ),
    )
    .orderBy(desc(t.workflowRuns.updatedAt))
    .limit(PROOF_RUNS_READ)
    .all()
    .map(({ run }) => ({ runId: run.runId, startedAt: run.createdAt, completedAt: run.updatedAt }));
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

/** Gated runs that never got a decision: unjoinable, so refused by the sweep. */
export function undecidedRuns(q: Q, createdBefore: string): RunRow[] {
  return q
    .select()
    .from(t.workflowRuns)
    .where(
      and(
        eq(t.workflowRuns.role, "gated"),
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

/** The recent gated runs of some lanes: the facts the status comment describes. */
export function recentRuns(q: Q, repo: string, lanes: string[], limit = 10): RecentRunFact[] {
  return recentDecisions(q, repo, lanes, limit).map((d) => {
    const op = operationsForRun(q, repo, d.runId).find((o) => o.attempt === d.attempt);
    const decision = storedDecision(d);
    return {
      runId: d.runId,
      attempt: d.attempt,
      lane: d.lane ?? "",
      runUrl: getRun(q, repo, d.runId)?.htmlUrl ?? "",
      allowed: d.allowed,
      decision,
      operation: op ? { state: op.state, conclusion: op.conclusion } : null,
    };
  });
}
