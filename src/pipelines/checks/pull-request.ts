// The pull-request checks: list the pull request's files, and only when it changes the config's
// chain or a workflow, read the config in force (cached) and each of those files at the head
// commit, run the pure checks, and write the check runs. Nothing of the tree is read beyond the
// changed files, and nothing is stored.
import { describe, type Octokit, statusOf } from "../../adapters/github/client.ts";
import { readConfigFile } from "../../adapters/github/config.ts";
import { listPullFiles, readFileAt, writePullCheck } from "../../adapters/github/pull-checks.ts";
import { checkPullRequestFiles, type TextFile } from "../../core/checks/check.ts";
import { type ChainFile, extendsFinding, readConfigSource } from "../../core/checks/config-check.ts";
import { type ChangedFile, existsAtHead, relevantChanges } from "../../core/checks/relevance.ts";
import type { CheckName } from "../../core/checks/render.ts";
import type { Finding } from "../../core/checks/rules.ts";
import { readYaml } from "../../core/checks/source.ts";
import { isWorkflowPath } from "../../core/checks/workflow.ts";
import { ChainError, CONFIG_PATH, type FileRef, sameFile, walkChain } from "../../core/config/chain.ts";
import type { ConfigFile } from "../../core/config/load.ts";
import type { Target } from "../../core/repository.ts";
import { configFilesInForce, currentConfigLoad } from "../config.ts";
import type { SyncDeps } from "../deps.ts";

export interface CheckDeps extends SyncDeps {
  /** docs/operations.md as the operator publishes it, for the rules' links. */
  docsUrl?: string;
}

export interface PullRequestRef {
  number: number;
  headSha: string;
}

/** The check runs' external id, which a re-request carries back. */
export const externalIdOf = (number: number) => `pull_request:${number}`;

export function pullNumberOf(externalId: string | null): number | null {
  const match = /^pull_request:([1-9][0-9]*)$/.exec(externalId ?? "");
  return match ? Number(match[1]) : null;
}

/** Runs both checks, or the one a re-request names. */
export async function checkPullRequest(
  deps: CheckDeps,
  octokit: Octokit,
  target: Target,
  pr: PullRequestRef,
  only: CheckName | null = null,
): Promise<void> {
  const { ref } = target;
  const files = await listPullFiles(octokit, ref, pr.number);
  const chainPaths = (inForce: ConfigFile[] | null) =>
    inForce?.filter((f) => sameRepo(f, ref)).map((f) => f.path) ?? null;
  const first = relevantChanges(files, chainPaths(await configFilesInForce(deps, ref)));
  if (first.config.length === 0 && first.workflows.length === 0 && !first.maybeConfig) return;

  const inForce = await currentConfigLoad(deps, octokit, ref, target.installationId);
  if (inForce.status === "unreadable")
    throw new Error(`the config in force could not be read: ${inForce.errors.join("; ")}`);
  const cachedFiles = (await configFilesInForce(deps, ref)) ?? [];
  const relevant = relevantChanges(files, chainPaths(cachedFiles));
  if (relevant.config.length === 0 && relevant.workflows.length === 0) return;

  const head = (path: string) => readFileAt(octokit, ref, path, pr.headSha);
  // An unchanged chain is the one in force, as cached: nothing of it is read again.
  const { chain, findings } =
    relevant.config.length > 0
      ? await headChain(octokit, target, files, relevant.config, cachedFiles, head)
      : { chain: cachedFiles.map((file) => ({ file, source: null, localPath: null })), findings: [] };
  const workflows: TextFile[] = [];
  for (const f of relevant.workflows) {
    if (f.status === "removed" || !isWorkflowPath(f.path)) continue;
    const text = await head(f.path);
    if (text !== null) workflows.push({ path: f.path, text });
  }
  const outputs = checkPullRequestFiles(
    {
      chain,
      chainFindings: findings,
      configChanged: relevant.config.length > 0,
      inForce,
      workflowsChanged: relevant.workflows.length > 0,
      workflows,
      exists: (path) => existsAtHead(files, path),
      // A pull request delivery always names it; the words stand in only where a payload did not.
      defaultBranch: target.defaultBranch ?? "the default branch",
      docsUrl: deps.docsUrl ?? null,
    },
    only,
  );
  // Through the status comments' client: its own write queue, so no gate decision waits behind these.
  const writer =
    target.installationId !== null && deps.commentClient
      ? await deps.commentClient(target.installationId)
      : octokit;
  for (const output of outputs)
    await writePullCheck(writer, ref, {
      ...output,
      headSha: pr.headSha,
      externalId: externalIdOf(pr.number),
    });
}

const sameRepo = (f: FileRef, ref: { owner: string; repo: string }) =>
  f.owner.toLowerCase() === ref.owner.toLowerCase() && f.repo.toLowerCase() === ref.repo.toLowerCase();

/**
 * The config's chain as the pull request leaves it: its versions of the files it changes, the
 * cached files of the config in force for the rest. A file the chain newly names that lanegate
 * never read is read from the default branch (one more request, only then).
 */
async function headChain(
  octokit: Octokit,
  target: Target,
  files: ChangedFile[],
  changed: ChangedFile[],
  cachedFiles: ConfigFile[],
  head: (path: string) => Promise<string | null>,
): Promise<{ chain: ChainFile[]; findings: Finding[] }> {
  const { ref } = target;
  const findings: Finding[] = [];
  const chain: ChainFile[] = [];
  const read = async (at: FileRef): Promise<ConfigFile> => {
    const local = sameRepo(at, ref) ? at.path : null;
    const change =
      local !== null ? changed.find((f) => f.path === local || f.previousPath === local) : undefined;
    if (local !== null && change) {
      const text = existsAtHead(files, local) === false ? null : await head(local);
      const source = text === null ? null : readYaml(local, text);
      const parsed = source ? readConfigSource(source) : null;
      if (parsed) findings.push(...parsed.findings);
      const file = { ...at, etag: null, config: parsed?.config ?? null };
      chain.push({ file, source, localPath: local });
      return file;
    }
    const file = cachedFiles.find((f) => sameFile(f, at)) ?? (await readConfigFile(octokit, at, undefined));
    chain.push({ file, source: null, localPath: local });
    return file;
  };
  try {
    await walkChain(ref, read);
  } catch (error) {
    if (statusOf(error) !== null) throw error;
    // A bad `_extends`, a loop, a file of another repository that is no config: invalid.
    const at = error instanceof ChainError ? error.file : null;
    const source = at ? (chain.find((c) => sameFile(c.file, at))?.source ?? null) : null;
    findings.push(extendsFinding(describe(error), source, CONFIG_PATH));
  }
  return { chain, findings };
}
