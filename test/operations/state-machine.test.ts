// The operation state machine: every transition, and properties over any sequence of events.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  eventOfLiveRun,
  eventOfReport,
  holdsLane,
  isFinal,
  OPERATION_STATES,
  type OperationEvent,
  type OperationState,
  openedState,
  transition,
} from "../../src/core/operations.ts";

const EVENTS: OperationEvent[] = [
  { kind: "run_started" },
  { kind: "run_completed", conclusion: "success" },
  { kind: "run_completed", conclusion: "failure" },
  { kind: "run_gone" },
  { kind: "lease_expired" },
  { kind: "cleared" },
];

describe("operation transitions", () => {
  it.each([
    ["requested", { kind: "run_started" }, "in_flight"],
    ["requested", { kind: "lease_expired" }, "stale"],
    ["requested", { kind: "run_completed", conclusion: "cancelled" }, "completed"],
    ["requested", { kind: "cleared" }, "cleared"],
    ["in_flight", { kind: "run_started" }, null],
    ["in_flight", { kind: "lease_expired" }, "stale"],
    ["in_flight", { kind: "run_completed", conclusion: "success" }, "completed"],
    ["in_flight", { kind: "run_gone" }, "completed"],
    ["in_flight", { kind: "cleared" }, "cleared"],
    ["stale", { kind: "run_started" }, null],
    ["stale", { kind: "lease_expired" }, null],
    ["stale", { kind: "run_completed", conclusion: "success" }, "completed"],
    ["stale", { kind: "run_gone" }, "completed"],
    ["stale", { kind: "cleared" }, "cleared"],
    ["completed", { kind: "cleared" }, null],
    ["completed", { kind: "run_started" }, null],
    ["cleared", { kind: "run_completed", conclusion: "success" }, null],
  ] as [OperationState, OperationEvent, OperationState | null][])("%s + %o -> %s", (from, event, to) => {
    expect(transition(from, event)?.state ?? null).toBe(to);
  });

  it("keeps the run's conclusion when it completes, and names a vanished run", () => {
    expect(transition("in_flight", { kind: "run_completed", conclusion: "failure" })).toEqual({
      state: "completed",
      conclusion: "failure",
    });
    expect(transition("stale", { kind: "run_gone" })?.conclusion).toBe("run not found");
  });

  it("opens in flight only for a run already in progress", () => {
    expect(openedState("in_progress")).toBe("in_flight");
    expect(openedState("queued")).toBe("requested");
    expect(openedState("requested")).toBe("requested");
  });
});

describe("operations over any sequence of events (property)", () => {
  const start = fc.constantFrom<OperationState>("requested", "in_flight");
  const events = fc.array(fc.constantFrom(...EVENTS), { maxLength: 12 });
  const run = (s: OperationState, es: OperationEvent[]) =>
    es.reduce<OperationState>((state, e) => transition(state, e)?.state ?? state, s);

  it("ends in a known state, and a final state never changes again", () => {
    fc.assert(
      fc.property(start, events, events, (s, first, more) => {
        const mid = run(s, first);
        expect(OPERATION_STATES).toContain(mid);
        if (!holdsLane(mid)) expect(run(mid, more)).toBe(mid);
      }),
    );
  });

  it("frees the lane exactly when a completion, a vanished run or a clear has happened", () => {
    fc.assert(
      fc.property(start, events, (s, es) => {
        const ended = es.some(
          (e) => e.kind === "run_completed" || e.kind === "run_gone" || e.kind === "cleared",
        );
        expect(holdsLane(run(s, es))).toBe(!ended);
      }),
    );
  });

  it("never goes back to requested, and never leaves stale except to end", () => {
    fc.assert(
      fc.property(fc.constantFrom(...OPERATION_STATES), fc.constantFrom(...EVENTS), (s, e) => {
        const next = transition(s, e)?.state;
        if (next) expect(next).not.toBe("requested");
        if (s === "stale" && next) expect(["completed", "cleared"]).toContain(next);
      }),
    );
  });
});

describe("what a run's report means for its operation", () => {
  it.each([
    ["requested", "success", null],
    ["in_progress", null, { kind: "run_started" }],
    ["completed", "success", { kind: "run_completed", conclusion: "success" }],
    ["completed", "cancelled", { kind: "run_completed", conclusion: "cancelled" }],
    ["completed", null, { kind: "run_completed", conclusion: null }],
    ["waiting", null, null],
  ] as const)("workflow_run.%s (conclusion %s) -> %j", (action, conclusion, expected) => {
    expect(eventOfReport(action, conclusion)).toEqual(expected);
  });
});

describe("what GitHub's answer about a run means for an operation of attempt 2 (the reconcile)", () => {
  it.each([
    [
      { attempt: 3, status: "in_progress", conclusion: null },
      { kind: "run_completed", conclusion: "superseded" },
    ],
    [
      { attempt: 3, status: "completed", conclusion: "success" },
      { kind: "run_completed", conclusion: "superseded" },
    ],
    [
      { attempt: 2, status: "completed", conclusion: "failure" },
      { kind: "run_completed", conclusion: "failure" },
    ],
    [{ attempt: 2, status: "in_progress", conclusion: null }, null],
    [{ attempt: 2, status: "queued", conclusion: null }, null],
    // An older attempt answering means GitHub has not caught up: nothing is decided from it.
    [{ attempt: 1, status: "completed", conclusion: "success" }, null],
  ] as const)("%j -> %j", (live, expected) => {
    expect(eventOfLiveRun(2, live)).toEqual(expected);
  });
});

describe("final states", () => {
  it("are exactly the states that hold no lane, and record who ended them", () => {
    expect(OPERATION_STATES.filter(isFinal)).toEqual(["completed", "cleared"]);
  });
});
