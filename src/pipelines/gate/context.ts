// What every part of the gate pipeline shares: its dependencies, the repository a delivery is
// about, and which workflows of it the gate cares about.

import { loadConfig, type Octokit, type RepoRef } from "../../adapters/github/client.ts";
import { transaction } from "../../adapters/store/db.ts";
import * as repoStore from "../../adapters/store/repositories.ts";
import { configInForce } from "../../core/config/load.ts";
import type { LanegateConfig } from "../../core/config/schema.ts";
import { workflowFile } from "../../core/gate/request.ts";
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
  /** The repository's default branch, from the delivery: the allowed branch when the config names none. */
  defaultBranch: string;
}

/** Which workflows the gate cares about: gated ones get decisions, proof ones become proofs. */
export function roles(config: LanegateConfig | null, path: string) {
  const file = workflowFile(path);
  const gated = config?.gate.workflows.includes(file) ?? false;
  const proof = config
    ? [config.proofs.backup?.workflow, config.proofs.restore?.workflow].includes(file)
    : false;
  return { file, gated, proof };
}

/** The stored config decides whether a delivery matters; a fresh load backs every decision. */
export function storedConfig(deps: GateDeps, repo: string): LanegateConfig | null {
  return repoStore.hasRepository(deps.db, repo) ? repoStore.configFor(deps.db, repo) : null;
}

export async function currentConfig(deps: GateDeps, octokit: Octokit, target: Target) {
  const repo = repoKey(target.ref);
  const load = await loadConfig(octokit, target.ref);
  transaction(deps.db, (q) => {
    repoStore.recordConfig(q, repo, target.installationId, load, deps.now());
    if (target.defaultBranch) repoStore.recordDefaultBranch(q, repo, target.defaultBranch);
  });
  return { config: configInForce(load), error: load.status === "unreadable" ? load.errors.join("; ") : null };
}
