// What lanegate does with the runs it recorded, as rules over plain facts: the store fetches the
// candidate rows, the pipelines ask here, and apply the answer.
import { holdsLane, type OperationState } from "../operations.ts";

/** What the cancel of a refused run depends on, for one attempt. */
export interface CancelFacts {
  /** `gate.cancel_refused_runs` in the config in force. */
  cancelRefusedRuns: boolean;
  /** The attempt's status as lanegate knows it: a finished attempt has nothing to cancel. */
  status: string;
  /** Whether the attempt's decision (the newest made for it) allowed it. */
  allowed: boolean;
  /** The states of the operations the attempt opened. */
  operations: readonly OperationState[];
}

/**
 * Whether lanegate cancels the run: refused, not finished, and the config asks for it. An
 * attempt allowed earlier and still holding its lane is never cancelled by a later refusal (a
 * re-request during a GitHub fault, a grant retired since): stopping a wipe half-way is worse.
 */
export function cancelsRun(f: CancelFacts): boolean {
  return f.cancelRefusedRuns && !f.allowed && f.status !== "completed" && !f.operations.some(holdsLane);
}
