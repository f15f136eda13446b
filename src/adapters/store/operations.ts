// SQL for operations: an allowed run's hold on its lane. Which transitions are possible is the
// core's business (src/core/operations.ts); this file only reads and writes the rows.
import { and, eq, inArray, lt, sql } from "drizzle-orm";
import { HOLDING_STATES, holdsLane, isFinal, type Transition } from "../../core/operations.ts";
import { preparedOn, type Q } from "./db.ts";
import * as t from "./schema.ts";

// Every gate decision reads the lane's holder and the run's operations.
const prepared = preparedOn((q) => ({
  holder: q
    .select()
    .from(t.operations)
    .where(
      and(
        eq(t.operations.repo, sql.placeholder("repo")),
        eq(t.operations.lane, sql.placeholder("lane")),
        inArray(t.operations.state, HOLDING_STATES),
      ),
    )
    .prepare(),
  forRun: q
    .select()
    .from(t.operations)
    .where(
      and(eq(t.operations.repo, sql.placeholder("repo")), eq(t.operations.runId, sql.placeholder("runId"))),
    )
    .prepare(),
}));

export type OperationRow = typeof t.operations.$inferSelect;

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

/** The operation holding a lane, if any. */
export function holderOf(q: Q, repo: string, lane: string): OperationRow | undefined {
  return prepared(q).holder.get({ repo, lane });
}

export function operationsForRun(q: Q, repo: string, runId: number): OperationRow[] {
  return prepared(q).forRun.all({ repo, runId });
}

export function operationById(q: Q, repo: string, id: number): OperationRow | undefined {
  return q
    .select()
    .from(t.operations)
    .where(and(eq(t.operations.repo, repo), eq(t.operations.id, id)))
    .get();
}

/** Every operation still holding a lane; `repo` narrows it to one repository. */
export function holdingOperations(q: Q, repo?: string): OperationRow[] {
  const holding = inArray(t.operations.state, HOLDING_STATES);
  return q
    .select()
    .from(t.operations)
    .where(repo ? and(eq(t.operations.repo, repo), holding) : holding)
    .all();
}

/** Holding operations whose lease ran out before `now`. */
export function pastLease(q: Q, now: Date): OperationRow[] {
  return q
    .select()
    .from(t.operations)
    .where(
      and(inArray(t.operations.state, HOLDING_STATES), lt(t.operations.leaseExpiresAt, now.toISOString())),
    )
    .all();
}

/** Applies a transition the core allowed; a final state records who ended it and when. */
export function applyTransition(q: Q, id: number, next: Transition, by: string, at: string) {
  const final = isFinal(next.state);
  q.update(t.operations)
    .set({
      state: next.state,
      ...(final ? { conclusion: next.conclusion, endedAt: at, endedBy: by } : {}),
    })
    .where(eq(t.operations.id, id))
    .run();
}

/** Whether a run attempt's operation still holds its lane. */
export function attemptHoldsLane(q: Q, repo: string, runId: number, attempt: number): boolean {
  return operationsForRun(q, repo, runId).some((o) => o.attempt === attempt && holdsLane(o.state));
}
