// What every part of the gate pipeline shares: its dependencies, the repository a delivery is
// about, and the config in force for it.

import type { Octokit, RepoRef } from "../../adapters/github/client.ts";
import { transaction } from "../../adapters/store/db.ts";
import * as repoStore from "../../adapters/store/repositories.ts";
import { configInForce } from "../../core/config/load.ts";
import { currentConfigLoad } from "../config.ts";
import { repoKey, type SyncDeps } from "../lanes/sync.ts";

export interface GateDeps extends SyncDeps {
  /** Public base URL of the app, for links to the read models in check runs. */
  publicUrl?: string;
  /** Called after decisions, so the approval issues' status comments can be refreshed in a batch. */
  onDecided?: (ref: RepoRef, installationId: number | null) => void;
}

export interface RunFacts {
  runId: number;
  attempt: number;
  workflowPath: string;
  headSha: string;
  headBranch: string | null;
  event: string;
  actor: string;
  displayTitle: string;
  htmlUrl: string;
  status: string;
  conclusion: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface Target {
  ref: RepoRef;
  installationId: number | null;
  /**
   * The repository's default branch, from the delivery (or as the store recorded it; null when
   * it never was): the allowed branch when the config names none.
   */
  defaultBranch: string | null;
}

/**
 * The config in force, from the cache within its bound or confirmed with GitHub; `config` is null
 * (and `error` says why) when GitHub could not confirm it, which a decision refuses.
 */
export async function currentConfig(deps: GateDeps, octokit: Octokit, target: Target) {
  const repo = repoKey(target.ref);
  const load = await currentConfigLoad(deps, octokit, target.ref, target.installationId);
  const branch = target.defaultBranch;
  if (branch && repoStore.defaultBranchOf(deps.db, repo) !== branch)
    transaction(deps.db, (q) => repoStore.recordDefaultBranch(q, repo, branch));
  return { config: configInForce(load), error: load.status === "unreadable" ? load.errors.join("; ") : null };
}

/** Whether a delivery concerns the gate at all: the current config, else the last one stored. */
export async function configForIntake(deps: GateDeps, octokit: Octokit, target: Target) {
  const { config } = await currentConfig(deps, octokit, target);
  return config ?? repoStore.configFor(deps.db, repoKey(target.ref));
}
