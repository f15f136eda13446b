// The grant plan is pure: properties over any rows and any outcomes.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { LaneState } from "../../src/core/domain.ts";
import { type ExistingGrant, planGrants } from "../../src/core/lanes/grant-plan.ts";
import type { IssueOutcome, LaneOutcome } from "../../src/core/lanes/lifecycle.ts";

const STATES: LaneState[] = ["pending", "active", "suspended", "retired", "expired", "invalid", "conflict"];
const LANES = ["cm/testing", "cm/prod", "opw/prod"];
const SHAS = ["a", "b", null];

const outcome = fc.record({
  lane: fc.constantFrom(...LANES),
  state: fc.constantFrom(...STATES),
  reason: fc.constantFrom("r1", "r2"),
  blockSha: fc.constantFrom(...SHAS),
  labelEventId: fc.constantFrom("e1", "e2", null),
});
const row = fc.record({
  lane: fc.constantFrom(...LANES),
  issueNumber: fc.constantFrom(1, 2),
  blockSha: fc.constantFrom(...SHAS),
  labelEventId: fc.constantFrom("e1", "e2", null),
  state: fc.constantFrom(...STATES.filter((s) => s !== "retired" && s !== "expired")),
  reason: fc.constantFrom("r1", "r2"),
  wasActive: fc.boolean(),
});

const toOutcome = (o: {
  lane: string;
  state: LaneState;
  reason: string;
  blockSha: string | null;
  labelEventId: string | null;
}): LaneOutcome => ({
  ...o,
  policy: null,
  approver: null,
  approvedAt: null,
  expiresAt: null,
  labeledAt: null,
  endedBy: null,
  approvals: { required: 1, by: [] },
});

function issues(lanes: (typeof outcome extends fc.Arbitrary<infer T> ? T : never)[][]): IssueOutcome[] {
  return lanes.map((l, i) => ({
    number: i + 1,
    block: { kind: "invalid", sha256: null, laneIds: [], errors: [], absent: true },
    needsRead: false,
    // One outcome per lane per issue, as the lifecycle derives them.
    lanes: [...new Map(l.map((o) => [o.lane, toOutcome(o)])).values()],
  }));
}

// Rows as the store can hold them: at most one open row per claim (issue, lane, block, label).
const world = fc.tuple(
  fc
    .uniqueArray(row, {
      maxLength: 6,
      selector: (r) => `${r.issueNumber} ${r.lane} ${r.blockSha} ${r.labelEventId}`,
    })
    .map((rows): ExistingGrant[] => rows.map((r, id) => ({ ...r, id: id + 1 }))),
  fc.array(fc.array(outcome, { maxLength: 4 }), { minLength: 1, maxLength: 2 }),
);

/** Applies a plan to rows the way the store does: open rows, and the history that keeps ended ones. */
function apply(rows: ExistingGrant[], plan: ReturnType<typeof planGrants>) {
  let open = rows.map((r) => ({ ...r }));
  const history = rows.map((r) => ({ ...r }));
  let id = 1000;
  for (const c of plan) {
    if (c.kind === "retire") {
      open = open.filter((r) => r.id !== c.id);
      continue;
    }
    const to = c.to;
    const fields = {
      blockSha: to.blockSha,
      labelEventId: to.labelEventId,
      state: to.state,
      reason: to.reason,
    };
    const rowId = c.kind === "update" ? c.id : id++;
    const was = open.find((r) => r.id === rowId);
    const next = {
      id: rowId,
      lane: c.lane,
      issueNumber: c.issue,
      wasActive: (was?.wasActive ?? false) || to.state === "active",
      ...fields,
    };
    open = [...open.filter((r) => r.id !== rowId), ...(c.ends ? [] : [next])];
    history.push(next);
  }
  return { open, history };
}

describe("planGrants", () => {
  it("reaches a fixed point: planning again over the applied rows changes nothing", () => {
    fc.assert(
      fc.property(world, ([rows, lanes]) => {
        const outcomes = issues(lanes);
        const open = rows.filter((r) => outcomes.some((o) => o.number === r.issueNumber));
        const after = apply(open, planGrants(open, open, outcomes));
        expect(planGrants(after.open, after.history, outcomes)).toEqual([]);
      }),
    );
  });

  it("never touches a row of an issue it was not given", () => {
    fc.assert(
      fc.property(world, ([rows, lanes]) => {
        const outcomes = issues(lanes).filter((o) => o.number === 1);
        const plan = planGrants(rows, rows, outcomes);
        const touched = plan.flatMap((c) => (c.kind === "insert" ? [] : [c.id]));
        for (const id of touched) expect(rows.find((r) => r.id === id)?.issueNumber).toBe(1);
      }),
    );
  });

  it("leaves every non-ended outcome held by exactly one open row", () => {
    fc.assert(
      fc.property(world, ([rows, lanes]) => {
        const outcomes = issues(lanes);
        const open = rows.filter((r) => outcomes.some((o) => o.number === r.issueNumber));
        const after = apply(open, planGrants(open, open, outcomes)).open;
        for (const issue of outcomes)
          for (const l of issue.lanes.filter((x) => x.state !== "retired" && x.state !== "expired")) {
            const holders = after.filter(
              (r) =>
                r.issueNumber === issue.number &&
                r.lane === l.lane &&
                r.blockSha === l.blockSha &&
                r.labelEventId === l.labelEventId,
            );
            expect(holders.map((h) => h.state)).toEqual([l.state]);
          }
      }),
    );
  });

  it("never reuses a row that was once an active grant for another block", () => {
    fc.assert(
      fc.property(world, ([rows, lanes]) => {
        const outcomes = issues(lanes);
        for (const c of planGrants(rows, rows, outcomes)) {
          if (c.kind !== "update") continue;
          const before = rows.find((r) => r.id === c.id);
          const sameClaim = before?.blockSha === c.to.blockSha && before?.labelEventId === c.to.labelEventId;
          if (before?.wasActive) expect(sameClaim).toBe(true);
        }
      }),
    );
  });
});
