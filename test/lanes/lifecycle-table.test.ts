// The lifecycle as a table of structured outcomes: for each rule, the facts that reach it and the
// state, fields and facts (logins, dates, counts) each lane then carries. Sentences are not
// pinned; a fact an operator needs from one is. Written for the mutants Stryker found; see
// docs/architecture.md, Mutation testing.
import { describe, expect, it } from "vitest";
import type { LaneState } from "../../src/core/domain.ts";
import type { IssueFacts } from "../../src/core/lanes/facts.ts";
import { resolveConflicts } from "../../src/core/lanes/lifecycle.ts";
import { readPolicyBlock } from "../../src/core/policy/block.ts";
import { cmOpwApprovalBody } from "../../standin/demo.ts";
import { approval, approvers, derive, event, facts, NOW, standing, statesOf } from "./issue-fixture.ts";

const LANES = ["cm/testing", "cm/prod", "opw/testing", "opw/prod"];
const EXPIRES = "2027-03-31T00:00:00.000Z";
const AFTER_EXPIRY = new Date("2027-04-01T00:00:00Z");
const reasons = (o: ReturnType<typeof derive>) => [...new Set(o.lanes.map((l) => l.reason))];
/** The one reason every lane shares. */
const reason = (o: ReturnType<typeof derive>) => {
  expect(reasons(o)).toHaveLength(1);
  return reasons(o)[0] ?? "";
};
const maxIs = (role: string) => facts({ standings: [standing(), standing({ login: "max", role })] });

describe("deriveIssue: what every lane carries", () => {
  it.each<[string, IssueFacts["presence"]]>([
    ["closed", "closed"],
    ["deleted", "deleted"],
    ["transferred", "transferred"],
  ])("a %s issue retires every lane, and still shows its approval, label and block", (word, presence) => {
    const o = derive(facts({ presence, presenceActor: "max" }));
    expect(o.needsRead).toBe(false);
    expect(reason(o)).toContain(word);
    expect(reason(o)).toContain("max");
    expect(
      o.lanes.map(({ lane, state, endedBy, approver, approvedAt, labelEventId, labeledAt, expiresAt }) => ({
        lane,
        state,
        endedBy,
        approver,
        approvedAt,
        labelEventId,
        labeledAt,
        expiresAt,
      })),
    ).toEqual(
      LANES.map((lane) => ({
        lane,
        state: "retired",
        endedBy: "max",
        approver: "mia",
        approvedAt: "2026-11-23T09:00:00Z",
        labelEventId: "2026-11-23T09:00:00Z",
        labeledAt: "2026-11-23T09:00:00Z",
        expiresAt: EXPIRES,
      })),
    );
    expect(o.lanes.map((l) => l.policy?.lane)).toEqual(LANES);
  });

  it("gives each active lane its own policy, the approval, and no read to wait for", () => {
    const o = derive(facts());
    expect(o.needsRead).toBe(false);
    expect(o.lanes.map((l) => [l.lane, l.state, l.policy?.lane, l.policy?.data_authority])).toEqual([
      ["cm/testing", "active", "cm/testing", "resettable"],
      ["cm/prod", "active", "cm/prod", "resettable"],
      ["opw/testing", "active", "opw/testing", "restorable"],
      ["opw/prod", "active", "opw/prod", "restorable"],
    ]);
    expect(o.lanes[0]).toMatchObject({
      approver: "mia",
      expiresAt: EXPIRES,
      approvals: { required: 1, by: ["mia"] },
    });
  });

  it("takes the earliest approval of this version, whatever order they come in", () => {
    const o = derive(maxIs("maintain"), [approval("max", "2026-11-23T09:20:00Z"), approval("mia")]);
    expect(statesOf(o)).toEqual(["active"]);
    expect(o.lanes[0]).toMatchObject({
      approver: "mia",
      approvedAt: "2026-11-23T09:00:00Z",
      approvals: { required: 1, by: ["mia", "max"] },
    });
    // Who approved is a fact the status comment must name, each login as itself.
    expect(reason(o)).toMatch(/\bmia\b/);
    expect(reason(o)).toMatch(/\bmax\b/);
  });

  it("counts no approval of another version of the block", () => {
    const o = derive(facts(), [approval("mia", "2026-11-23T09:00:00Z", "labeled", "f".repeat(64))]);
    expect(statesOf(o)).toEqual(["suspended"]);
    expect(o.lanes[0]).toMatchObject({ approver: null, approvedAt: null, approvals: null });
  });
});

describe("deriveIssue: the label and the labeller", () => {
  it("retires with no one named when the label is gone and its removal was never seen", () => {
    const o = derive(facts({ labels: [], events: [event("labeled")] }));
    expect(statesOf(o)).toEqual(["retired"]);
    expect(o.lanes.map((l) => l.endedBy)).toEqual(LANES.map(() => null));
  });

  it("names the label when it cannot tell who applied it", () => {
    const o = derive(facts({ events: [] }));
    expect(statesOf(o)).toEqual(["pending"]);
    expect(o.needsRead).toBe(false);
    expect(reason(o)).toContain("lane-policy");
  });

  it("names the label to apply again after a reopen", () => {
    const o = derive(facts({ events: [event("labeled"), event("closed", "2026-11-23T09:30:00Z")] }));
    expect(statesOf(o)).toEqual(["retired"]);
    expect(reason(o)).toContain("lane-policy");
  });

  it("names the labeller whose standing it must read again", () => {
    const o = derive(facts({ standings: [] }));
    expect(statesOf(o)).toEqual(["pending"]);
    expect(reason(o)).toContain("mia");
  });

  it("names the labeller who cannot approve, and why, without a read to wait for", () => {
    const o = derive(facts({ standings: [standing({ role: "triage" })] }));
    expect(statesOf(o)).toEqual(["pending"]);
    expect(o.needsRead).toBe(false);
    expect(reason(o)).toContain("mia");
    expect(reason(o)).toContain("triage");
  });
});

describe("deriveIssue: the block", () => {
  const invalidBody = "```lane-policy\nlanes:\n  cm/testing:\n    data_authority: nonsense\n```\n";

  it("marks every lane of an invalid block invalid, with no policy and no expiry", () => {
    const block = readPolicyBlock(invalidBody, {});
    const o = derive(facts({ body: invalidBody }), [
      approval("mia", "2026-11-23T09:00:00Z", "labeled", block.sha256 ?? ""),
    ]);
    expect(o.lanes.map(({ lane, state, policy, expiresAt }) => ({ lane, state, policy, expiresAt }))).toEqual(
      [{ lane: "cm/testing", state: "invalid", policy: null, expiresAt: null }],
    );
  });

  it("marks only the lane that breaks the config's declaration invalid, and says what it breaks", () => {
    const o = derive(facts(), undefined, NOW, undefined, {
      "cm/testing": { data_authority: "authoritative" },
    });
    // The lanes of the config's rules come first, then the ones that break them.
    expect(o.lanes.map((l) => [l.lane, l.state])).toEqual([
      ["cm/prod", "active"],
      ["opw/testing", "active"],
      ["opw/prod", "active"],
      ["cm/testing", "invalid"],
    ]);
    expect(o.lanes[3]?.reason).toContain("authoritative");
  });

  it("grants a lane the config declares without an approvers count", () => {
    const o = derive(facts(), undefined, NOW, undefined, { "cm/prod": { data_authority: "resettable" } });
    expect(statesOf(o)).toEqual(["active"]);
  });

  const expiringAt = (at: string) => {
    const body = cmOpwApprovalBody(at);
    const of = readPolicyBlock(body, {}).sha256 ?? "";
    return derive(facts({ body }), [approval("mia", "2026-11-23T09:00:00Z", "labeled", of)]);
  };

  it.each<[string, LaneState, string]>([
    ["before the approval", "invalid", "2026-11-23T08:00:00Z"],
    ["at the instant of the approval", "invalid", "2026-11-23T09:00:00Z"],
    ["after the approval, and already past now", "expired", "2026-11-23T09:00:01Z"],
  ])("a block that expires %s is %s", (_, state, at) => {
    expect(statesOf(expiringAt(at))).toEqual([state]);
  });

  it("names the date an approved grant expired at", () => {
    const o = derive(facts(), undefined, AFTER_EXPIRY);
    expect(statesOf(o)).toEqual(["expired"]);
    expect(reason(o)).toContain(EXPIRES);
  });

  it("names the date an unapproved version expired at", () => {
    const o = derive(facts(), [], AFTER_EXPIRY);
    expect(statesOf(o)).toEqual(["expired"]);
    expect(reason(o)).toContain(EXPIRES);
  });
});

describe("deriveIssue: who approved this version", () => {
  it("waits for a read, naming the approver whose standing was never read", () => {
    const o = derive(facts(), [approval("max")]);
    expect(statesOf(o)).toEqual(["pending"]);
    expect(o.needsRead).toBe(true);
    expect(reason(o)).toContain("max");
  });

  it("suspends a version whose only approver cannot approve now, naming them and why", () => {
    const o = derive(maxIs("triage"), [approval("max")]);
    expect(statesOf(o)).toEqual(["suspended"]);
    expect(reason(o)).toContain("max");
    expect(reason(o)).toContain("triage");
  });

  it("expires, rather than suspends, a version whose approver cannot approve once its time is up", () => {
    // Expiry wins over suspension: a suspended issue keeps its hold on its lanes, an expired one lets go.
    expect(statesOf(derive(maxIs("triage"), [approval("max")], AFTER_EXPIRY))).toEqual(["expired"]);
  });

  it("grants on the approval that still counts, beside one that no longer does", () => {
    const o = derive(maxIs("triage"), [approval("max", "2026-11-23T08:30:00Z"), approval("mia")]);
    expect(statesOf(o)).toEqual(["active"]);
    expect(o.lanes[0]).toMatchObject({ approver: "mia", approvedAt: "2026-11-23T09:00:00Z" });
  });
});

describe("deriveIssue: two approvers", () => {
  const editedByMax = [approval("mia"), approval("max", "2026-11-23T09:10:00Z", "edited")];

  it("does not count whoever last edited the block among the two, and names them", () => {
    const o = derive(maxIs("maintain"), editedByMax, NOW, approvers({ required: 2 }));
    expect(statesOf(o)).toEqual(["pending"]);
    expect(o.lanes[0]?.approvals).toEqual({ required: 2, by: ["mia"] });
    expect(reason(o)).toContain("max");
  });

  it("counts the editor when exclude_author is off", () => {
    const o = derive(maxIs("maintain"), editedByMax, NOW, approvers({ required: 2, exclude_author: false }));
    expect(statesOf(o)).toEqual(["active"]);
    expect(o.lanes[0]?.approvals).toEqual({ required: 2, by: ["mia", "max"] });
  });

  it("counts the editor when one approval is enough", () => {
    const o = derive(maxIs("maintain"), [approval("max", "2026-11-23T09:10:00Z", "edited")]);
    expect(statesOf(o)).toEqual(["active"]);
    expect(o.lanes[0]?.approvals).toEqual({ required: 1, by: ["max"] });
  });

  it("says how many approvals are missing, who counted, and which teams may give them", () => {
    const rules = approvers({ required: 4, teams: ["ops"] });
    const o = derive(
      maxIs("maintain"),
      [approval("mia"), approval("max", "2026-11-23T09:10:00Z")],
      NOW,
      rules,
    );
    expect(statesOf(o)).toEqual(["pending"]);
    expect(reason(o)).toMatch(/\bmia\b/);
    expect(reason(o)).toMatch(/\bmax\b/);
    expect(reason(o)).toContain("2 more");
    expect(reason(o)).toContain("ops");
  });
});

describe("resolveConflicts: who holds a lane", () => {
  const labelledAt = (number: number, at: string) =>
    derive(facts({ number, events: [event("labeled", at)] }));

  it("gives the lane to the issue labelled first, whichever comes first in the list", () => {
    const [later, earlier] = resolveConflicts([
      labelledAt(1, "2026-11-23T09:00:00Z"),
      labelledAt(2, "2026-11-23T08:00:00Z"),
    ]);
    expect(earlier && statesOf(earlier)).toEqual(["active"]);
    expect(later && statesOf(later)).toEqual(["conflict"]);
    // The holder is a fact the operator needs: which issue to look at.
    expect(later?.lanes[0]?.reason).toContain("#2");
    expect(later?.lanes[0]?.reason).toContain("cm/testing");
  });

  it("gives the lane to the lower issue number at the same instant, whichever comes first", () => {
    const [low, high] = resolveConflicts([derive(facts({ number: 1 })), derive(facts({ number: 2 }))]);
    expect(low && statesOf(low)).toEqual(["active"]);
    expect(high && statesOf(high)).toEqual(["conflict"]);
  });

  it("lets a suspended issue keep its hold", () => {
    const suspended = derive(facts({ number: 2, events: [event("labeled", "2026-11-23T08:00:00Z")] }), []);
    const [held, later] = resolveConflicts([suspended, derive(facts())]);
    expect(held && statesOf(held)).toEqual(["suspended"]);
    expect(later && statesOf(later)).toEqual(["conflict"]);
  });

  it("leaves a lane that holds nothing as it is", () => {
    const waiting = derive(facts({ number: 2, labels: [], events: [] }));
    const [, pending] = resolveConflicts([derive(facts()), waiting]);
    expect(pending && statesOf(pending)).toEqual(["pending"]);
  });
});
