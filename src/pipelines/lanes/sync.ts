// The one pipeline every trigger runs: read the truth from GitHub, derive every live issue of the
// repository with the pure lifecycle, apply the difference in one transaction, then write the
// status comments that changed. Deliveries, the reconcile and the sweep differ only in the trigger.

import {
  describe,
  type Octokit,
  readIssueFacts,
  readRole,
  readTeamMembership,
  upsertStatusComment,
} from "../../adapters/github/client.ts";
import * as auditStore from "../../adapters/store/audit.ts";
import { exclusive, type Q, read, single, transaction } from "../../adapters/store/db.ts";
import { laneStatesOfRuns } from "../../adapters/store/evidence.ts";
import * as issueStore from "../../adapters/store/issues.ts";
import * as repoStore from "../../adapters/store/repositories.ts";
import { recentRuns } from "../../adapters/store/runs.ts";
import { configInForce } from "../../core/config/load.ts";
import { baselineOf, type LanegateConfig } from "../../core/config/schema.ts";
import { namesDigest } from "../../core/lanes/approval-command.ts";
import {
  judgeStanding,
  labelView,
  peopleToJudge,
  standingOf,
  teamsToAsk,
} from "../../core/lanes/approver.ts";
import type { ApprovalVia, BlockApproval, IssueFacts, Standing } from "../../core/lanes/facts.ts";
import type { GrantChange } from "../../core/lanes/grant-plan.ts";
import type { IssueOutcome } from "../../core/lanes/lifecycle.ts";
import { describeRecentRun, digest, renderStatusComment } from "../../core/lanes/status-comment.ts";
import { readPolicyBlock } from "../../core/policy/block.ts";
import { findPolicyBlocks } from "../../core/policy/fence.ts";
import { type RepoRef, repoKey } from "../../core/repository.ts";
import { currentConfigLoad } from "../config.ts";
import { afterDecisions } from "../decisions-first.ts";
import type { SyncDeps } from "../deps.ts";
import { deriveGrants, lanesScope } from "../derive.ts";

/**
 * What the delivery itself says a person may have approved: the body they labelled or wrote, or
 * the block version a `/lanegate approve <prefix>` comment names.
 */
export interface ApprovalClaim {
  via: ApprovalVia;
  /** For `labeled`: the label applied; only the approval label approves anything. */
  label?: string;
  /** For `comment`: the comment, and the digest prefix it names. */
  comment?: { id: number; prefix: string };
  sender: string;
  senderIsBot: boolean;
  body: string;
  /** When GitHub says the change happened. */
  at: string;
}

export interface IssueTarget {
  ref: RepoRef;
  installationId: number | null;
  number: number;
}

/** `plan` lists the grant changes the sync applied (or, in a dry run, would apply). */
export type SyncResult = { ok: true; changed: number[]; plan: GrantChange[] } | { ok: false; error: string };

export interface SyncOptions {
  claim?: ApprovalClaim;
  /** Read GitHub and plan, but write nothing: the transaction is rolled back, no comment is written. */
  dryRun?: boolean;
}

/** Thrown inside a dry run's transaction to roll it back with the plan in hand. */
class PlanOnly extends Error {
  constructor(readonly plan: GrantChange[]) {
    super("dry run");
  }
}

// Syncs of one repository run one after another: each derives every live issue of the repository.
// In this process they queue here, before reading GitHub; across replicas their transactions
// queue on `lanesScope`, so that no two plan and apply on the same grants side by side.
const queues = new Map<string, Promise<unknown>>();
function serialized<T>(key: string, job: () => Promise<T>): Promise<T> {
  const next = (queues.get(key) ?? Promise.resolve()).then(job, job);
  const settled = next.catch(() => undefined);
  queues.set(key, settled);
  void settled.then(() => {
    if (queues.get(key) === settled) queues.delete(key);
  });
  return next;
}

export function syncIssue(
  deps: SyncDeps,
  octokit: Octokit,
  target: IssueTarget,
  trigger: auditStore.Trigger,
  options: SyncOptions = {},
): Promise<SyncResult> {
  return serialized(repoKey(target.ref), () => syncIssueNow(deps, octokit, target, trigger, options));
}

async function syncIssueNow(
  deps: SyncDeps,
  octokit: Octokit,
  target: IssueTarget,
  trigger: auditStore.Trigger,
  { claim, dryRun = false }: SyncOptions,
): Promise<SyncResult> {
  const repo = repoKey(target.ref);
  const now = deps.now();
  const fail = async (stage: string, error: unknown): Promise<SyncResult> => {
    const message = `${stage}: ${describe(error)}; the lane state was left as it was`;
    if (dryRun) return { ok: false, error: message };
    await transaction(deps.db, async (q) => {
      await auditStore.appendAudit(q, {
        repo,
        ...trigger,
        subject: `#${target.number}`,
        change: message,
        at: now.toISOString(),
      });
      await issueStore.recordIssueError(q, repo, target.number, message);
    });
    deps.log.warn(`${repo}#${target.number} ${message}`, { repository: repo, issue: target.number });
    return { ok: false, error: message };
  };

  const load = await currentConfigLoad(deps, octokit, target.ref, target.installationId);
  const config = configInForce(load);
  if (!config) return await fail("could not load .github/lanegate.yml", load.errors.join("; "));
  let facts: IssueFacts;
  let approval: BlockApproval | null;
  // Why an approval comment counts for nothing, for the audit log (a label or edit claim that
  // approves nothing is already visible in the lane's state).
  let notCounted: string | null = null;
  try {
    facts = await readIssueFacts(octokit, target.ref, target.number, now);
    const claimed = claim ? claimedApproval(facts, config, claim) : null;
    // The standing of whoever the lifecycle will judge: the labeller, the block's approvers, the claimant.
    const block = readPolicyBlock(facts.body, baselineOf(config)).sha256;
    const stored = await read(deps.db, (q) => issueStore.storedIssue(q, repo, target.number));
    const approvers = (stored?.approvals ?? []).filter((a) => a.sha256 === block).map((a) => a.approver);
    // An approval comment reads only its author's standing: the others' were read by their own
    // deliveries, and the reconcile reads everyone's again. So a comment costs no more than a label.
    const known = claim?.comment ? (stored?.facts.standings ?? []) : [];
    const people = peopleToJudge(facts, config.label, [...approvers, ...(claimed ? [claimed.approver] : [])]);
    const bots = new Set([
      ...facts.events.filter((e) => e.actorIsBot).map((e) => e.actor),
      ...(claim?.senderIsBot ? [claim.sender] : []),
    ]);
    const standings: Standing[] = [];
    for (const login of people) {
      const kept = login === claim?.sender ? undefined : known.find((k) => k.login === login);
      const fresh = kept && teamsToAsk(kept, facts.author, config.approvers).length === 0;
      standings.push(
        fresh
          ? kept
          : await readStanding(octokit, target.ref, login, bots.has(login), facts.author, config, now),
      );
    }
    facts = { ...facts, standings };
    const verdict =
      claimed && judgeStanding(standingOf(facts, claimed.approver), facts.author, config.approvers);
    approval = claimed && verdict?.approver ? claimed : null;
    if (claim?.comment && !approval) {
      notCounted = !claimed
        ? `it names ${claim.comment.prefix}, which is not the block on the issue now (${block?.slice(0, 12) ?? "no valid block"}), or the issue is closed`
        : `${claim.sender} cannot approve: ${verdict?.reason ?? "their standing could not be judged"}`;
    }
  } catch (error) {
    return await fail("could not read the issue or verify its approver", error);
  }

  const apply = () =>
    transaction(deps.db, async (q) => {
      await exclusive(q, lanesScope(repo));
      const stored = await issueStore.storedIssue(q, repo, facts.number);
      if (stored && (facts.presence === "deleted" || facts.presence === "transferred")) {
        // GitHub no longer shows the issue here: keep what it said, so the retirement names its lanes.
        facts = {
          ...stored.facts,
          presence: facts.presence,
          presenceActor: trigger.actor,
          readAt: facts.readAt,
        };
      }
      // Replicas sync one issue side by side, each from its own read of GitHub, and queue here:
      // a read older than the one stored (ISO times compare as text) does not replace it.
      if (stored && stored.facts.readAt > facts.readAt) facts = stored.facts;
      const known = stored !== undefined;
      const blocks = findPolicyBlocks(facts.body);
      const labelled = labelView(facts, config.label).hasLabel;
      if (!known && !labelled && blocks.length === 0) return null; // not an approval issue
      const sha = readPolicyBlock(facts.body, baselineOf(config)).sha256;
      await issueStore.saveIssueFacts(q, repo, facts, sha, now);
      if (sha && blocks.length === 1)
        await issueStore.recordBlockVersion(q, repo, facts.number, sha, blocks[0]?.text ?? "", now);
      if (approval && claim) {
        await issueStore.recordApproval(
          q,
          repo,
          facts.number,
          approval,
          trigger.deliveryId,
          claim.comment?.id ?? null,
        );
        await auditStore.appendAudit(q, {
          repo,
          ...trigger,
          subject: `#${facts.number}`,
          change: `block ${approval.sha256.slice(0, 12)} approved by ${approval.approver} (${claim.via})`,
          at: now.toISOString(),
        });
      }
      if (notCounted) {
        await auditStore.appendAudit(q, {
          repo,
          ...trigger,
          subject: `#${facts.number}`,
          change: `approval comment by ${claim?.sender} not counted: ${notCounted}`,
          at: now.toISOString(),
        });
      }
      const result = await deriveGrants(q, repo, config, trigger, now);
      if (dryRun) throw new PlanOnly(result.plan);
      return result;
    });
  let outcomes: Awaited<ReturnType<typeof apply>>;
  try {
    outcomes = await apply();
  } catch (error) {
    if (error instanceof PlanOnly) return { ok: true, changed: [], plan: error.plan };
    throw error;
  }
  if (!outcomes) return { ok: true, changed: [], plan: [] };
  // A delivery is answered after its comment: it does not wait for decisions (GitHub gives a
  // delivery 10 s), and its comment's own write queue holds up no check run anyway.
  await publish(deps, octokit, target.ref, config, outcomes.all, [target.number, ...outcomes.changed], false);
  return { ok: true, changed: outcomes.changed, plan: outcomes.plan };
}

/**
 * A delivery's sender approved the block in the delivery's body, if they are an approver (judged
 * by the caller from their standing). The body in the payload is the one they saw, which may
 * already be stale: the lifecycle only honours an approval whose sha matches the block on the
 * issue now.
 */
function claimedApproval(
  facts: IssueFacts,
  config: LanegateConfig,
  claim: ApprovalClaim,
): BlockApproval | null {
  // A comment names its version by digest; the label and an edit approve the body the sender saw.
  const sha = readPolicyBlock(claim.comment ? facts.body : claim.body, baselineOf(config)).sha256;
  const otherLabel = claim.label !== undefined && claim.label.toLowerCase() !== config.label.toLowerCase();
  const named = !claim.comment || (sha !== null && namesDigest(claim.comment.prefix, sha));
  if (!sha || otherLabel || !named || facts.presence !== "open") return null;
  return { sha256: sha, approver: claim.sender, approvedAt: claim.at, via: claim.via };
}

/** A person's standing as GitHub answers it now: their role, and the approver teams it takes to judge them. */
async function readStanding(
  octokit: Octokit,
  ref: RepoRef,
  login: string,
  isBot: boolean,
  author: string,
  config: LanegateConfig,
  now: Date,
): Promise<Standing> {
  const role = isBot ? null : await readRole(octokit, ref, login);
  const known = { login, isBot, role, teamsChecked: [], teams: [], readAt: now.toISOString() };
  const teams = teamsToAsk(known, author, config.approvers);
  if (teams.length === 0) return known;
  const membership = await readTeamMembership(octokit, ref.owner, teams, login);
  return { ...known, teamsChecked: membership.checked, teams: membership.memberOf };
}

/**
 * An approval comment was edited or deleted: its approval no longer counts. The grants are
 * re-derived from the stored facts (no read of GitHub is needed to count fewer approvers).
 */
export async function withdrawApproval(
  deps: SyncDeps,
  octokit: Octokit,
  target: IssueTarget,
  commentId: number,
  trigger: auditStore.Trigger,
): Promise<void> {
  const repo = repoKey(target.ref);
  const at = deps.now().toISOString();
  const withdrawn = await transaction(deps.db, async (q) => {
    const row = await issueStore.withdrawCommentApproval(q, repo, target.number, commentId, at);
    if (row)
      await auditStore.appendAudit(q, {
        repo,
        ...trigger,
        subject: `#${target.number}`,
        change: `approval of block ${row.sha256.slice(0, 12)} by ${row.approver} withdrawn: its comment was ${trigger.event.endsWith("deleted") ? "deleted" : "edited"}`,
        at,
      });
    return row;
  });
  if (withdrawn) await rederive(deps, octokit, target.ref, trigger);
}

/** Re-derives a repository from stored facts alone: the expiry sweep, which needs no GitHub read. */
export function rederive(
  deps: SyncDeps,
  octokit: Octokit,
  ref: RepoRef,
  trigger: auditStore.Trigger,
  /** Also re-render issues whose grants did not change (their recent runs may have). */
  publishAll = false,
): Promise<number[]> {
  const repo = repoKey(ref);
  return serialized(repo, async () => {
    const now = deps.now();
    const result = await transaction(deps.db, async (q) => {
      const config = await repoStore.configFor(q, repo);
      return { config, ...(await deriveGrants(q, repo, config, trigger, now)) };
    });
    const numbers = publishAll ? result.all.map((o) => o.number) : result.changed;
    await publish(deps, octokit, ref, result.config, result.all, numbers, true);
    return result.changed;
  });
}

/** The recent gated runs, each with the lane state its evidence left behind. */
async function runsWithLaneState(q: Q, repo: string, lanes: string[]) {
  const runs = await recentRuns(q, repo, lanes);
  const states = await laneStatesOfRuns(
    q,
    repo,
    runs.map((r) => r.runId),
  );
  return runs.map((r) => describeRecentRun(r, states.get(`${r.runId}:${r.attempt}`) ?? "-"));
}

async function publish(
  deps: SyncDeps,
  octokit: Octokit,
  ref: RepoRef,
  config: LanegateConfig,
  outcomes: IssueOutcome[],
  numbers: number[],
  /** Let the installation's gate deliveries finish first (batched refreshes, the sweep). */
  yieldToDecisions: boolean,
) {
  const repo = repoKey(ref);
  const installationId = await read(deps.db, (q) => repoStore.installationOf(q, repo));
  const writer =
    installationId !== null && deps.commentClient ? await deps.commentClient(installationId) : octokit;
  for (const number of new Set(numbers)) {
    const outcome = outcomes.find((o) => o.number === number);
    const { issue, runs } = await read(deps.db, async (q) => ({
      issue: await issueStore.storedIssue(q, repo, number),
      runs: outcome
        ? await runsWithLaneState(
            q,
            repo,
            outcome.lanes.map((l) => l.lane),
          )
        : [],
    }));
    if (!outcome || !issue) continue;
    const body = renderStatusComment(outcome, config.label, runs);
    const hash = digest(body);
    if (hash === issue.statusCommentDigest) continue;
    try {
      if (yieldToDecisions) await afterDecisions(installationId);
      const id = await upsertStatusComment(writer, ref, number, issue.statusCommentId, body, deps.appId);
      await single(deps.db, (q) => issueStore.saveStatusComment(q, repo, number, id, hash));
    } catch (error) {
      // The records are already right; the next sync of this repository writes the comment.
      deps.log.warn(`${repo}#${number} status comment not written: ${describe(error)}`, {
        repository: repo,
        issue: number,
      });
    }
  }
}
