import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG } from "../../src/core/config/schema.ts";
import { judgeApprover } from "../../src/core/lanes/approver.ts";
import type { IssueFacts } from "../../src/core/lanes/facts.ts";
import { deriveIssue, resolveConflicts } from "../../src/core/lanes/lifecycle.ts";
import { escapeCell } from "../../src/core/lanes/status-comment.ts";
import { readPolicyBlock } from "../../src/core/policy/block.ts";
import { CM_OPW_BODY } from "../support/world.ts";

const NOW = new Date("2026-11-23T10:00:00Z");
const facts = (over: Partial<IssueFacts> = {}): IssueFacts => ({
  number: 1,
  url: "https://github.com/acme/platform/issues/1",
  author: "olivia",
  presence: "open",
  presenceActor: null,
  body: CM_OPW_BODY,
  hasLabel: true,
  lastLabeled: { eventId: "9", actor: "mia", at: "2026-11-23T09:00:00Z" },
  lastUnlabeled: null,
  closedSinceLabeled: false,
  labeler: { approver: true, reason: "mia has the maintain role" },
  readAt: NOW.toISOString(),
  ...over,
});
const sha = readPolicyBlock(CM_OPW_BODY, {}).sha256 ?? "";
const approved = [{ sha256: sha, approver: "mia", approvedAt: "2026-11-23T09:00:00Z" }];
const derive = (f: IssueFacts, approvals = approved, now = NOW) =>
  deriveIssue(f, approvals, {}, "lane-policy", now);
const statesOf = (o: ReturnType<typeof derive>) => [...new Set(o.lanes.map((l) => l.state))];

describe("deriveIssue", () => {
  it("is active when an approver labelled this very block version", () => {
    expect(statesOf(derive(facts()))).toEqual(["active"]);
  });

  it("is suspended when no approval matches the block on the issue now", () => {
    expect(statesOf(derive(facts(), []))).toEqual(["suspended"]);
  });

  it("is retired when the issue was closed after the label went on, even if reopened", () => {
    expect(statesOf(derive(facts({ closedSinceLabeled: true })))).toEqual(["retired"]);
  });

  it("is pending, not retired, when the label was never applied", () => {
    expect(statesOf(derive(facts({ hasLabel: false, lastLabeled: null, labeler: null })))).toEqual([
      "pending",
    ]);
  });

  it("fails closed when it cannot tell who applied the label", () => {
    expect(statesOf(derive(facts({ lastLabeled: null, labeler: null })))).toEqual(["pending"]);
  });

  it("expires every lane once expires_at has passed", () => {
    expect(statesOf(derive(facts(), approved, new Date("2027-03-31T00:00:00Z")))).toEqual(["expired"]);
  });
});

describe("resolveConflicts", () => {
  it("leaves a lane with the issue labelled first and marks the later one conflict", () => {
    const first = derive(
      facts({ number: 2, lastLabeled: { eventId: "1", actor: "mia", at: "2026-11-23T08:00:00Z" } }),
    );
    const second = derive(facts({ number: 1 }));
    const [a, b] = resolveConflicts([first, second]);
    expect(statesOf(a as typeof first)).toEqual(["active"]);
    expect(statesOf(b as typeof first)).toEqual(["conflict"]);
  });

  it("frees the lane for the later issue once the earlier one has retired", () => {
    const first = derive(
      facts({
        number: 2,
        presence: "closed",
        lastLabeled: { eventId: "1", actor: "mia", at: "2026-11-23T08:00:00Z" },
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

describe("escapeCell", () => {
  it("turns Markdown and HTML into entities and drops control and bidi characters", () => {
    expect(escapeCell("@all | <b>`x`</b>\n[a](b)\u202e")).toBe(
      "&#64;all &#124; &#60;b&#62;&#96;x&#96;&#60;/b&#62; &#91;a&#93;&#40;b&#41; ",
    );
  });
});
