// The config in force for a repository, kept in memory and in the store and confirmed with
// GitHub by conditional requests: when a push touches one of its files, when it is older than
// CONFIG_MAX_AGE_MS (the safety net for a missed push), or when the last refresh failed. No
// decision uses a config older than that bound: if GitHub cannot confirm it, the load is
// `unreadable`, which the gate refuses as github_unavailable and a sync records as a failure.
import { describe, type Octokit, statusOf } from "../adapters/github/client.ts";
import { fetchConfigFiles } from "../adapters/github/config.ts";
import { appendAudit } from "../adapters/store/audit.ts";
import * as cacheStore from "../adapters/store/config-cache.ts";
import { type Db, exclusive, type Q, read, single, transaction } from "../adapters/store/db.ts";
import * as repoStore from "../adapters/store/repositories.ts";
import {
  type ConfigFile,
  type ConfigLoad,
  composeConfig,
  configInForce,
  describeLoadChange,
  type UsableLoad,
} from "../core/config/load.ts";
import type { LanegateConfig } from "../core/config/schema.ts";
import { type RepoRef, refOf, repoKey, type Target, targetOf } from "../core/repository.ts";
import type { SyncDeps } from "./deps.ts";
import { deriveGrants, lanesScope } from "./derive.ts";

/** How long a config is used without asking GitHub whether it changed. */
export const CONFIG_MAX_AGE_MS = 5 * 60_000;

interface Entry {
  load: UsableLoad;
  files: ConfigFile[];
  checkedAt: number;
  stale: boolean;
}

// Per database, so two apps in one process (tests, the benchmark) never share a cache.
const memory = new WeakMap<Db, Map<string, Entry>>();
const inFlight = new WeakMap<Db, Map<string, Promise<ConfigLoad>>>();
// Repositories whose config changed, with the issues whose stored facts could not be judged under
// it (a team never asked about): whoever can read GitHub next, the push pipeline, reads them.
const changedConfigs = new WeakMap<Db, Map<string, number[]>>();
const mapOf = <V>(m: WeakMap<Db, Map<string, V>>, db: Db) => {
  const map = m.get(db) ?? new Map<string, V>();
  m.set(db, map);
  return map;
};

async function cached(db: Db, repo: string): Promise<Entry | undefined> {
  const hit = mapOf(memory, db).get(repo);
  if (hit && (db.dialect === "sqlite" || (await storeAgrees(db, repo, hit)))) return hit;
  const row = await read(db, (q) => cacheStore.readConfigCache(q, repo));
  if (!row) return undefined;
  const entry = {
    load: composeConfig(row.files),
    files: row.files,
    checkedAt: Date.parse(row.checkedAt),
    stale: row.stale,
  };
  mapOf(memory, db).set(repo, entry);
  return entry;
}

/**
 * On a store shared by replicas, another replica may have made the config stale (a push it
 * received) or read a new one since this replica remembered it: the memory serves only while
 * the store's check is the one it remembers, at the cost of one small read. On SQLite only this
 * process writes the store, so its memory is the store's.
 */
async function storeAgrees(db: Db, repo: string, hit: Entry): Promise<boolean> {
  const check = await read(db, (q) => cacheStore.readConfigCheck(q, repo));
  return check !== undefined && check.stale === hit.stale && Date.parse(check.checkedAt) === hit.checkedAt;
}

const fresh = (deps: SyncDeps, entry: Entry | undefined, maxAgeMs = CONFIG_MAX_AGE_MS): entry is Entry =>
  entry !== undefined && !entry.stale && deps.now().getTime() - entry.checkedAt < maxAgeMs;

/** The approval label, when a config within the bound says it; null means "read the config first". */
export async function freshLabel(deps: SyncDeps, ref: RepoRef): Promise<string | null> {
  const entry = await cached(deps.db, repoKey(ref));
  if (!fresh(deps, entry)) return null;
  return entry.load.status === "ok" ? entry.load.config.label : "lane-policy";
}

/** The files the config in force was read from, as cached; null when it has never been read. */
export async function configFilesInForce(deps: SyncDeps, ref: RepoRef): Promise<ConfigFile[] | null> {
  return (await cached(deps.db, repoKey(ref)))?.files ?? null;
}

/** The config to decide under: from the cache within the bound, else confirmed with GitHub. */
export async function currentConfigLoad(
  deps: SyncDeps,
  octokit: Octokit,
  ref: RepoRef,
  installationId: number | null,
  maxAgeMs = CONFIG_MAX_AGE_MS,
): Promise<ConfigLoad> {
  const repo = repoKey(ref);
  const entry = await cached(deps.db, repo);
  if (fresh(deps, entry, maxAgeMs)) return entry.load;
  // Deliveries that arrive together share one refresh.
  const pending = mapOf(inFlight, deps.db);
  const running = pending.get(repo);
  if (running) return running;
  const refresh = refreshConfig(deps, octokit, ref, installationId, entry).finally(() =>
    pending.delete(repo),
  );
  pending.set(repo, refresh);
  return refresh;
}

async function refreshConfig(
  deps: SyncDeps,
  octokit: Octokit,
  ref: RepoRef,
  installationId: number | null,
  entry: Entry | undefined,
): Promise<ConfigLoad> {
  const repo = repoKey(ref);
  const now = deps.now();
  let next: Entry;
  // What the cache stores: the files read, null when GitHub confirmed the cached ones (a 304), or
  // nothing (undefined) when they could not be read as a config.
  let files: ConfigFile[] | null | undefined;
  try {
    const fetched = await fetchConfigFiles(octokit, ref, entry?.files ?? []);
    const unchanged = fetched.unchanged && entry !== undefined;
    const load = unchanged ? entry.load : composeConfig(fetched.files);
    next = { load, files: fetched.files, checkedAt: now.getTime(), stale: false };
    files = unchanged ? null : fetched.files;
  } catch (error) {
    if (statusOf(error) !== null) return await failed(deps, repo, installationId, entry, error);
    // Not YAML, a bad `_extends`: the config is invalid, and nothing of it is cached in the store.
    const load: UsableLoad = { status: "invalid", config: null, errors: [describe(error)] };
    next = { load, files: [], checkedAt: now.getTime(), stale: false };
  }
  // Outside the try: a store that fails here fails the caller, and says nothing about the config.
  // Under the repository's derivation lock (which rejudging the grants takes anyway): replicas
  // refreshing together each replace the files in turn.
  const { load } = next;
  await transaction(deps.db, async (q) => {
    await exclusive(q, lanesScope(repo));
    if (files !== undefined) await cacheStore.saveConfigCache(q, repo, files, now.toISOString());
    // Also after a 304: a status left `unreadable` by a failed refresh goes back to the load's.
    if (await recordLoad(q, repo, installationId, load, now))
      await rejudgeGrants(deps.db, q, repo, load, now);
  });
  mapOf(memory, deps.db).set(repo, next);
  if (next.load.status === "invalid")
    deps.log.warn(
      `${repo}: .github/lanegate.yml is invalid, the defaults apply: ${next.load.errors.join("; ")}`,
    );
  return next.load;
}

/**
 * Records a config load, with an audit line when its status or errors changed. Returns whether
 * the config in force changed.
 */
async function recordLoad(q: Q, repo: string, installationId: number | null, load: ConfigLoad, now: Date) {
  const { previous, changed } = await repoStore.recordConfig(q, repo, installationId, load, now);
  const change = describeLoadChange(previous, load);
  if (change) await auditConfig(q, repo, change, now);
  return changed;
}

/** An audit line about the repository's config, which no one person changed. */
function auditConfig(q: Q, repo: string, change: string, now: Date) {
  return appendAudit(q, {
    repo,
    deliveryId: null,
    event: "config",
    actor: null,
    subject: ".github/lanegate.yml",
    change,
    at: now.toISOString(),
  });
}

/**
 * A new config in force judges every live grant of the repository again, from the stored facts
 * and in the transaction that records the config: no decision after it sees a grant judged under
 * the old one (a raised min_permission, a renamed label).
 */
async function rejudgeGrants(db: Db, q: Q, repo: string, load: UsableLoad, now: Date) {
  const config = configInForce(load) ?? (await repoStore.configFor(q, repo));
  const result = await deriveGrants(q, repo, config, { deliveryId: null, event: "config", actor: null }, now);
  mapOf(changedConfigs, db).set(repo, result.needsRead);
  if (result.all.length === 0) return;
  const reread = result.needsRead.length
    ? `; issues ${result.needsRead.map((n) => `#${n}`).join(", ")} must be read again to judge their approvers`
    : "";
  await auditConfig(
    q,
    repo,
    `the config in force changed: the grants of ${result.all.length} live issues were re-derived under it, ${result.plan.length} changed${reread}`,
    now,
  );
}

/** A refresh GitHub did not answer: the last good config is kept for later, but not decided under. */
async function failed(
  deps: SyncDeps,
  repo: string,
  installationId: number | null,
  entry: Entry | undefined,
  error: unknown,
): Promise<ConfigLoad> {
  const load: ConfigLoad = { status: "unreadable", errors: [describe(error)] };
  if (entry) entry.stale = true;
  await transaction(deps.db, async (q) => {
    await cacheStore.markConfigStale(q, [repo]);
    await recordLoad(q, repo, installationId, load, deps.now());
  });
  const kept = entry
    ? `the last good config (confirmed ${new Date(entry.checkedAt).toISOString()}) is kept`
    : "";
  deps.log.warn(
    `${repo}: the config could not be refreshed: ${describe(error)}; ${kept || "none is cached"}`,
  );
  return load;
}

/**
 * A push touched files some repositories' configs were read from: those configs are stale, in
 * memory and in the store, and the next use confirms them with GitHub. Returns the repositories.
 */
export async function staleOnPush(
  deps: SyncDeps,
  owner: string,
  name: string,
  paths: string[] | null,
): Promise<string[]> {
  const repos = await transaction(deps.db, async (q) => {
    const reading = await cacheStore.reposReading(q, owner, name, paths);
    await cacheStore.markConfigStale(q, reading);
    return reading;
  });
  for (const repo of repos) {
    const entry = mapOf(memory, deps.db).get(repo);
    if (entry) entry.stale = true;
  }
  return repos;
}

/**
 * The issues a config change left to read again (their approvers could not be judged from the
 * stored facts under it), taken once: null when the config did not change since the last take.
 */
export function takeIssuesToRead(db: Db, repo: string): number[] | null {
  const changes = mapOf(changedConfigs, db);
  const needsRead = changes.get(repo);
  if (!needsRead) return null;
  changes.delete(repo);
  return needsRead;
}

export interface CurrentConfig {
  config: LanegateConfig | null;
  error: string | null;
}

/**
 * The config in force, from the cache within its bound or confirmed with GitHub; `config` is null
 * (and `error` says why) when GitHub could not confirm it, which a decision refuses.
 */
export async function currentConfig(
  deps: SyncDeps,
  octokit: Octokit,
  target: Target,
  /** The delivery's default branch was compared with the stored one already (by its intake). */
  { branchRecorded = false } = {},
): Promise<CurrentConfig> {
  const repo = repoKey(target.ref);
  const load = await currentConfigLoad(deps, octokit, target.ref, target.installationId);
  const branch = target.defaultBranch;
  if (
    branch &&
    !branchRecorded &&
    (await read(deps.db, (q) => repoStore.defaultBranchOf(q, repo))) !== branch
  )
    await single(deps.db, (q) => repoStore.recordDefaultBranch(q, repo, branch));
  return { config: configInForce(load), error: load.status === "unreadable" ? load.errors.join("; ") : null };
}

/**
 * Whether a delivery concerns the gate at all: `config` is the current config, else the last one
 * stored; `current` is what GitHub confirmed, for the decision the delivery may lead to.
 */
export async function configForIntake(
  deps: SyncDeps,
  octokit: Octokit,
  target: Target,
): Promise<{ config: LanegateConfig; current: CurrentConfig }> {
  const current = await currentConfig(deps, octokit, target);
  const config = current.config ?? (await read(deps.db, (q) => repoStore.configFor(q, repoKey(target.ref))));
  return { config, current };
}

/** The repository as a delivery would name it, from what the store remembers of it. */
export async function storedTarget(db: Db, repo: string): Promise<Target> {
  return read(db, async (q) =>
    targetOf(refOf(repo), await repoStore.installationOf(q, repo), {
      recorded: await repoStore.defaultBranchOf(q, repo),
    }),
  );
}
