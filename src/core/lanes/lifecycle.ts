// The grant lifecycle as a pure function: from one issue's facts, the approvals seen, the
// baseline and the time, to the state of every lane the issue names. No I/O, so the webhook
// path, the sweep, the reconcile and the tests all run the same derivation.
import type { LanegateConfig } from "../config/schema.ts";
import type { Baseline, DeclaredLane, LanePolicy, LaneState, PolicyError } from "../domain.ts";
import { type PolicyBlock, readPolicyBlock } from "../policy/block.ts";
import { judgeStanding, labelView, sameLogin, standingOf } from "./approver.ts";
import type { BlockApproval, IssueFacts } from "./facts.ts";

export interface LaneOutcome {
  lane: string;
  state: LaneState;
  reason: string;
  policy: LanePolicy | null;
  blockSha: string | null;
  labelEventId: string | null;
  approver: string | null;
  approvedAt: string | null;
  expiresAt: string | null;
  /** When the approval label went on; the earlier grant keeps a contested lane. */
  labeledAt: string | null;
  /** Who ended the grant, for retired lanes. */
  endedBy: string | null;
  /** The distinct approvers the lane needs and who counted, once the lifecycle got as far as counting. */
  approvals: { required: number; by: string[] } | null;
}

export interface IssueOutcome {
  number: number;
  block: PolicyBlock;
  lanes: LaneOutcome[];
  /**
   * The stored facts cannot be judged under the config in force (a standing never read, an
   * approver team never asked about, facts from before lanegate stored facts): the lanes wait as
   * `pending` until the issue is read again.
   */
  needsRead: boolean;
}

/** What of the config the lifecycle judges by: the approval label and who may approve. */
export type ApprovalRules = Pick<LanegateConfig, "label" | "approvers">;

/** States that end a grant: a later change starts a new grant row instead. */
export const ENDED_STATES: readonly LaneState[] = ["retired", "expired"];

export function deriveIssue(
  facts: IssueFacts,
  approvals: readonly BlockApproval[],
  baseline: Baseline,
  rules: ApprovalRules,
  now: Date,
): IssueOutcome {
  const { label } = rules;
  const block = readPolicyBlock(facts.body, baseline);
  const labels = labelView(facts, label);
  // The approval of this block version, if one was seen: shown even once the grant has ended.
  const versionApprovals = approvals
    .filter((a) => a.sha256 === block.sha256)
    .sort((a, b) => a.approvedAt.localeCompare(b.approvedAt));
  const seen = versionApprovals[0];
  const base = {
    approver: seen?.approver ?? null,
    approvedAt: seen?.approvedAt ?? null,
    blockSha: block.sha256,
    labelEventId: labels.lastLabeled?.eventId ?? null,
    labeledAt: labels.lastLabeled?.at ?? null,
  };
  const laneIds =
    block.kind === "valid"
      ? [...block.lanes.map((l) => l.lane), ...Object.keys(block.laneErrors)]
      : block.laneIds;
  const policyOf = (lane: string) =>
    block.kind === "valid" ? (block.lanes.find((l) => l.lane === lane) ?? null) : null;
  const requiredOf = (lane: string) => {
    const policy = policyOf(lane);
    return policy ? requiredApprovals(policy, baseline[lane], rules.approvers) : rules.approvers.required;
  };
  const all = (
    state: LaneState,
    reason: string,
    extra: Partial<LaneOutcome> = {},
    needsRead = false,
  ): IssueOutcome => ({
    number: facts.number,
    block,
    needsRead,
    lanes: laneIds.map((lane) => ({
      ...blankOutcome(lane),
      ...base,
      policy: policyOf(lane),
      expiresAt: block.kind === "valid" ? block.expiresAt : null,
      approvals: null,
      state,
      reason,
      ...extra,
    })),
  });

  if (facts.presence !== "open") {
    return all("retired", `the issue was ${facts.presence}${by(facts.presenceActor)}`, {
      endedBy: facts.presenceActor,
    });
  }
  if (facts.unread) {
    return all("pending", "lanegate must read this issue again before it can judge it", {}, true);
  }
  if (!labels.hasLabel) {
    if (labels.lastLabeled) {
      const actor = labels.lastUnlabeled?.actor ?? null;
      return all("retired", `the \`${label}\` label was removed${by(actor)}`, { endedBy: actor });
    }
    return all("pending", `waiting for an approver to apply the \`${label}\` label`);
  }
  if (!labels.lastLabeled) {
    return all("pending", `cannot tell who applied the \`${label}\` label; an approver must apply it again`);
  }
  if (labels.closedSinceLabeled) {
    return all("retired", `the issue was reopened; an approver must apply the \`${label}\` label again`);
  }
  const labeller = labels.lastLabeled.actor;
  const verdict = judgeStanding(standingOf(facts, labeller), facts.author, rules.approvers);
  if (!verdict) {
    const reason = `cannot tell yet whether ${labeller}, who applied the label, may approve under the config in force; lanegate reads their standing again`;
    return all("pending", reason, {}, true);
  }
  if (!verdict.approver) {
    return all("pending", `the label was applied by ${labeller}, who cannot approve: ${verdict.reason}`);
  }
  if (block.kind === "invalid") return all("invalid", "the block is invalid (see the errors below)");

  // An approval of this version counts only while its approver may still approve.
  const judged = versionApprovals.map((a) => ({
    approval: a,
    verdict: judgeStanding(standingOf(facts, a.approver), facts.author, rules.approvers),
  }));
  const unjudged = judged.find((j) => !j.verdict);
  if (unjudged) {
    const reason = `cannot tell yet whether ${unjudged.approval.approver}, who approved this version of the block, may approve under the config in force; lanegate reads their standing again`;
    return all("pending", reason, {}, true);
  }
  const valid = judged.filter((j) => j.verdict?.approver).map((j) => j.approval);
  const refused = judged.find((j) => j.verdict && !j.verdict.approver);
  const approval = valid[0];
  // Expiry wins over suspension, whoever approved: a suspended grant whose time is up is over,
  // not waiting, and lets go of its lanes, which a suspended one would hold.
  const expired = block.expiresAt !== null && Date.parse(block.expiresAt) <= now.getTime();
  if (!approval && expired) return all("expired", `expires_at ${block.expiresAt} has passed`);
  if (!approval && refused) {
    return all(
      "suspended",
      `this version of the block was approved by ${refused.approval.approver}, who cannot approve now: ${refused.verdict?.reason}; an approver must apply the label again`,
    );
  }
  if (approval && block.expiresAt && Date.parse(block.expiresAt) <= Date.parse(approval.approvedAt)) {
    return all("invalid", "expires_at was already past when the block was approved");
  }
  if (!approval) {
    return all(
      "suspended",
      "no approval of this version of the block was seen: it changed after the approval, or the label's delivery was missed, and no approver is known to have made the change; an approver must apply the label again",
    );
  }
  // Whoever wrote or last edited this version: its last edit by an approver, else the issue's author.
  const editor = versionApprovals.filter((a) => a.via === "edited").at(-1)?.approver ?? facts.author;
  const approved = { approver: approval.approver, approvedAt: approval.approvedAt };
  return {
    number: facts.number,
    block,
    needsRead: false,
    lanes: laneIds.map((lane) => {
      const errors: PolicyError[] | undefined = block.laneErrors[lane];
      const required = requiredOf(lane);
      const by = countedApprovers(valid, editor, required, rules.approvers);
      const outcome = {
        ...blankOutcome(lane),
        ...base,
        ...approved,
        policy: policyOf(lane),
        expiresAt: block.expiresAt,
        approvals: { required, by },
      };
      if (errors?.length)
        return { ...outcome, state: "invalid", reason: errors.map((e) => e.message).join("; ") };
      if (expired)
        return { ...outcome, state: "expired", reason: `expires_at ${block.expiresAt} has passed` };
      if (by.length < required)
        return {
          ...outcome,
          state: "pending",
          reason: approvalsMissing(by, required, rules.approvers, editor),
        };
      return { ...outcome, state: "active", reason: `approved by ${by.join(", ")}` };
    }),
  };
}

type Approvers = ApprovalRules["approvers"];

/**
 * The distinct approvers a lane needs: the largest of the config's count, its count for the
 * lane's data authority, the declared lane's count and the block's own ask. An issue can raise
 * the count, never lower it.
 */
export function requiredApprovals(
  policy: LanePolicy,
  declared: DeclaredLane | undefined,
  approvers: Approvers,
) {
  return Math.max(
    approvers.required,
    approvers.required_by_authority[policy.data_authority] ?? 1,
    declared?.approvers?.required ?? 1,
    policy.approvals_required,
  );
}

/**
 * Who counts: each person once, in the order they approved; with more than one approval
 * required, whoever wrote or last edited the block is not one of them (`exclude_author`).
 */
function countedApprovers(valid: BlockApproval[], editor: string, required: number, approvers: Approvers) {
  const people: string[] = [];
  for (const { approver } of valid) {
    if (people.some((p) => sameLogin(p, approver))) continue;
    if (approvers.exclude_author && required > 1 && sameLogin(approver, editor)) continue;
    people.push(approver);
  }
  return people;
}

function approvalsMissing(by: string[], required: number, approvers: Approvers, editor: string): string {
  const missing = required - by.length;
  const who = [
    `anyone with the ${approvers.min_permission} role or higher`,
    ...approvers.teams.map((t) => `team ${t}`),
  ].join(", ");
  const excluded = approvers.exclude_author
    ? ` other than ${editor}, who wrote this version of the block`
    : "";
  return `${by.length} of ${required} approvals${by.length ? `: ${by.join(", ")}` : ""}; waiting for ${
    missing === 1 ? "one more" : `${missing} more`
  } of: ${who}${excluded}`;
}

/**
 * Two open approval issues may not grant the same lane: the one labelled first keeps it and the
 * others show `conflict` until it lets go. Suspended grants keep their hold, since the issue is
 * still open and an approver may restore it.
 */
export function resolveConflicts(outcomes: readonly IssueOutcome[]): IssueOutcome[] {
  const holder = new Map<string, { number: number; labeledAt: string }>();
  const holds = (l: LaneOutcome) => l.state === "active" || l.state === "suspended";
  for (const issue of outcomes) {
    for (const l of issue.lanes) {
      if (!holds(l) || !l.labeledAt) continue;
      const current = holder.get(l.lane);
      const earlier =
        !current ||
        l.labeledAt < current.labeledAt ||
        (l.labeledAt === current.labeledAt && issue.number < current.number);
      if (earlier) holder.set(l.lane, { number: issue.number, labeledAt: l.labeledAt });
    }
  }
  return outcomes.map((issue) => ({
    ...issue,
    lanes: issue.lanes.map((l) => {
      const h = holder.get(l.lane);
      if (!holds(l) || !h || h.number === issue.number) return l;
      return { ...l, state: "conflict", reason: `${l.lane} is already granted by issue #${h.number}` };
    }),
  }));
}

/** A lane's outcome before anything is known of it: pending, with every fact empty. */
export function blankOutcome(lane: string): LaneOutcome {
  return {
    lane,
    state: "pending",
    reason: "",
    policy: null,
    blockSha: null,
    labelEventId: null,
    approver: null,
    approvedAt: null,
    expiresAt: null,
    labeledAt: null,
    endedBy: null,
    approvals: null,
  };
}

function by(actor: string | null): string {
  return actor ? ` by ${actor}` : "";
}
