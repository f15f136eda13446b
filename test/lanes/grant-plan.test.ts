// The grant plan as a table: for given open rows, history and outcomes, the exact changes. The
// properties (grant-plan.property.test.ts) hold for any input but do not say which change is the
// right one; these cases do. Written for the mutants Stryker found; see docs/architecture.md.
import { describe, expect, it } from "vitest";
import type { LaneState } from "../../src/core/domain.ts";
import {
  describeChange,
  type ExistingGrant,
  type GrantChange,
  planGrants,
} from "../../src/core/lanes/grant-plan.ts";
import type { IssueOutcome, LaneOutcome } from "../../src/core/lanes/lifecycle.ts";

const row = (over: Partial<ExistingGrant> = {}): ExistingGrant => ({
  id: 1,
  lane: "cm/testing",
  issueNumber: 7,
  blockSha: "a",
  labelEventId: "e1",
  state: "active",
  reason: "approved by mia",
  wasActive: true,
  ...over,
});

const lane = (state: LaneState, over: Partial<LaneOutcome> = {}): LaneOutcome => ({
  lane: "cm/testing",
  state,
  reason: `${state} reason`,
  policy: null,
  blockSha: "a",
  labelEventId: "e1",
  approver: null,
  approvedAt: null,
  expiresAt: null,
  labeledAt: null,
  endedBy: null,
  approvals: null,
  ...over,
});

const issue = (lanes: LaneOutcome[], number = 7): IssueOutcome => ({
  number,
  block: { kind: "invalid", sha256: null, laneIds: [], errors: [], absent: true },
  needsRead: false,
  lanes,
});

/** The plan without the reasons of retirements, which are sentences; `reasons` returns them. */
const shape = (plan: GrantChange[]) =>
  plan.map((c) =>
    c.kind === "retire"
      ? { kind: c.kind, id: c.id, lane: c.lane, from: c.from }
      : c.kind === "update"
        ? { kind: c.kind, id: c.id, lane: c.lane, from: c.from, to: c.to.state, ends: c.ends }
        : { kind: c.kind, lane: c.lane, to: c.to.state, ends: c.ends },
  );
const reasons = (plan: GrantChange[]) => plan.flatMap((c) => (c.kind === "retire" ? [c.reason] : []));

describe("planGrants, row by row", () => {
  it("changes nothing when every outcome is held by a row in the same state for the same reason", () => {
    const o = lane("active", { reason: "approved by mia" });
    expect(planGrants([row()], [row()], [issue([o])])).toEqual([]);
  });

  it("updates a row whose state stays but whose reason changed", () => {
    const o = lane("active", { reason: "approved by mia, max" });
    expect(shape(planGrants([row()], [row()], [issue([o])]))).toEqual([
      { kind: "update", id: 1, lane: "cm/testing", from: "active", to: "active", ends: false },
    ]);
  });

  it("updates a row whose state changed, even under the same reason", () => {
    const o = lane("suspended", { reason: "approved by mia" });
    expect(shape(planGrants([row()], [row()], [issue([o])]))).toEqual([
      { kind: "update", id: 1, lane: "cm/testing", from: "active", to: "suspended", ends: false },
    ]);
  });

  it("ends a row whose own claim expired", () => {
    expect(shape(planGrants([row()], [row()], [issue([lane("expired")])]))).toEqual([
      { kind: "update", id: 1, lane: "cm/testing", from: "active", to: "expired", ends: true },
    ]);
  });

  it("retires a grant that was active for an older block and opens a row for the new one", () => {
    const o = lane("active", { blockSha: "b" });
    expect(shape(planGrants([row()], [row()], [issue([o])]))).toEqual([
      { kind: "retire", id: 1, lane: "cm/testing", from: "active" },
      { kind: "insert", lane: "cm/testing", to: "active", ends: false },
    ]);
  });

  it("carries a claim that never became a grant forward to the new block, in one update", () => {
    const pending = row({ state: "pending", reason: "waiting", wasActive: false });
    const o = lane("invalid", { blockSha: "b", labelEventId: "e2" });
    const plan = planGrants([pending], [pending], [issue([o])]);
    expect(shape(plan)).toEqual([
      { kind: "update", id: 1, lane: "cm/testing", from: "pending", to: "invalid", ends: false },
    ]);
    expect(plan[0]).toMatchObject({ to: { blockSha: "b", labelEventId: "e2" } });
  });

  it("does not carry a claim forward into an ended outcome: it retires, and the end needs no row", () => {
    const pending = row({ state: "pending", wasActive: false });
    const o = lane("retired", { blockSha: "b" });
    expect(shape(planGrants([pending], [pending], [issue([o])]))).toEqual([
      { kind: "retire", id: 1, lane: "cm/testing", from: "pending" },
    ]);
  });

  it("does not carry a claim forward onto an outcome another row already holds", () => {
    const old = row({ id: 1, state: "pending", wasActive: false });
    const held = row({ id: 2, blockSha: "b", state: "pending", reason: "pending reason", wasActive: false });
    const o = lane("pending", { blockSha: "b" });
    expect(shape(planGrants([old, held], [old, held], [issue([o])]))).toEqual([
      { kind: "retire", id: 1, lane: "cm/testing", from: "pending" },
    ]);
  });

  it("carries a claim forward only within its own lane", () => {
    const pending = row({ state: "pending", wasActive: false });
    const o = lane("pending", { lane: "cm/prod", blockSha: "b" });
    expect(shape(planGrants([pending], [pending], [issue([o])]))).toEqual([
      { kind: "retire", id: 1, lane: "cm/testing", from: "pending" },
      { kind: "insert", lane: "cm/prod", to: "pending", ends: false },
    ]);
  });

  it("tells a lane dropped from the block from a lane whose block was replaced", () => {
    const prod = row({ id: 2, lane: "cm/prod" });
    const o = lane("active", { blockSha: "b" });
    const plan = planGrants([row(), prod], [row(), prod], [issue([o])]);
    expect(shape(plan).filter((c) => c.kind === "retire")).toEqual([
      { kind: "retire", id: 1, lane: "cm/testing", from: "active" },
      { kind: "retire", id: 2, lane: "cm/prod", from: "active" },
    ]);
    // The cause is a fact the operator needs in the audit line: replaced, or no longer asked for.
    const [replaced, dropped] = reasons(plan);
    expect(replaced).toMatch(/replaced/);
    expect(dropped).toMatch(/no longer in the block/);
  });

  it("calls a lane replaced when the block names it among others", () => {
    const o = [lane("active", { blockSha: "b" }), lane("active", { lane: "cm/prod", blockSha: "b" })];
    expect(reasons(planGrants([row()], [row()], [issue(o)]))).toEqual([expect.stringMatching(/replaced/)]);
  });
});

describe("planGrants, outcomes no open row holds", () => {
  it("inserts a row for an expiry first seen after the fact", () => {
    expect(shape(planGrants([], [], [issue([lane("expired")])]))).toEqual([
      { kind: "insert", lane: "cm/testing", to: "expired", ends: true },
    ]);
  });

  it("inserts nothing for a retirement no open row holds: the grant is over or never started", () => {
    expect(planGrants([], [], [issue([lane("retired")])])).toEqual([]);
  });

  it("inserts no second row for an expiry the history already holds", () => {
    const ended = row({ state: "expired" });
    expect(planGrants([], [ended], [issue([lane("expired")])])).toEqual([]);
  });

  it.each<[string, Partial<ExistingGrant>]>([
    ["the same claim on another issue", { issueNumber: 8 }],
    ["another claim on the same issue", { blockSha: "b" }],
    ["another lane on the same issue", { lane: "cm/prod" }],
  ])("still inserts an expiry when the history holds only %s", (_, over) => {
    const other = row({ state: "expired", ...over });
    expect(shape(planGrants([], [other], [issue([lane("expired")])]))).toEqual([
      { kind: "insert", lane: "cm/testing", to: "expired", ends: true },
    ]);
  });
});

describe("describeChange", () => {
  const o = lane("active", { reason: "approved by mia" });
  it.each<[GrantChange, string[]]>([
    [
      { kind: "update", id: 1, issue: 7, lane: "cm/testing", from: "pending", to: o, ends: false },
      ["pending", "active", "approved by mia"],
    ],
    [
      { kind: "retire", id: 1, issue: 7, lane: "cm/testing", from: "active", reason: "gone" },
      ["active", "retired", "gone"],
    ],
    [{ kind: "insert", issue: 7, lane: "cm/testing", to: o, ends: false }, ["active", "approved by mia"]],
  ])("names the states and the reason of a change (%#)", (change, facts) => {
    const line = describeChange(change);
    for (const fact of facts) expect(line).toContain(fact);
  });
});
