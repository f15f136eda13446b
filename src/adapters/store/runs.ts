// SQL for the gate's runs: dispatches, workflow runs, decisions and protection requests.
import { and, desc, eq, inArray, isNotNull, isNull, lt, or, sql } from "drizzle-orm";
import { type Decision, decisionSchema } from "../../core/gate/decision.ts";
import type { DispatchCandidate } from "../../core/gate/join.ts";
import { workflowFile } from "../../core/gate/request.ts";
import type { ProofCandidate } from "../../core/gate/runs.ts";
import type { RecentRunFact } from "../../core/lanes/status-comment.ts";
import type { OperationState } from "../../core/operations.ts";
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

/** A run as a `workflow_run` delivery reports it, before any join. */
export type ReportedRun = Omit<RunRow, "dispatchId" | "joinProblem">;

/** Records a run's first report; returns the row as stored. */
export async function insertRun(q: Q, run: ReportedRun): Promise<RunRow> {
  return stored(await first(q.insert(tables(q).workflowRuns).values(run).returning()));
}

/**
 * Replaces the recorded report with a newer one; never forgets a join already made. Returns the
 * row as stored.
 */
export async function updateRunReport(q: Q, run: ReportedRun): Promise<RunRow> {
  const t = tables(q);
  const row = q
    .update(t.workflowRuns)
    .set({
      attempt: run.attempt,
      status: run.status,
      conclusion: run.conclusion,
      updatedAt: run.updatedAt,
      headSha: run.headSha,
    })
    .where(and(eq(t.workflowRuns.repo, run.repo), eq(t.workflowRuns.runId, run.runId)))
    .returning();
  return stored(await first(row));
}

function stored(row: RunRow | undefined): RunRow {
  if (!row) throw new Error("the store returned no row for a run it was given");
  return row;
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

/**
 * Decisions whose check run has not landed yet and that no newer decision of the attempt replaced:
 * those whose write failed, and those decided before `decidedBefore` (younger ones are still being
 * written by the delivery that made them).
 */
export async function unwrittenDecisions(
  q: Q,
  decidedBefore: string,
): Promise<(DecisionRow & { stored: Decision | null })[]> {
  const t = tables(q);
  const rows = await q
    .select()
    .from(t.decisions)
    .where(
      and(
        isNull(t.decisions.checkWrittenAt),
        or(isNotNull(t.decisions.writeError), lt(t.decisions.decidedAt, decidedBefore)),
        newestOfAttempt(t),
      ),
    );
  return rows.map((row) => ({ ...row, stored: storedDecision(row) }));
}

/** The decision exactly as it was stored, read back through its schema; null if it does not read. */
export function storedDecision(row: DecisionRow): Decision | null {
  const parsed = decisionSchema.safeParse(row.decision);
  return parsed.success ? parsed.data : null;
}

/**
 * The runs lanegate has not seen finish, each with its current attempt's decision (the newest
 * made for it) and the states of the operations that attempt opened: the candidates for a cancel.
 */
export async function unfinishedDecidedRuns(
  q: Q,
): Promise<{ run: RunRow; allowed: boolean; operations: OperationState[] }[]> {
  const t = tables(q);
  const rows = await q
    .select({ run: t.workflowRuns, allowed: t.decisions.allowed, state: t.operations.state })
    .from(t.workflowRuns)
    .innerJoin(
      t.decisions,
      and(
        eq(t.decisions.repo, t.workflowRuns.repo),
        eq(t.decisions.runId, t.workflowRuns.runId),
        eq(t.decisions.attempt, t.workflowRuns.attempt),
      ),
    )
    .leftJoin(
      t.operations,
      and(
        eq(t.operations.repo, t.decisions.repo),
        eq(t.operations.runId, t.decisions.runId),
        eq(t.operations.attempt, t.decisions.attempt),
      ),
    )
    .where(and(sql`${t.workflowRuns.status} != 'completed'`, newestOfAttempt(t)));
  const runs = new Map<string, { run: RunRow; allowed: boolean; operations: OperationState[] }>();
  for (const { run, allowed, state } of rows) {
    const key = `${run.repo}:${run.runId}`;
    const candidate = runs.get(key) ?? { run, allowed, operations: [] };
    if (state !== null) candidate.operations.push(state);
    runs.set(key, candidate);
  }
  return [...runs.values()];
}

/**
 * One page of the runs whose dispatch the intake stored as this role's proof of this lane, newest
 * first. Role and lane are columns stored at intake, so other lanes' proofs never crowd this
 * lane's out; which of them prove anything is the core's to say.
 */
export async function proofCandidates(
  q: Q,
  repo: string,
  role: "backup_proof" | "restore_proof",
  lane: string,
  page: { limit: number; offset: number },
): Promise<ProofCandidate[]> {
  const t = tables(q);
  const rows = await q
    .select({ run: t.workflowRuns, workflowPath: t.dispatches.workflowPath })
    .from(t.dispatches)
    .innerJoin(
      t.workflowRuns,
      and(eq(t.workflowRuns.repo, t.dispatches.repo), eq(t.workflowRuns.dispatchId, t.dispatches.id)),
    )
    .where(and(eq(t.dispatches.repo, repo), eq(t.dispatches.role, role), eq(t.dispatches.lane, lane)))
    // The run id breaks ties, so that pages neither repeat nor skip a run.
    .orderBy(desc(t.workflowRuns.updatedAt), desc(t.workflowRuns.runId))
    .limit(page.limit)
    .offset(page.offset);
  return rows.map(({ run, workflowPath }) => ({ ...run, workflowPath }));
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
