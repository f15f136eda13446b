// A push to a default branch that touches a config file: the configs read from it are refreshed,
// and the issues whose approvers could not be judged under the new one are read again.

import type { Octokit } from "../../adapters/github/client.ts";
import { read } from "../../adapters/store/db.ts";
import * as repoStore from "../../adapters/store/repositories.ts";
import { type RepoRef, refOf } from "../../core/repository.ts";
import { currentConfigLoad, staleOnPush, takeIssuesToRead } from "../config.ts";
import type { SyncDeps } from "../deps.ts";
import { rederive, syncIssue } from "./sync.ts";

export interface Push {
  ref: RepoRef;
  installationId: number | null;
  branch: string;
  defaultBranch: string;
  /** Files the push added, changed or removed; null when the payload cannot say (truncated). */
  paths: string[] | null;
}

/**
 * A push to a default branch that touches a file some repository's config was read from marks
 * those configs stale and refreshes the ones this installation can read; any other waits for
 * its next use. Returns the repositories affected.
 */
export async function refreshOnPush(deps: SyncDeps, octokit: Octokit, push: Push): Promise<string[]> {
  if (push.branch !== push.defaultBranch) return [];
  const yaml = push.paths?.filter((p) => /\.ya?ml$/i.test(p)) ?? null;
  if (yaml?.length === 0) return [];
  const repos = await staleOnPush(deps, push.ref.owner, push.ref.repo, yaml);
  for (const repo of repos) {
    if ((await read(deps.db, (q) => repoStore.installationOf(q, repo))) !== push.installationId) continue;
    await currentConfigLoad(deps, octokit, refOf(repo), push.installationId);
    await settleConfigChange(deps, octokit, repo, push.installationId);
  }
  return repos;
}

/**
 * After a config change: reads again the issues whose approvers the stored facts could not judge
 * under it, then writes the status comments whose content changed.
 */
async function settleConfigChange(
  deps: SyncDeps,
  octokit: Octokit,
  repo: string,
  installationId: number | null,
) {
  const needsRead = takeIssuesToRead(deps.db, repo);
  if (!needsRead) return;
  const ref = refOf(repo);
  const trigger = { deliveryId: null, event: "config", actor: null };
  for (const number of needsRead) await syncIssue(deps, octokit, { ref, installationId, number }, trigger);
  await rederive(deps, octokit, ref, trigger, true);
}
