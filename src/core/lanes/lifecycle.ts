// The grant lifecycle as a pure function: from one issue's facts, the approvals seen, the
// baseline and the time, to the state of every lane the issue names. No I/O, so the webhook
// path, the sweep, the reconcile and the tests all run the same derivation.
import type { Baseline, LanePolicy, LaneState, PolicyError } from "../domain.ts";
import { type PolicyBlock, readPolicyBlock } from "../policy/block.ts";
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
}

export interface IssueOutcome {
  number: number;
  block: PolicyBlock;
  lanes: LaneOutcome[];
}

/** States that end a grant: a later change starts a new grant row instead. */
export const ENDED_STATES: readonly LaneState[] = ["retired", "expired"];

export function deriveIssue(
  facts: IssueFacts,
  approvals: readonly BlockApproval[],
  baseline: Baseline,
  label: string,
  now: Date,
): IssueOutcome {
  const block = readPolicyBlock(facts.body, baseline);
  // The approval of this block version, if one was seen: shown even once the grant has ended.
  const seen = approvals.find((a) => a.sha256 === block.sha256);
  const base = {
    approver: seen?.approver ?? null,
    approvedAt: seen?.approvedAt ?? null,
    blockSha: block.sha256,
    labelEventId: facts.lastLabeled?.eventId ?? null,
    labeledAt: facts.lastLabeled?.at ?? null,
  };
  const laneIds =
    block.kind === "valid"
      ? [...block.lanes.map((l) => l.lane), ...Object.keys(block.laneErrors)]
      : block.laneIds;
  const policyOf = (lane: string) =>
    block.kind === "valid" ? (block.lanes.find((l) => l.lane === lane) ?? null) : null;
  const all = (state: LaneState, reason: string, extra: Partial<LaneOutcome> = {}): IssueOutcome => ({
    number: facts.number,
    block,
    lanes: laneIds.map((lane) => ({
      ...blankOutcome(lane),
      ...base,
      policy: policyOf(lane),
      expiresAt: block.kind === "valid" ? block.expiresAt : null,
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
  if (!facts.hasLabel) {
    if (facts.lastLabeled) {
      const actor = facts.lastUnlabeled?.actor ?? null;
      return all("retired", `the \`${label}\` label was removed${by(actor)}`, { endedBy: actor });
    }
    return all("pending", `waiting for an approver to apply the \`${label}\` label`);
  }
  if (!facts.lastLabeled || !facts.labeler) {
    return all("pending", `cannot tell who applied the \`${label}\` label; an approver must apply it again`);
  }
  if (facts.closedSinceLabeled) {
    return all("retired", `the issue was reopened; an approver must apply the \`${label}\` label again`);
  }
  if (!facts.labeler.approver) {
    return all(
      "pending",
      `the label was applied by ${facts.lastLabeled.actor}, who cannot approve: ${facts.labeler.reason}`,
    );
  }
  if (block.kind === "invalid") return all("invalid", "the block is invalid (see the errors below)");

  const approval = seen;
  if (approval && block.expiresAt && Date.parse(block.expiresAt) <= Date.parse(approval.approvedAt)) {
    return all("invalid", "expires_at was already past when the block was approved");
  }
  // Expiry wins over suspension: a suspended grant whose time is up is over, not waiting.
  const expired = block.expiresAt !== null && Date.parse(block.expiresAt) <= now.getTime();
  if (!approval) {
    if (expired) return all("expired", `expires_at ${block.expiresAt} has passed`);
    return all(
      "suspended",
      "no approval of this version of the block was seen: it changed after the approval, or the label's delivery was missed, and no approver is known to have made the change; an approver must apply the label again",
    );
  }
  const approved = { approver: approval.approver, approvedAt: approval.approvedAt };
  return {
    number: facts.number,
    block,
    lanes: laneIds.map((lane) => {
      const errors: PolicyError[] | undefined = block.laneErrors[lane];
      const outcome = {
        ...blankOutcome(lane),
        ...base,
        ...approved,
        policy: policyOf(lane),
        expiresAt: block.expiresAt,
      };
      if (errors?.length)
        return { ...outcome, state: "invalid", reason: errors.map((e) => e.message).join("; ") };
      if (expired)
        return { ...outcome, state: "expired", reason: `expires_at ${block.expiresAt} has passed` };
      return { ...outcome, state: "active", reason: `approved by ${approval.approver}` };
    }),
  };
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

function blankOutcome(lane: string): LaneOutcome {
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
  };
}

function by(actor: string | null): string {
  return actor ? ` by ${actor}` : "";
}
