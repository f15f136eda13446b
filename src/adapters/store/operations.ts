// SQL for operations: an allowed run's hold on its lane. Which transitions are possible is the
// core's business (src/core/operations.ts); this file only reads and writes the rows.
import { and, eq, inArray, lt, sql } from "drizzle-orm";
import { HOLDING_STATES, isFinal, type Transition } from "../../core/operations.ts";
import { first, type Q, tables } from "./db.ts";
import { equalsParam, insertPlaceholders, insertValues, param, preparedOn } from "./prepared.ts";
import type * as s from "./schema.ts";

// Every gate decision reads the lane's holder and the run's operations.
const prepared = preparedOn((q, t) => ({
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
  open: q
    .insert(t.operations)
    .values(insertPlaceholders(t.operations))
    .onConflictDoNothing()
    .returning()
    .prepare(),
  move: q
    .update(t.operations)
    .set({ state: param("state") })
    .where(equalsParam(t.operations.id, "id"))
    .prepare(),
  end: q
    .update(t.operations)
    .set({
      state: param("state"),
      conclusion: param("conclusion"),
      endedAt: param("at"),
      endedBy: param("by"),
    })
    .where(equalsParam(t.operations.id, "id"))
    .prepare(),
  linkDecision: q
    .update(t.operations)
    .set({ decisionId: param("decisionId") })
    .where(equalsParam(t.operations.id, "id"))
    .prepare(),
}));

export type OperationRow = typeof s.operations.$inferSelect;

export class LaneBusy extends Error {}

/**
 * Opens an operation; the partial unique index turns a second one on the lane into LaneBusy. The
 * refused row is skipped (`on conflict do nothing`) rather than failed, so on PostgreSQL the
 * gate's transaction stays usable without a savepoint around the insert.
 */
export async function openOperation(
  q: Q,
  op: Omit<typeof s.operations.$inferInsert, "id">,
): Promise<OperationRow> {
  const row = await first(prepared(q).open.execute(insertValues(tables(q).operations, op)));
  if (!row) throw new LaneBusy();
  return row;
}

export async function linkDecision(q: Q, operationId: number, decisionId: number) {
  await prepared(q).linkDecision.execute({ id: operationId, decisionId });
}

/** The operation holding a lane, if any. */
export function holderOf(q: Q, repo: string, lane: string): Promise<OperationRow | undefined> {
  return first(prepared(q).holder.execute({ repo, lane }));
}

export async function operationsForRun(q: Q, repo: string, runId: number): Promise<OperationRow[]> {
  return prepared(q).forRun.execute({ repo, runId });
}

export function operationById(q: Q, repo: string, id: number): Promise<OperationRow | undefined> {
  const t = tables(q);
  return first(
    q
      .select()
      .from(t.operations)
      .where(and(eq(t.operations.repo, repo), eq(t.operations.id, id))),
  );
}

/** Every operation still holding a lane; `repo` narrows it to one repository. */
export async function holdingOperations(q: Q, repo?: string): Promise<OperationRow[]> {
  const t = tables(q);
  const holding = inArray(t.operations.state, HOLDING_STATES);
  return q
    .select()
    .from(t.operations)
    .where(repo ? and(eq(t.operations.repo, repo), holding) : holding);
}

/** Holding operations whose lease ran out before `now`. */
export async function pastLease(q: Q, now: Date): Promise<OperationRow[]> {
  const t = tables(q);
  return q
    .select()
    .from(t.operations)
    .where(
      and(inArray(t.operations.state, HOLDING_STATES), lt(t.operations.leaseExpiresAt, now.toISOString())),
    );
}

/** Applies a transition the core allowed; a final state records who ended it and when. */
export async function applyTransition(q: Q, id: number, next: Transition, by: string, at: string) {
  const queries = prepared(q);
  if (isFinal(next.state))
    await queries.end.execute({ id, state: next.state, conclusion: next.conclusion, at, by });
  else await queries.move.execute({ id, state: next.state });
}
