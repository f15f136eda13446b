// The one way every gate decision gathers its facts: a delivery, a re-request, the sweep and
// simulate all come through `gather`. GitHub is read first (the config in force and, when the
// delivery does not say, where the run is now); any failure there is kept as the refusal
// `github_unavailable`, never replaced by what the store remembers. The stored facts are then
// read inside the caller's transaction, so the decision and its writes see one snapshot.

import { describe, type Octokit } from "../../adapters/github/client.ts";
import { readDefaultBranch, readRun } from "../../adapters/github/gate.ts";
import { type Q, read, single } from "../../adapters/store/db.ts";
import * as grantStore from "../../adapters/store/grants.ts";
import * as ops from "../../adapters/store/operations.ts";
import * as repoStore from "../../adapters/store/repositories.ts";
import * as runStore from "../../adapters/store/runs.ts";
import { baselineOf, type LanegateConfig } from "../../core/config/schema.ts";
import type { DeclaredLane } from "../../core/domain.ts";
import type { GateFacts, GrantFact, ProofRun } from "../../core/gate/decision.ts";
import { laneOfInputs } from "../../core/gate/request.ts";
import { proofsAmong } from "../../core/gate/runs.ts";
import { underBaseline } from "../../core/policy/baseline.ts";
import { repoKey, type Target } from "../../core/repository.ts";
import { type CurrentConfig, currentConfig } from "../config.ts";
import type { GateDeps } from "../deps.ts";

/**
 * Where the facts about the run come from: `delivery` trusts the run the delivery reported;
 * `github` asks GitHub where the run is now (a re-request, the sweep); `stored` reads nothing
 * from GitHub at all (simulate, which only explains what the store holds).
 */
export type GatherMode = "delivery" | "github" | "stored";

/** The run as the decision needs it; `finished` is judged from the freshest source. */
export type RunToDecide = Pick<
  runStore.RunRow,
  "runId" | "attempt" | "event" | "headBranch" | "joinProblem"
> & {
  dispatchId: number | null;
  status: string;
  /** A dispatch that was never stored: simulate's made-up one. */
  dispatch?: GateFacts["dispatch"];
};

export interface Gathered {
  config: LanegateConfig;
  /** The run's status as gathered: GitHub's when asked, else the delivery's. */
  status: string;
  /** The run's newest attempt, when GitHub was asked. */
  liveAttempt: number | null;
  error: string | null;
  /**
   * Reads the stored facts; call it inside the transaction that applies the decision, with the
   * run's decisions when that transaction has read them already.
   */
  facts(q: Q, now: Date, decisions?: runStore.DecisionRow[]): Promise<GateFacts>;
}

export async function gather(
  deps: GateDeps,
  octokit: Octokit | null,
  target: Target,
  run: RunToDecide,
  mode: GatherMode,
  /**
   * What the delivery's intake was told of the config moments ago. A failure is kept (the run is
   * refused, and GitHub is not asked twice for one delivery); otherwise the config is asked for
   * again, which costs nothing within its bound (memory, and on PostgreSQL the store's check
   * row), so a push handled since the intake is seen.
   */
  confirmed?: CurrentConfig,
): Promise<Gathered> {
  const repo = repoKey(target.ref);
  let config: LanegateConfig | null = null;
  let status = run.status;
  let liveAttempt: number | null = null;
  const errors: string[] = [];
  if (mode !== "stored" && octokit) {
    const loaded = confirmed?.error
      ? confirmed
      : await currentConfig(deps, octokit, target, { branchRecorded: confirmed !== undefined }).catch(
          (e: unknown): CurrentConfig => ({ config: null, error: describe(e) }),
        );
    config = loaded.config;
    if (loaded.error) errors.push(`the config could not be read: ${loaded.error}`);
    if (mode === "github") {
      try {
        const live = await readRun(octokit, target.ref, run.runId);
        liveAttempt = live.attempt;
        status = live.attempt === run.attempt ? live.status : "completed";
      } catch (e) {
        errors.push(`run ${run.runId} could not be read: ${describe(e)}`);
      }
    }
  } else if (mode !== "stored") {
    errors.push("no installation to ask GitHub with");
  }
  // The stored config only names things when the fresh one is missing; the decision refuses then.
  const inForce = config ?? (await read(deps.db, (q) => repoStore.configFor(q, repo)));
  const defaultBranch = inForce.gate.branches
    ? target.defaultBranch
    : await knownDefaultBranch(deps, mode === "stored" ? null : octokit, target, errors);
  const error = errors.length > 0 ? errors.join("; ") : null;
  return {
    config: inForce,
    status,
    liveAttempt,
    error,
    facts: async (q, now, decisions) =>
      storedFacts(q, repo, { ...run, status }, inForce, defaultBranch, error, now, {
        decisions: decisions ?? (await runStore.decisionsForRun(q, repo, run.runId)),
      }),
  };
}

/**
 * The default branch, which is the allowed branch when the config names none. A target without
 * one (the sweep's, for a repository whose branch was never recorded) reads it from GitHub and
 * records it; when that fails, or nothing may be read, the failure is kept and the run refused.
 */
async function knownDefaultBranch(
  deps: GateDeps,
  octokit: Octokit | null,
  target: Target,
  errors: string[],
): Promise<string | null> {
  if (target.defaultBranch) return target.defaultBranch;
  // GitHub already failed: the run is refused whatever the branch, so it is not asked again.
  if (errors.length > 0) return null;
  const repo = repoKey(target.ref);
  if (!octokit) {
    errors.push(`the default branch of ${repo} is not known`);
    return null;
  }
  try {
    const branch = await readDefaultBranch(octokit, target.ref);
    await single(deps.db, (q) => repoStore.recordDefaultBranch(q, repo, branch));
    return branch;
  } catch (e) {
    errors.push(`the default branch of ${repo} could not be read: ${describe(e)}`);
    return null;
  }
}

async function storedFacts(
  q: Q,
  repo: string,
  run: RunToDecide,
  config: LanegateConfig,
  defaultBranch: string | null,
  gatherError: string | null,
  now: Date,
  { decisions }: { decisions: runStore.DecisionRow[] },
): Promise<GateFacts> {
  // No default branch is known only when gathering failed, and the decision refuses then.
  const allowedBranches = config.gate.branches ?? (defaultBranch ? [defaultBranch] : []);
  const stored = run.dispatchId === null ? undefined : await runStore.dispatchById(q, run.dispatchId);
  const dispatch = run.dispatch ?? (stored ? { branch: stored.branch, inputs: stored.inputs } : null);
  const lane = dispatch ? laneOfInputs(dispatch.inputs) : null;
  const baseline = baselineOf(config);
  const proof = async (p: LanegateConfig["proofs"]["backup"], role: "backup_proof" | "restore_proof") =>
    p && lane
      ? {
          workflow: p.workflow,
          maxAgeHours: p.max_age_hours,
          runs: await laneProofs(q, repo, role, lane, p.workflow, allowedBranches),
        }
      : null;
  const holder = lane ? await ops.holderOf(q, repo, lane) : undefined;
  const known = lane !== null && (lane in baseline || (await grantStore.laneKnown(q, repo, lane)));
  return {
    gatherError,
    declaredInputs: config.gate.inputs,
    run: {
      runId: run.runId,
      attempt: run.attempt,
      event: run.event,
      headBranch: run.headBranch,
      finished: run.status === "completed" || (await finishedSince(q, repo, run)),
    },
    dispatch,
    joinProblem: run.joinProblem,
    allowedBranches,
    knownLanes: new Set(known && lane ? [lane] : []),
    grants: lane
      ? (await grantStore.laneGrants(q, repo, lane)).map((g) => checkedAgainst(g, baseline[lane]))
      : [],
    backup: await proof(config.proofs.backup, "backup_proof"),
    restore: await proof(config.proofs.restore, "restore_proof"),
    inFlight: holder && holder.runId !== run.runId ? { runId: holder.runId, attempt: holder.attempt } : null,
    earlierAttempts: decisions
      .filter((d) => d.attempt < run.attempt)
      .map((d) => ({ attempt: d.attempt, allowed: d.allowed })),
    now,
  };
}

/** Enough of a lane's newest proofs to find the latest backup and any fresh verification. */
export const PROOFS_READ = 50;

/** The lane's newest proofs, at most PROOFS_READ: candidates a page at a time until enough prove. */
export async function laneProofs(
  q: Q,
  repo: string,
  role: "backup_proof" | "restore_proof",
  lane: string,
  workflow: string,
  branches: string[],
): Promise<ProofRun[]> {
  const proofs: ProofRun[] = [];
  for (let offset = 0; proofs.length < PROOFS_READ; offset += PROOFS_READ) {
    const page = await runStore.proofCandidates(q, repo, role, lane, { limit: PROOFS_READ, offset });
    proofs.push(...proofsAmong(page, workflow, branches));
    if (page.length < PROOFS_READ) break;
  }
  return proofs.slice(0, PROOFS_READ);
}

/** A grant the current baseline makes too weak counts as invalid; otherwise it takes the baseline's flags. */
function checkedAgainst(grant: GrantFact, declared: DeclaredLane | undefined): GrantFact {
  if (grant.policy === null) return grant;
  const policy = underBaseline(grant.policy, declared);
  return typeof policy === "string" ? { ...grant, state: "invalid", reason: policy } : { ...grant, policy };
}

/**
 * Whether the store, read inside the deciding transaction, knows the attempt has finished since
 * the facts were gathered: a newer attempt, or a completion that arrived during the config load.
 */
async function finishedSince(q: Q, repo: string, run: RunToDecide): Promise<boolean> {
  const now = await runStore.getRun(q, repo, run.runId);
  if (!now) return false;
  return now.attempt > run.attempt || (now.attempt === run.attempt && now.status === "completed");
}
