// Operations: an allowed run's hold on its lane, as a pure state machine. The store applies the
// transitions; this module alone says which are possible.
//
//   requested --run started--> in_flight
//   requested | in_flight --lease ran out--> stale
//   requested | in_flight | stale --run completed | run gone--> completed
//   requested | in_flight | stale --operator clears--> cleared
//
// completed and cleared are final. Every state before them holds the lane (single flight).

export const OPERATION_STATES = ["requested", "in_flight", "stale", "completed", "cleared"] as const;
export type OperationState = (typeof OPERATION_STATES)[number];

/** The states that hold the lane; the store's partial unique index lists the same ones. */
export const HOLDING_STATES = [
  "requested",
  "in_flight",
  "stale",
] as const satisfies readonly OperationState[];

export type OperationEvent =
  | { kind: "run_started" }
  | { kind: "run_completed"; conclusion: string | null }
  /** GitHub no longer has the run (deleted, or its repository moved): nothing is running. */
  | { kind: "run_gone" }
  | { kind: "lease_expired" }
  | { kind: "cleared" };

export interface Transition {
  state: OperationState;
  conclusion: string | null;
}

export function holdsLane(state: OperationState): boolean {
  return (HOLDING_STATES as readonly OperationState[]).includes(state);
}

/** The state an allowed run's operation opens in, from the run's status when it was allowed. */
export function openedState(runStatus: string): OperationState {
  return runStatus === "in_progress" ? "in_flight" : "requested";
}

/** The operation's next state after an event, or null when the event changes nothing. */
export function transition(state: OperationState, event: OperationEvent): Transition | null {
  if (!holdsLane(state)) return null;
  switch (event.kind) {
    case "run_started":
      return state === "requested" ? { state: "in_flight", conclusion: null } : null;
    case "lease_expired":
      return state === "stale" ? null : { state: "stale", conclusion: null };
    case "run_completed":
      return { state: "completed", conclusion: event.conclusion };
    case "run_gone":
      return { state: "completed", conclusion: "run not found" };
    case "cleared":
      return { state: "cleared", conclusion: null };
  }
}

/** Whether a state ends the operation: who ended it, and when, are recorded. */
export function isFinal(state: OperationState): boolean {
  return !holdsLane(state);
}

/** What a run's own report (a `workflow_run` delivery) means for its attempt's operation. */
export function eventOfReport(action: string, conclusion: string | null): OperationEvent | null {
  if (action === "completed") return { kind: "run_completed", conclusion };
  return action === "in_progress" ? { kind: "run_started" } : null;
}

/**
 * What GitHub says of a run now means for the operation of one of its attempts (the reconcile):
 * a newer attempt supersedes it, the same attempt completed ends it, anything else (the attempt
 * still going) changes nothing.
 */
export function eventOfLiveRun(
  attempt: number,
  live: { attempt: number; status: string; conclusion: string | null },
): OperationEvent | null {
  if (live.attempt > attempt) return { kind: "run_completed", conclusion: "superseded" };
  if (live.attempt === attempt && live.status === "completed")
    return { kind: "run_completed", conclusion: live.conclusion };
  return null;
}
