// Moves operations through the core's state machine: a run reports back, a lease runs out, the
// reconcile asks GitHub, or an operator clears one. Each change is audited with its cause.
import { appendAudit } from "../adapters/store/audit.ts";
import type { Q } from "../adapters/store/db.ts";
import { applyTransition, type OperationRow, operationById } from "../adapters/store/operations.ts";
import { type OperationEvent, transition } from "../core/operations.ts";
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
export function moveOperation(
  q: Q,
  op: OperationRow,
  event: OperationEvent,
  cause: Cause,
  at: string,
): boolean {
  const next = transition(op.state, event);
  if (!next) return false;
  applyTransition(q, op.id, next, cause.by, at);
  // Nobody knows what a run past its lease, or a run GitHub no longer has, did: the lane's
  // inventory says so in this transaction.
  if (next.state === "stale") staleOnLeaseExpiry(q, op, at);
  if (event.kind === "run_gone") staleOnRunGone(q, op, at);
  appendAudit(q, {
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
export function clearOperation(
  q: Q,
  repo: string,
  id: number,
  by: string,
  why: string,
  at: string,
): OperationRow {
  const op = operationById(q, repo, id);
  if (!op) throw new Error(`no operation ${id} in ${repo}`);
  const cause = { by, event: "operator", actor: by, deliveryId: null, why };
  if (!moveOperation(q, op, { kind: "cleared" }, cause, at))
    throw new Error(`operation ${id} is already ${op.state}`);
  return op;
}
