import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG } from "../../src/core/config/schema.ts";
import { judgeApprover, judgeStanding, labelView, teamsToAsk } from "../../src/core/lanes/approver.ts";
import { type BlockApproval, factsFromStore, type Standing } from "../../src/core/lanes/facts.ts";
import { resolveConflicts } from "../../src/core/lanes/lifecycle.ts";
import { escapeCell } from "../../src/core/text.ts";
import { approved, approvers, derive, event, facts, NOW, sha, standing, statesOf } from "./issue-fixture.ts";

describe("deriveIssue", () => {
  it("is active when an approver labelled this very block version", () => {
    expect(statesOf(derive(facts()))).toEqual(["active"]);
  });

  it("is suspended when no approval matches the block on the issue now", () => {
    expect(statesOf(derive(facts(), []))).toEqual(["suspended"]);
  });

  it("is retired when the issue was closed after the label went on, even if reopened", () => {
    const closedThenReopened = facts({ events: [event("labeled"), event("closed", "2026-11-23T09:30:00Z")] });
    expect(statesOf(derive(closedThenReopened))).toEqual(["retired"]);
  });

  it("is pending, not retired, when the label was never applied", () => {
    expect(statesOf(derive(facts({ labels: [], events: [] })))).toEqual(["pending"]);
  });

  it("fails closed when it cannot tell who applied the label", () => {
    expect(statesOf(derive(facts({ events: [] })))).toEqual(["pending"]);
  });

  it("judges the labeller's stored standing against the config in force, not the one it was read under", () => {
    expect(statesOf(derive(facts(), approved, NOW, approvers({ min_permission: "admin" })))).toEqual([
      "pending",
    ]);
    expect(statesOf(derive(facts(), approved, NOW, approvers({ min_permission: "write" })))).toEqual([
      "active",
    ]);
  });

  it("reads the label's history for the label the config names now", () => {
    const renamed = { ...DEFAULT_CONFIG, label: "lane-approval" };
    const outcome = derive(facts(), approved, NOW, renamed);
    expect(statesOf(outcome)).toEqual(["pending"]);
    expect(outcome.lanes[0]?.reason).toContain("`lane-approval`");
    const relabelled = facts({
      labels: ["lane-policy", "Lane-Approval"],
      events: [event("labeled"), { ...event("labeled", "2026-11-23T09:10:00Z"), label: "Lane-Approval" }],
    });
    expect(statesOf(derive(relabelled, approved, NOW, renamed))).toEqual(["active"]);
  });

  it("waits for a read, never allows, when the labeller's standing was never read", () => {
    const outcome = derive(facts({ standings: [] }));
    expect(statesOf(outcome)).toEqual(["pending"]);
    expect(outcome.needsRead).toBe(true);
  });

  it("suspends a block version whose approver can no longer approve", () => {
    const byMax: BlockApproval[] = [
      { sha256: sha, approver: "max", approvedAt: "2026-11-23T09:20:00Z", via: "edited" },
    ];
    const maxIsTriage = facts({ standings: [standing(), standing({ login: "max", role: "triage" })] });
    expect(statesOf(derive(maxIsTriage, byMax))).toEqual(["suspended"]);
    expect(derive(facts(), byMax).needsRead).toBe(true); // max's standing never read
  });

  it("holds facts stored before lanegate kept facts as unread until the issue is read again", () => {
    const { labels: _l, events: _e, standings: _s, ...kept } = facts();
    const verdictEra = {
      ...kept,
      hasLabel: true,
      labeler: { approver: true, reason: "mia has the maintain role" },
    };
    const outcome = derive(factsFromStore(verdictEra));
    expect(statesOf(outcome)).toEqual(["pending"]);
    expect(outcome.needsRead).toBe(true);
  });

  it("takes stored facts of the current shape as they are and refuses a shape it does not know", () => {
    const current = facts();
    expect(factsFromStore(current)).toBe(current);
    for (const marker of ["standings", "events", "labels", "number", "body", "readAt"] as const) {
      const { [marker]: _dropped, ...rest } = current;
      expect(() => factsFromStore(rest), marker).toThrow();
    }
    expect(() => factsFromStore({ ...current, standings: "mia" })).toThrow();
    expect(() => factsFromStore({ ...current, presence: "archived" })).toThrow();
    expect(() => factsFromStore(null)).toThrow();
  });

  it("expires every lane once expires_at has passed", () => {
    expect(statesOf(derive(facts(), approved, new Date("2027-03-31T00:00:00Z")))).toEqual(["expired"]);
  });
});

describe("deriveIssue at its boundaries", () => {
  const reasonOf = (o: ReturnType<typeof derive>) => [...new Set(o.lanes.map((l) => l.reason))];

  it("retires every lane when the label is taken off, naming who took it", () => {
    const o = derive(
      facts({
        labels: [],
        events: [event("labeled"), { ...event("unlabeled", "2026-11-23T09:10:00Z", "max") }],
      }),
    );
    expect(statesOf(o)).toEqual(["retired"]);
    expect(reasonOf(o)).toEqual(["the `lane-policy` label was removed by max"]);
    expect(o.lanes.map((l) => l.endedBy)).toEqual(o.lanes.map(() => "max"));
  });

  it("expires at the instant expires_at is reached, not a millisecond later", () => {
    const at = new Date("2027-03-31T00:00:00Z");
    expect(statesOf(derive(facts(), approved, at))).toEqual(["expired"]);
    expect(statesOf(derive(facts(), approved, new Date(at.getTime() - 1)))).toEqual(["active"]);
  });

  it("expires a suspended grant whose time is up rather than leaving it waiting", () => {
    expect(statesOf(derive(facts(), [], new Date("2027-04-01T00:00:00Z")))).toEqual(["expired"]);
  });

  it("counts each approver once, and waits for the rest by name", () => {
    const twice: BlockApproval[] = [
      ...approved,
      { sha256: sha, approver: "MIA", approvedAt: "2026-11-23T09:05:00Z", via: "comment" },
    ];
    const o = derive(facts(), twice, NOW, approvers({ required: 2 }));
    expect(statesOf(o)).toEqual(["pending"]);
    expect(o.lanes[0]?.approvals).toEqual({ required: 2, by: ["mia"] });
    expect(reasonOf(o)).toEqual([
      "1 of 2 approvals: mia; waiting for one more of: anyone with the maintain role or higher other than olivia, who wrote this version of the block",
    ]);
  });
});

describe("resolveConflicts", () => {
  it("leaves a lane with the issue labelled first and marks the later one conflict", () => {
    const first = derive(facts({ number: 2, events: [event("labeled", "2026-11-23T08:00:00Z")] }));
    const second = derive(facts({ number: 1 }));
    const [a, b] = resolveConflicts([first, second]);
    expect(statesOf(a as typeof first)).toEqual(["active"]);
    expect(statesOf(b as typeof first)).toEqual(["conflict"]);
  });

  it("leaves a lane with the lower issue number when both were labelled at the same instant", () => {
    const [a, b] = resolveConflicts([derive(facts({ number: 2 })), derive(facts({ number: 1 }))]);
    expect(statesOf(a as ReturnType<typeof derive>)).toEqual(["conflict"]);
    expect(statesOf(b as ReturnType<typeof derive>)).toEqual(["active"]);
  });

  it("frees the lane for the later issue once the earlier one has retired", () => {
    const first = derive(
      facts({
        number: 2,
        presence: "closed",
        events: [event("labeled", "2026-11-23T08:00:00Z")],
      }),
    );
    const [, b] = resolveConflicts([first, derive(facts())]);
    expect(statesOf(b as typeof first)).toEqual(["active"]);
  });
});

describe("judgeApprover", () => {
  const base = { login: "mia", isBot: false, author: "olivia", role: "maintain", teams: [] };
  it.each([
    ["admin", true],
    ["maintain", true],
    ["write", false],
    ["triage", false],
    ["read", false],
  ])("with min_permission maintain, the %s role approves: %s", (role, ok) => {
    expect(judgeApprover({ ...base, role }, DEFAULT_CONFIG.approvers).approver).toBe(ok);
  });

  it("never lets a bot approve, whatever its role", () => {
    expect(judgeApprover({ ...base, isBot: true, role: "admin" }, DEFAULT_CONFIG.approvers).approver).toBe(
      false,
    );
  });

  it("refuses the issue's author unless self-approval is allowed", () => {
    const self = { ...base, login: "olivia", role: "admin" };
    expect(judgeApprover(self, DEFAULT_CONFIG.approvers).approver).toBe(false);
    expect(judgeApprover(self, { ...DEFAULT_CONFIG.approvers, allow_self_approval: true }).approver).toBe(
      true,
    );
  });
});

describe("judgeStanding", () => {
  const ops = approvers({ min_permission: "admin", teams: ["ops"] }).approvers;
  it.each<[string, Partial<Standing>, boolean | null]>([
    ["a role that suffices needs no team", { role: "admin" }, true],
    ["a team never asked about cannot be judged", { role: "maintain" }, null],
    ["a team asked about and joined approves", { teamsChecked: ["ops"], teams: ["ops"] }, true],
    ["a team asked about and not joined refuses", { teamsChecked: ["ops"] }, false],
    ["a bot is refused whatever its teams", { isBot: true }, false],
    ["the author is refused without asking", { login: "olivia" }, false],
  ])("%s", (_, over, verdict) => {
    expect(judgeStanding(standing(over), "olivia", ops)?.approver ?? null).toBe(verdict);
  });

  it("asks only about the teams that could still make someone an approver", () => {
    expect(teamsToAsk(standing(), "olivia", ops)).toEqual(["ops"]);
    expect(teamsToAsk(standing({ role: "admin" }), "olivia", ops)).toEqual([]);
    expect(teamsToAsk(standing({ teamsChecked: ["OPS"] }), "olivia", ops)).toEqual([]);
  });
});

describe("labelView", () => {
  it("takes the last labelling of the configured label, in GitHub's order, case-insensitively", () => {
    const view = labelView(
      facts({
        labels: ["LANE-POLICY"],
        events: [event("labeled", "1"), event("unlabeled", "2"), event("labeled", "3", "max")],
      }),
      "lane-policy",
    );
    expect(view).toMatchObject({ hasLabel: true, closedSinceLabeled: false, lastLabeled: { actor: "max" } });
  });
});

describe("escapeCell", () => {
  it("turns Markdown and HTML into entities and drops control and bidi characters", () => {
    expect(escapeCell("@all | <b>`x`</b>\n[a](b)\u202e")).toBe(
      "&#64;all &#124; &#60;b&#62;&#96;x&#96;&#60;/b&#62; &#91;a&#93;&#40;b&#41; ",
    );
  });
});
