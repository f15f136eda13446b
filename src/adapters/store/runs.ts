// SQL for the gate's runs: dispatches, workflow runs, decisions and protection requests.
import { and, desc, eq, isNotNull, isNull, lt, or, sql } from "drizzle-orm";
import { type Decision, decisionSchema } from "../../core/gate/decision.ts";
import type { DispatchCandidate } from "../../core/gate/join.ts";
import { workflowFile } from "../../core/gate/request.ts";
import type { ProofCandidate } from "../../core/gate/runs.ts";
import type { RecentRunFact } from "../../core/lanes/status-comment.ts";
import type { OperationState } from "../../core/operations.ts";
import { first, type Q, tables } from "./db.ts";
import {
  equalsParam,
  inList,
  insertPlaceholders,
  insertValues,
  listValue,
  param,
  preparedOn,
} from "./prepared.ts";
import type * as s from "./schema.ts";

// The statements every gated run's deliveries make.
const prepared = preparedOn((q, t) => {
  const run = and(equalsParam(t.workflowRuns.repo, "repo"), equalsParam(t.workflowRuns.runId, "runId"));
  return {
    recordDispatch: q
      .insert(t.dispatches)
      .values(insertPlaceholders(t.dispatches))
      .onConflictDoNothing()
      .returning({ id: t.dispatches.id })
      .prepare(),
    runOfDispatchDelivery: q
      .select({ runId: t.dispatches.runId })
      .from(t.dispatches)
      .where(and(equalsParam(t.dispatches.repo, "repo"), equalsParam(t.dispatches.deliveryId, "deliveryId")))
      .prepare(),
    unjoined: q
      .select()
      .from(t.workflowRuns)
      .where(
        and(
          equalsParam(t.workflowRuns.repo, "repo"),
          isNull(t.workflowRuns.dispatchId),
          isNull(t.workflowRuns.joinProblem),
          sql`${t.workflowRuns.status} != 'completed'`,
          undecided(t),
        ),
      )
      .prepare(),
    insertRun: q.insert(t.workflowRuns).values(insertPlaceholders(t.workflowRuns)).returning().prepare(),
    updateRunReport: q
      .update(t.workflowRuns)
      .set({
        attempt: param("attempt"),
        status: param("status"),
        conclusion: param("conclusion"),
        updatedAt: param("updatedAt"),
        headSha: param("headSha"),
      })
      .where(run)
      .returning()
      .prepare(),
    markRunCancelled: q
      .update(t.workflowRuns)
      .set({ status: "completed", conclusion: "cancelled", updatedAt: param("at") })
      .where(run)
      .prepare(),
    claimDispatch: q
      .update(t.dispatches)
      .set({ runId: param("runId") })
      .where(equalsParam(t.dispatches.id, "id"))
      .prepare(),
    joinRun: q
      .update(t.workflowRuns)
      .set({ dispatchId: param("dispatchId") })
      .where(run)
      .prepare(),
    setJoinProblem: q
      .update(t.workflowRuns)
      .set({ joinProblem: param("problem") })
      .where(run)
      .prepare(),
    insertDecision: q.insert(t.decisions).values(insertPlaceholders(t.decisions)).returning().prepare(),
    markCheckWritten: q
      .update(t.decisions)
      .set({ checkRunId: param("checkRunId"), checkWrittenAt: param("at"), writeError: null })
      .where(equalsParam(t.decisions.id, "id"))
      .prepare(),
    markWriteError: q
      .update(t.decisions)
      .set({ writeError: param("error") })
      .where(equalsParam(t.decisions.id, "id"))
      .prepare(),
    proofCandidates: q
      .select({ run: t.workflowRuns, workflowPath: t.dispatches.workflowPath })
      .from(t.dispatches)
      .innerJoin(
        t.workflowRuns,
        and(eq(t.workflowRuns.repo, t.dispatches.repo), eq(t.workflowRuns.dispatchId, t.dispatches.id)),
      )
      .where(
        and(
          equalsParam(t.dispatches.repo, "repo"),
          equalsParam(t.dispatches.role, "role"),
          equalsParam(t.dispatches.lane, "lane"),
        ),
      )
      // The run id breaks ties, so that pages neither repeat nor skip a run.
      .orderBy(desc(t.workflowRuns.updatedAt), desc(t.workflowRuns.runId))
      .limit(sql.placeholder("limit"))
      .offset(sql.placeholder("offset"))
      .prepare(),
    recordProtectionRequest: q
      .insert(t.protectionRequests)
      .values({
        repo: sql.placeholder("repo"),
        runId: sql.placeholder("runId"),
        environment: sql.placeholder("environment"),
        receivedAt: sql.placeholder("at"),
      })
      .prepare(),
    unansweredProtection: q
      .select()
      .from(t.protectionRequests)
      .where(
        and(
          equalsParam(t.protectionRequests.repo, "repo"),
          equalsParam(t.protectionRequests.runId, "runId"),
          isNull(t.protectionRequests.answeredAt),
        ),
      )
      .prepare(),
    answerProtection: q
      .update(t.protectionRequests)
      .set({ answer: param("answer"), answeredAt: param("at") })
      .where(equalsParam(t.protectionRequests.id, "id"))
      .prepare(),
    // One statement for the status comment's runs: each decision with its run's link and the
    // operation its attempt opened (one at most: a decision opens none where its attempt has one).
    recentRuns: q
      .select({
        decision: t.decisions,
        runUrl: t.workflowRuns.htmlUrl,
        operationState: sql<OperationState | null>`(select o.state from ${t.operations} o where ${ofAttempt(t)} order by o.id limit 1)`,
        operationConclusion: sql<
          string | null
        >`(select o.conclusion from ${t.operations} o where ${ofAttempt(t)} order by o.id limit 1)`,
      })
      .from(t.decisions)
      .leftJoin(
        t.workflowRuns,
        and(eq(t.workflowRuns.repo, t.decisions.repo), eq(t.workflowRuns.runId, t.decisions.runId)),
      )
      .where(and(equalsParam(t.decisions.repo, "repo"), inList(q, t.decisions.lane, "lanes")))
      .orderBy(desc(t.decisions.id))
      .limit(sql.placeholder("limit"))
      .prepare(),
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
  const row = await first(prepared(q).recordDispatch.execute(insertValues(tables(q).dispatches, d)));
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
  const dispatch = await first(prepared(q).runOfDispatchDelivery.execute({ repo, deliveryId }));
  return dispatch?.runId ? getRun(q, repo, dispatch.runId) : undefined;
}

/** A run as a `workflow_run` delivery reports it, before any join. */
export type ReportedRun = Omit<RunRow, "dispatchId" | "joinProblem">;

/** Records a run's first report; returns the row as stored. */
export async function insertRun(q: Q, run: ReportedRun): Promise<RunRow> {
  return stored(await first(prepared(q).insertRun.execute(insertValues(tables(q).workflowRuns, run))));
}

/**
 * Replaces the recorded report with a newer one; never forgets a join already made. Returns the
 * row as stored.
 */
export async function updateRunReport(q: Q, run: ReportedRun): Promise<RunRow> {
  const { repo, runId, attempt, status, conclusion, updatedAt, headSha } = run;
  const row = prepared(q).updateRunReport.execute({
    repo,
    runId,
    attempt,
    status,
    conclusion,
    updatedAt,
    headSha,
  });
  return stored(await first(row));
}

function stored(row: RunRow | undefined): RunRow {
  if (!row) throw new Error("the store returned no row for a run it was given");
  return row;
}

export function getRun(q: Q, repo: string, runId: number): Promise<RunRow | undefined> {
  return first(prepared(q).run.execute({ repo, runId }));
}

/** An operation `o` of the decision's run attempt. */
const ofAttempt = (t: typeof s) =>
  sql`o.repo = ${t.decisions.repo} and o.run_id = ${t.decisions.runId} and o.attempt = ${t.decisions.attempt}`;

/** Not decided yet: no decision row names the run. */
const undecided = (t: typeof s) =>
  sql`not exists (select 1 from ${t.decisions} d where d.repo = ${t.workflowRuns.repo} and d.run_id = ${t.workflowRuns.runId})`;

/** Runs still waiting for their dispatch: not joined, not finished, and not already decided. */
export async function unjoinedRuns(q: Q, repo: string): Promise<RunRow[]> {
  return prepared(q).unjoined.execute({ repo });
}

export async function markRunCancelled(q: Q, repo: string, runId: number, at: string) {
  await prepared(q).markRunCancelled.execute({ repo, runId, at });
}

export async function claimDispatch(q: Q, repo: string, runId: number, dispatchId: number) {
  const queries = prepared(q);
  await queries.claimDispatch.execute({ id: dispatchId, runId });
  await queries.joinRun.execute({ repo, runId, dispatchId });
}

export async function setJoinProblem(q: Q, repo: string, runId: number, problem: string) {
  await prepared(q).setJoinProblem.execute({ repo, runId, problem });
}

export async function decisionsForRun(q: Q, repo: string, runId: number): Promise<DecisionRow[]> {
  return prepared(q).decisions.execute({ repo, runId });
}

export async function insertDecision(
  q: Q,
  d: Omit<typeof s.decisions.$inferInsert, "id">,
): Promise<DecisionRow> {
  const row = await first(prepared(q).insertDecision.execute(insertValues(tables(q).decisions, d)));
  if (!row) throw new Error("the store returned no row for a new decision");
  return row;
}

export async function markCheckWritten(q: Q, decisionId: number, checkRunId: number, at: string) {
  await prepared(q).markCheckWritten.execute({ id: decisionId, checkRunId, at });
}

export async function markWriteError(q: Q, decisionId: number, error: string) {
  await prepared(q).markWriteError.execute({ id: decisionId, error });
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
  const rows = await prepared(q).proofCandidates.execute({ repo, role, lane, ...page });
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
  await prepared(q).recordProtectionRequest.execute({ repo, runId, environment, at });
}

export async function unansweredProtection(q: Q, repo: string, runId: number) {
  return prepared(q).unansweredProtection.execute({ repo, runId });
}

export async function answerProtection(q: Q, id: number, answer: string, at: string) {
  await prepared(q).answerProtection.execute({ id, answer, at });
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

/** The recent gated runs of some lanes, newest first: the facts the status comment describes. */
export async function recentRuns(q: Q, repo: string, lanes: string[], limit = 10): Promise<RecentRunFact[]> {
  if (lanes.length === 0) return [];
  const rows = await prepared(q).recentRuns.execute({ repo, lanes: listValue(q, lanes), limit });
  return rows.map(({ decision: d, runUrl, operationState, operationConclusion }) => ({
    runId: d.runId,
    attempt: d.attempt,
    lane: d.lane ?? "",
    runUrl: runUrl ?? "",
    allowed: d.allowed,
    decision: storedDecision(d),
    operation: operationState ? { state: operationState, conclusion: operationConclusion } : null,
  }));
}
