// SQL for the gate's runs: dispatches, workflow runs, decisions and protection requests.
import { and, desc, eq, inArray, isNull, like, lt, notExists, or, sql } from "drizzle-orm";
import { type Decision, decisionSchema, type ProofRun } from "../../core/gate/decision.ts";
import type { DispatchCandidate } from "../../core/gate/join.ts";
import { workflowFile } from "../../core/gate/request.ts";
import type { RecentRunFact } from "../../core/lanes/status-comment.ts";
import { HOLDING_STATES } from "../../core/operations.ts";
import { first, preparedOn, type Q, tables } from "./db.ts";
import { operationsForRun } from "./operations.ts";
import type * as s from "./schema.ts";

// The reads every gated run's deliveries make.
const prepared = preparedOn((q, t) => {
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

export type RunRow = typeof s.workflowRuns.$inferSelect;

export type DecisionRow = typeof s.decisions.$inferSelect;

/** Records a dispatch; null when this delivery was already recorded. */
export async function recordDispatch(
  q: Q,
  d: Omit<typeof s.dispatches.$inferInsert, "id">,
): Promise<number | null> {
  const t = tables(q);
  const row = await first(
    q.insert(t.dispatches).values(d).onConflictDoNothing().returning({ id: t.dispatches.id }),
  );
  return row?.id ?? null;
}

export async function unclaimedDispatches(q: Q, repo: string): Promise<DispatchCandidate[]> {
  const rows = await prepared(q).unclaimed.execute({ repo });
  return rows.map((d) => ({ ...d, workflowFile: workflowFile(d.workflowPath) }));
}

export function dispatchById(q: Q, id: number) {
  return first(prepared(q).dispatch.execute({ id }));
}

/** The run joined to the dispatch recorded from this delivery, if it was recorded and joined. */
export async function runOfDispatchDelivery(q: Q, repo: string, deliveryId: string) {
  const t = tables(q);
  const dispatch = await first(
    q
      .select({ runId: t.dispatches.runId })
      .from(t.dispatches)
      .where(and(eq(t.dispatches.repo, repo), eq(t.dispatches.deliveryId, deliveryId))),
  );
  return dispatch?.runId ? getRun(q, repo, dispatch.runId) : undefined;
}

/** Keeps the newest attempt and status; never forgets a join already made. */
export async function upsertRun(q: Q, run: Omit<RunRow, "dispatchId" | "joinProblem">): Promise<RunRow> {
  const t = tables(q);
  const existing = await getRun(q, run.repo, run.runId);
  if (!existing) {
    await q.insert(t.workflowRuns).values(run);
  } else if (
    run.attempt > existing.attempt ||
    (run.attempt === existing.attempt && run.updatedAt >= existing.updatedAt)
  ) {
    await q
      .update(t.workflowRuns)
      .set({
        attempt: run.attempt,
        status: run.status,
        conclusion: run.conclusion,
        updatedAt: run.updatedAt,
        headSha: run.headSha,
      })
      .where(and(eq(t.workflowRuns.repo, run.repo), eq(t.workflowRuns.runId, run.runId)));
  }
  return (await getRun(q, run.repo, run.runId)) as RunRow;
}

export function getRun(q: Q, repo: string, runId: number): Promise<RunRow | undefined> {
  return first(prepared(q).run.execute({ repo, runId }));
}

/** Not decided yet: no decision row names the run. */
const undecided = (t: typeof s) =>
  sql`not exists (select 1 from ${t.decisions} d where d.repo = ${t.workflowRuns.repo} and d.run_id = ${t.workflowRuns.runId})`;

/** Runs still waiting for their dispatch: not joined, not finished, and not already decided. */
export async function unjoinedRuns(q: Q, repo: string): Promise<RunRow[]> {
  const t = tables(q);
  return q
    .select()
    .from(t.workflowRuns)
    .where(
      and(
        eq(t.workflowRuns.repo, repo),
        isNull(t.workflowRuns.dispatchId),
        isNull(t.workflowRuns.joinProblem),
        sql`${t.workflowRuns.status} != 'completed'`,
        undecided(t),
      ),
    );
}

export async function markRunCancelled(q: Q, repo: string, runId: number, at: string) {
  const t = tables(q);
  await q
    .update(t.workflowRuns)
    .set({ status: "completed", conclusion: "cancelled", updatedAt: at })
    .where(and(eq(t.workflowRuns.repo, repo), eq(t.workflowRuns.runId, runId)));
}

export async function claimDispatch(q: Q, repo: string, runId: number, dispatchId: number) {
  const t = tables(q);
  await q.update(t.dispatches).set({ runId }).where(eq(t.dispatches.id, dispatchId));
  await q
    .update(t.workflowRuns)
    .set({ dispatchId })
    .where(and(eq(t.workflowRuns.repo, repo), eq(t.workflowRuns.runId, runId)));
}

export async function setJoinProblem(q: Q, repo: string, runId: number, problem: string) {
  const t = tables(q);
  await q
    .update(t.workflowRuns)
    .set({ joinProblem: problem })
    .where(and(eq(t.workflowRuns.repo, repo), eq(t.workflowRuns.runId, runId)));
}

export async function decisionsForRun(q: Q, repo: string, runId: number): Promise<DecisionRow[]> {
  return prepared(q).decisions.execute({ repo, runId });
}

export async function insertDecision(
  q: Q,
  d: Omit<typeof s.decisions.$inferInsert, "id">,
): Promise<DecisionRow> {
  const t = tables(q);
  const row = await first(q.insert(t.decisions).values(d).returning());
  if (!row) throw new Error("the store returned no row for a new decision");
  return row;
}

export async function markCheckWritten(q: Q, decisionId: number, checkRunId: number, at: string) {
  const t = tables(q);
  await q
    .update(t.decisions)
    .set({ checkRunId, checkWrittenAt: at, writeError: null })
    .where(eq(t.decisions.id, decisionId));
}

export async function markWriteError(q: Q, decisionId: number, error: string) {
  const t = tables(q);
  await q.update(t.decisions).set({ writeError: error }).where(eq(t.decisions.id, decisionId));
}

/** A decision row that no newer decision of the same attempt replaced: the attempt's decision. */
const newestOfAttempt = (t: typeof s) =>
  sql`not exists (select 1 from ${t.decisions} n where n.repo = ${t.decisions.repo} and n.run_id = ${t.decisions.runId} and n.attempt = ${t.decisions.attempt} and n.id > ${t.decisions.id})`;

/** Decisions whose check run has not landed yet and that no newer decision of the attempt replaced. */
export async function unwrittenDecisions(q: Q): Promise<(DecisionRow & { stored: Decision | null })[]> {
  const t = tables(q);
  const rows = await q
    .select()
    .from(t.decisions)
    .where(and(isNull(t.decisions.checkWrittenAt), newestOfAttempt(t)));
  return rows.map((row) => ({ ...row, stored: storedDecision(row) }));
}

/** The decision exactly as it was stored, read back through its schema; null if it does not read. */
export function storedDecision(row: DecisionRow): Decision | null {
  const parsed = decisionSchema.safeParse(row.decision);
  return parsed.success ? parsed.data : null;
}

/** Runs whose newest decision refused them but which have not finished: the cancel to retry. */
export async function refusedStillRunning(q: Q): Promise<RunRow[]> {
  const t = tables(q);
  const rows = await q
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
        newestOfAttempt(t),
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
    );
  return rows.map((r) => r.run);
}

/** Enough of a lane's newest proof runs to find the latest backup and any fresh verification. */
const PROOF_RUNS_READ = 50;

/**
 * Successful, completed runs of a proof workflow whose dispatch named this lane, dispatched by
 * hand from an allowed branch: a proof workflow edited on another branch proves nothing. Role
 * and lane are columns stored at intake, so other lanes' proofs never crowd this lane's out.
 */
export async function proofRuns(
  q: Q,
  repo: string,
  proof: { role: "backup_proof" | "restore_proof"; workflow: string },
  lane: string,
  branches: string[],
): Promise<ProofRun[]> {
  const t = tables(q);
  // The workflow the config names now: repointing proofs.*.workflow retires the old one's runs.
  const path = `.github/workflows/${proof.workflow}`;
  const rows = await q
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
    .limit(PROOF_RUNS_READ);
  return rows.map(({ run }) => ({ runId: run.runId, startedAt: run.createdAt, completedAt: run.updatedAt }));
}

/** Protection requests not answered yet, across repositories, for the sweep to retry. */
export async function allUnansweredProtection(q: Q) {
  const t = tables(q);
  return q.select().from(t.protectionRequests).where(isNull(t.protectionRequests.answeredAt));
}

export async function recordProtectionRequest(
  q: Q,
  repo: string,
  runId: number,
  environment: string,
  at: string,
) {
  const t = tables(q);
  await q.insert(t.protectionRequests).values({ repo, runId, environment, receivedAt: at });
}

export async function unansweredProtection(q: Q, repo: string, runId: number) {
  const t = tables(q);
  return q
    .select()
    .from(t.protectionRequests)
    .where(
      and(
        eq(t.protectionRequests.repo, repo),
        eq(t.protectionRequests.runId, runId),
        isNull(t.protectionRequests.answeredAt),
      ),
    );
}

export async function answerProtection(q: Q, id: number, answer: string, at: string) {
  const t = tables(q);
  await q.update(t.protectionRequests).set({ answer, answeredAt: at }).where(eq(t.protectionRequests.id, id));
}

/** Dispatches no run claimed within the window: they expire, and the audit log keeps them. */
export async function expireDispatches(q: Q, before: string, at: string) {
  const t = tables(q);
  return q
    .update(t.dispatches)
    .set({ expiredAt: at })
    .where(
      and(isNull(t.dispatches.runId), isNull(t.dispatches.expiredAt), lt(t.dispatches.receivedAt, before)),
    )
    .returning();
}

/** Gated runs that never got a decision: unjoinable, so refused by the sweep. */
export async function undecidedRuns(q: Q, createdBefore: string): Promise<RunRow[]> {
  const t = tables(q);
  return q
    .select()
    .from(t.workflowRuns)
    .where(and(eq(t.workflowRuns.role, "gated"), lt(t.workflowRuns.createdAt, createdBefore), undecided(t)));
}

export async function recentDecisions(
  q: Q,
  repo: string,
  lanes: string[],
  limit: number,
): Promise<DecisionRow[]> {
  if (lanes.length === 0) return [];
  const t = tables(q);
  return q
    .select()
    .from(t.decisions)
    .where(and(eq(t.decisions.repo, repo), inArray(t.decisions.lane, lanes)))
    .orderBy(desc(t.decisions.id))
    .limit(limit);
}

/** The recent gated runs of some lanes: the facts the status comment describes. */
export async function recentRuns(q: Q, repo: string, lanes: string[], limit = 10): Promise<RecentRunFact[]> {
  const facts: RecentRunFact[] = [];
  for (const d of await recentDecisions(q, repo, lanes, limit)) {
    const op = (await operationsForRun(q, repo, d.runId)).find((o) => o.attempt === d.attempt);
    facts.push({
      runId: d.runId,
      attempt: d.attempt,
      lane: d.lane ?? "",
      runUrl: (await getRun(q, repo, d.runId))?.htmlUrl ?? "",
      allowed: d.allowed,
      decision: storedDecision(d),
      operation: op ? { state: op.state, conclusion: op.conclusion } : null,
    });
  }
  return facts;
}
