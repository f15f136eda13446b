// The rules over recorded runs, as tables: which refused run is cancelled.
import { describe, expect, it } from "vitest";
import { type CancelFacts, cancelsRun } from "../../src/core/gate/runs.ts";

describe("which run lanegate cancels", () => {
  const refused: CancelFacts = {
    cancelRefusedRuns: true,
    status: "in_progress",
    allowed: false,
    operations: [],
  };
  it.each<[string, Partial<CancelFacts>, boolean]>([
    ["a refused run still going", {}, true],
    ["a refused run still queued", { status: "queued" }, true],
    ["a refused run waiting for a reviewer", { status: "waiting" }, true],
    ["a refused run that finished", { status: "completed" }, false],
    ["an allowed run", { allowed: true }, false],
    ["a refused run when the config keeps refused runs", { cancelRefusedRuns: false }, false],
    ["a refused re-request of an attempt whose operation is requested", { operations: ["requested"] }, false],
    ["a refused re-request of an attempt in flight", { operations: ["in_flight"] }, false],
    ["a refused re-request of an attempt gone stale", { operations: ["stale"] }, false],
    ["a refused attempt whose operation completed", { operations: ["completed"] }, true],
    ["a refused attempt whose operation was cleared", { operations: ["cleared"] }, true],
    [
      "a refused attempt with a cleared and a holding operation",
      { operations: ["cleared", "in_flight"] },
      false,
    ],
  ])("%s", (_what, facts, expected) => {
    expect(cancelsRun({ ...refused, ...facts })).toBe(expected);
  });
});
