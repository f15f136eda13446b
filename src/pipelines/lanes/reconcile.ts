// Rebuilds lane records from GitHub for everything the app can see: at start, on a timer and from
// the CLI. It catches what deliveries missed, such as an issue closed while the app was down.

import type { Probot } from "probot";
import { describe, listLabelledIssues, type Octokit } from "../../adapters/github/client.ts";
import type * as auditStore from "../../adapters/store/audit.ts";
import { read } from "../../adapters/store/db.ts";
import * as grantStore from "../../adapters/store/grants.ts";
import * as issueStore from "../../adapters/store/issues.ts";
import { knownRepositories } from "../../adapters/store/read.ts";
import * as repoStore from "../../adapters/store/repositories.ts";
import { configInForce } from "../../core/config/load.ts";
import type { GrantChange } from "../../core/lanes/grant-plan.ts";
import { type RepoRef, refOf, repoKey } from "../../core/repository.ts";
import { currentConfigLoad } from "../config.ts";
import type { SyncDeps } from "../deps.ts";
import { reconcileOperations } from "../operations.ts";
import { rederive, syncIssue } from "./sync.ts";

export interface ReconcileReport {
  repositories: number;
  issues: number;
  failures: string[];
  /** Grant changes per repository: applied, or in a dry run only planned. */
  plans: { repo: string; changes: GrantChange[] }[];
}

export interface ReconcileOptions {
  /** Read GitHub and plan the grant changes, but write nothing to the store or to GitHub. */
  dryRun?: boolean;
}

const TRIGGER: auditStore.Trigger = { deliveryId: null, event: "reconcile", actor: null };

export async function reconcileAll(
  deps: SyncDeps,
  app: Probot,
  options: ReconcileOptions = {},
): Promise<ReconcileReport> {
  const started = Date.now();
  const report: ReconcileReport = { repositories: 0, issues: 0, failures: [], plans: [] };
  const appOctokit = await app.auth();
  const installations = await appOctokit.paginate(appOctokit.rest.apps.listInstallations, { per_page: 100 });
  // One installation or repository that fails (suspended, issues turned off) must not keep the
  // others, and their lanes, from being reconciled: failures are collected, never thrown.
  for (const installation of installations) {
    try {
      const octokit = await app.auth(installation.id);
      const repos = await octokit.paginate(octokit.rest.apps.listReposAccessibleToInstallation, {
        per_page: 100,
      });
      for (const r of repos) {
        const ref = { owner: r.owner.login, repo: r.name };
        const one = await reconcileRepo(deps, octokit, ref, installation.id, options);
        report.repositories += one.repositories;
        report.issues += one.issues;
        report.failures.push(...one.failures);
        report.plans.push(...one.plans);
      }
    } catch (error) {
      report.failures.push(`installation ${installation.id}: ${describe(error)}`);
    }
  }
  const took = Date.now() - started;
  deps.log.info(
    `reconcile: ${report.repositories} repositories, ${report.issues} issues, ${report.failures.length} failures in ${took} ms`,
  );
  for (const failure of report.failures) deps.log.warn(`reconcile: ${failure}`);
  return report;
}

/** Re-reads every issue that carries the label now, or that the records still think is live. */
export async function reconcileRepo(
  deps: SyncDeps,
  octokit: Octokit,
  ref: RepoRef,
  installationId: number | null,
  { dryRun = false }: ReconcileOptions = {},
): Promise<ReconcileReport> {
  const repo = repoKey(ref);
  const failures: string[] = [];
  const changes: GrantChange[] = [];
  let numbers: number[] = [];
  try {
    const known = (await read(deps.db, (q) => knownRepositories(q))).includes(repo);
    // The reconcile is also the config's periodic confirmation (a conditional request, free when
    // unchanged); a dry run takes the cached config while it is within its bound.
    const load = await currentConfigLoad(deps, octokit, ref, installationId, dryRun ? undefined : 0);
    if (load.status === "missing" && !known) return { repositories: 0, issues: 0, failures: [], plans: [] };
    const config = configInForce(load);
    const labelled = config ? await listLabelledIssues(octokit, ref, config.label) : [];
    const live = (await read(deps.db, (q) => issueStore.liveIssues(q, repo))).map((i) => i.facts.number);
    numbers = [...new Set([...labelled, ...live])].sort((a, b) => a - b);
  } catch (error) {
    failures.push(`${repo}: issues not reconciled: ${describe(error)}`);
  }
  for (const number of numbers) {
    const result = await syncIssue(deps, octokit, { ref, installationId, number }, TRIGGER, { dryRun });
    if (result.ok) changes.push(...result.plan);
    else failures.push(`${repo}#${number}: ${result.error}`);
  }
  const plans = changes.length > 0 ? [{ repo, changes }] : [];
  if (dryRun) return { repositories: 1, issues: numbers.length, failures, plans };
  // Operations are reconciled whatever happened to the issues: a lane must not stay blocked
  // because its repository's issues could not be read.
  failures.push(...(await reconcileOperations(deps, octokit, repo)));
  return { repositories: 1, issues: numbers.length, failures, plans };
}

/** Marks grants whose expiry has passed and updates their status comments; no GitHub reads. */
export async function sweepExpired(deps: SyncDeps, app: Probot): Promise<string[]> {
  const repos = await read(deps.db, (q) => grantStore.reposWithExpiringGrants(q, deps.now()));
  for (const repo of repos) {
    const installationId = await read(deps.db, (q) => repoStore.installationOf(q, repo));
    if (installationId === null) continue;
    const octokit = await app.auth(installationId);
    await rederive(deps, octokit, refOf(repo), { deliveryId: null, event: "expiry sweep", actor: null });
  }
  return repos;
}
