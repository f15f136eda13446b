// SQL for repositories: the config last loaded, the declared lanes, installation and default branch.
import { eq, sql } from "drizzle-orm";
import type { ConfigLoad, RecordedLoad } from "../../core/config/load.ts";
import { configSchema, DEFAULT_CONFIG, type LanegateConfig } from "../../core/config/schema.ts";
import { first, type Q, sameJson, tables } from "./db.ts";
import { preparedOn } from "./prepared.ts";

// A repository's row is read several times per delivery (config, installation, default branch).
// The default branch and the installation are read alone: the row's config is a JSON document
// that every delivery would otherwise parse only to compare a branch name.
const prepared = preparedOn((q, t) => {
  const byRepo = eq(t.repositories.repo, sql.placeholder("repo"));
  return {
    row: q.select().from(t.repositories).where(byRepo).prepare(),
    branch: q.select({ branch: t.repositories.defaultBranch }).from(t.repositories).where(byRepo).prepare(),
    installation: q
      .select({ id: t.repositories.installationId })
      .from(t.repositories)
      .where(byRepo)
      .prepare(),
  };
});

function repositoryRow(q: Q, repo: string) {
  return first(prepared(q).row.execute({ repo }));
}

/**
 * Records a config load. Returns the load recorded before it, and whether the config in force
 * changed (an unreadable load changes nothing).
 */
export async function recordConfig(
  q: Q,
  repo: string,
  installationId: number | null,
  load: ConfigLoad,
  now: Date,
): Promise<{ previous: RecordedLoad | null; changed: boolean }> {
  const t = tables(q);
  const previous = await repositoryRow(q, repo);
  const row = {
    repo,
    installationId: installationId ?? previous?.installationId ?? null,
    configStatus: load.status,
    configErrors: load.errors,
    // An unreadable config leaves the last known one in force rather than guessing.
    config:
      load.status === "unreadable" ? (previous?.config ?? null) : load.status === "ok" ? load.config : null,
    checkedAt: now.toISOString(),
  };
  await q.insert(t.repositories).values(row).onConflictDoUpdate({ target: t.repositories.repo, set: row });
  const recorded = previous ? { status: previous.configStatus, errors: previous.configErrors } : null;
  // Declared lanes change only when the config does; most syncs load the same config again.
  const unchanged = previous?.configStatus === load.status && sameJson(previous.config, row.config);
  if (load.status === "unreadable" || unchanged) return { previous: recorded, changed: false };
  await q.delete(t.declaredLanes).where(eq(t.declaredLanes.repo, repo));
  const lanes = load.status === "ok" ? Object.entries(load.config.lanes) : [];
  if (lanes.length > 0)
    await q.insert(t.declaredLanes).values(
      lanes.map(([lane, { data_authority, approvers: _counted, ...flags }]) => ({
        repo,
        lane: lane.trim().toLowerCase(),
        dataAuthority: data_authority,
        flags,
      })),
    );
  return { previous: recorded, changed: true };
}

/** The config in force for a repository: the last valid one, or the defaults. */
export async function configFor(q: Q, repo: string): Promise<LanegateConfig> {
  const row = await repositoryRow(q, repo);
  const parsed = configSchema.safeParse(row?.config);
  return parsed.success ? parsed.data : DEFAULT_CONFIG;
}

export async function recordDefaultBranch(q: Q, repo: string, branch: string) {
  const t = tables(q);
  await q.update(t.repositories).set({ defaultBranch: branch }).where(eq(t.repositories.repo, repo));
}

export async function defaultBranchOf(q: Q, repo: string): Promise<string | null> {
  return (await first(prepared(q).branch.execute({ repo })))?.branch ?? null;
}

export async function installationOf(q: Q, repo: string): Promise<number | null> {
  return (await first(prepared(q).installation.execute({ repo })))?.id ?? null;
}
