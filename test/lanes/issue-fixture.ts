// One approval issue as the lifecycle reads it: the demo's cm/opw block, labelled by mia (who has
// the maintain role) and approved by her, opened by olivia. Pure data for the lifecycle's tests.
import { DEFAULT_CONFIG } from "../../src/core/config/schema.ts";
import type { Baseline } from "../../src/core/domain.ts";
import type { BlockApproval, IssueEvent, IssueFacts, Standing } from "../../src/core/lanes/facts.ts";
import { deriveIssue } from "../../src/core/lanes/lifecycle.ts";
import { readPolicyBlock } from "../../src/core/policy/block.ts";
import { cmOpwApprovalBody } from "../../standin/demo.ts";

export const CM_OPW_BODY = cmOpwApprovalBody();
export const NOW = new Date("2026-11-23T10:00:00Z");

export const event = (kind: IssueEvent["kind"], at = "2026-11-23T09:00:00Z", actor = "mia"): IssueEvent => ({
  eventId: at,
  kind,
  label: kind === "closed" ? null : "lane-policy",
  actor,
  actorIsBot: false,
  at,
});

export const standing = (over: Partial<Standing> = {}): Standing => ({
  login: "mia",
  isBot: false,
  role: "maintain",
  teamsChecked: [],
  teams: [],
  readAt: NOW.toISOString(),
  ...over,
});

export const facts = (over: Partial<IssueFacts> = {}): IssueFacts => ({
  number: 1,
  url: "https://github.com/acme/platform/issues/1",
  author: "olivia",
  presence: "open",
  presenceActor: null,
  body: CM_OPW_BODY,
  labels: ["lane-policy"],
  events: [event("labeled")],
  standings: [standing()],
  readAt: NOW.toISOString(),
  ...over,
});

export const sha = readPolicyBlock(CM_OPW_BODY, {}).sha256 ?? "";

/** An approval of the demo block (or of `of`, a block's sha). */
export const approval = (
  approver: string,
  approvedAt = "2026-11-23T09:00:00Z",
  via: BlockApproval["via"] = "labeled",
  of = sha,
): BlockApproval => ({ sha256: of, approver, approvedAt, via });

export const approved: BlockApproval[] = [approval("mia")];

export const derive = (
  f: IssueFacts,
  approvals = approved,
  now = NOW,
  rules = DEFAULT_CONFIG,
  baseline: Baseline = {},
) => deriveIssue(f, approvals, baseline, rules, now);

export const approvers = (over: Partial<typeof DEFAULT_CONFIG.approvers>) => ({
  ...DEFAULT_CONFIG,
  approvers: { ...DEFAULT_CONFIG.approvers, ...over },
});

export const statesOf = (o: ReturnType<typeof derive>) => [...new Set(o.lanes.map((l) => l.state))];
