// Moves operations through the core's state machine: a run reports back, a lease runs out, the
// reconcile asks GitHub, or an operator clears one. Each change is audited with its cause.
import { describe, type Octokit, statusOf } from "../adapters/github/client.ts";
import { readRun } from "../adapters/github/gate.ts";
import { appendAudit } from "../adapters/store/audit.ts";
import { type Q, read, transaction } from "../adapters/store/db.ts";
import {
  applyTransition,
  holdingOperations,
  type OperationRow,
  operationById,
} from "../adapters/store/operations.ts";
import * as runStore from "../adapters/store/runs.ts";
import { eventOfLiveRun, type OperationEvent, transition } from "../core/operations.ts";
import { refOf } from "../core/repository.ts";
import { storedTarget } from "./config.ts";
import type { GateDeps } from "./deps.ts";
import { onRunCompleted } from "./evidence/collect.ts";
import { staleOnLeaseExpiry, staleOnRunGone } from "./evidence/lease.ts";

export interface Cause {
  /** Who or what ended it: `workflow_run.completed`, `reconcile`, an operator's name. */
  by: string;
  event: string;
  actor: string | null;
  deliveryId: string | null;
  /** Why, in the operator's words, for a clear. */
  why?: string;
}

/** Applies one event to one operation; returns whether anything changed. */
export async function moveOperation(
  q: Q,
  op: OperationRow,
  event: OperationEvent,
  cause: Cause,
  at: string,
): Promise<boolean> {
  const next = transition(op.state, event);
  if (!next) return false;
  await applyTransition(q, op.id, next, cause.by, at);
  // Nobody knows what a run past its lease, or a run GitHub no longer has, did: the lane's
  // inventory says so in this transaction.
  if (next.state === "stale") await staleOnLeaseExpiry(q, op, at);
  if (event.kind === "run_gone") await staleOnRunGone(q, op, at);
  await appendAudit(q, {
    repo: op.repo,
    deliveryId: cause.deliveryId,
    event: cause.event,
    actor: cause.actor,
    subject: op.lane,
    change: describeMove(op, next.state, next.conclusion, cause.why),
    at,
  });
  return true;
}

function describeMove(op: OperationRow, state: string, conclusion: string | null, why?: string): string {
  const what = `operation ${op.id} (run ${op.runId})`;
  switch (state) {
    case "in_flight":
      return `${what} is in flight`;
    case "stale":
      return `${what} outlived its lease; the lane stays blocked until reconciled`;
    case "cleared":
      return `${what} cleared: ${why ?? "no reason given"}`;
    default:
      return `${what} ended: ${conclusion ?? "no conclusion"}`;
  }
}

/** An operator ends a stuck operation by hand; the audit log keeps who and why. */
export async function clearOperation(
  q: Q,
  repo: string,
  id: number,
  by: string,
  why: string,
  at: string,
): Promise<OperationRow> {
  const op = await operationById(q, repo, id);
  if (!op) throw new Error(`no operation ${id} in ${repo}`);
  const cause = { by, event: "operator", actor: by, deliveryId: null, why };
  if (!(await moveOperation(q, op, { kind: "cleared" }, cause, at)))
    throw new Error(`operation ${id} is already ${op.state}`);
  return op;
}

/**
 * Asks GitHub about every operation still holding a lane, not only those past their lease: a
 * missed `completed` delivery then frees the lane at the next reconcile (every 15 minutes).
 * Returns the failures; one operation GitHub cannot tell about does not stop the others.
 */
export async function reconcileOperations(deps: GateDeps, octokit: Octokit, repo: string): Promise<string[]> {
  const failures: string[] = [];
  for (const op of await read(deps.db, (q) => holdingOperations(q, repo))) {
    let event: OperationEvent | null;
    try {
      event = eventOfLiveRun(op.attempt, await readRun(octokit, refOf(repo), op.runId));
      if (!event) continue;
    } catch (error) {
      if (statusOf(error) !== 404) {
        failures.push(`${repo}: operation ${op.id} (run ${op.runId}) not reconciled: ${describe(error)}`);
        continue;
      }
      event = { kind: "run_gone" };
    }
    const cause = { by: "reconcile", event: "reconcile", actor: null, deliveryId: null };
    const at = deps.now().toISOString();
    // Read again in the transaction: another replica, or a delivery, may have moved it since.
    const moved = await transaction(deps.db, async (q) => {
      const current = await operationById(q, repo, op.id);
      return current !== undefined && (await moveOperation(q, current, event, cause, at));
    });
    if (!moved) continue;
    // The completed delivery was missed, so its evidence was never collected: collect it now, so
    // the lane's inventory says what the run did (or goes stale when it left no artifact).
    const run = await read(deps.db, (q) => runStore.getRun(q, repo, op.runId));
    if (run && event.kind === "run_completed") {
      const completed = { ...run, attempt: op.attempt, conclusion: event.conclusion, completedAt: at };
      await onRunCompleted(deps, octokit, await storedTarget(deps.db, repo), completed).catch((e: unknown) =>
        failures.push(`${repo}: evidence of run ${op.runId} not collected: ${describe(e)}`),
      );
    }
  }
  return failures;
}
