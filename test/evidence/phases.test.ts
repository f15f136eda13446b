import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { JOB_STATUSES, mergePhase, type PhaseRecord } from "../../src/core/evidence/phases.ts";

const at = (m: number) => `2026-11-23T10:${String(m).padStart(2, "0")}:00Z`;
const deliveries: PhaseRecord[] = [
  {
    phase: "bootstrap",
    job: "bootstrap",
    status: "queued",
    conclusion: null,
    started_at: null,
    completed_at: null,
  },
  {
    phase: "bootstrap",
    job: "bootstrap",
    status: "in_progress",
    conclusion: null,
    started_at: at(1),
    completed_at: null,
  },
  {
    phase: "bootstrap",
    job: "bootstrap",
    status: "completed",
    conclusion: "success",
    started_at: at(1),
    completed_at: at(9),
  },
];
const fold = (list: PhaseRecord[]) => list.reduce<PhaseRecord | null>((s, u) => mergePhase(s, u), null);

describe("merging workflow_job deliveries into a phase", () => {
  it("in order ends completed with both times", () => {
    expect(fold(deliveries)).toEqual(deliveries[2]);
  });

  it("a late in_progress after completed changes nothing", () => {
    const done = fold(deliveries);
    expect(mergePhase(done, deliveries[1] as PhaseRecord)).toEqual(done);
  });

  it("any order, with any duplicates, gives the in-order result", () => {
    const withDuplicates = fc.array(fc.constantFrom(...deliveries), { minLength: 0, maxLength: 6 });
    fc.assert(
      fc.property(fc.shuffledSubarray(deliveries, { minLength: 3 }), withDuplicates, (shuffled, extra) => {
        expect(fold([...shuffled, ...extra])).toEqual(deliveries[2]);
      }),
    );
  });

  it("ranks statuses as GitHub moves through them", () => {
    expect(JOB_STATUSES).toEqual(["queued", "waiting", "in_progress", "completed"]);
  });
});
