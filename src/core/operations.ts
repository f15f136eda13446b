// Operations: an allowed run's hold on its lane, as a pure state machine.
export const OPERATION_STATES = ["requested", "in_flight", "stale", "completed", "cleared"] as const;
export type OperationState = (typeof OPERATION_STATES)[number];
