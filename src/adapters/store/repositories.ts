// SQL for repositories: the config last loaded, the declared lanes, installation and default branch.
import { eq, sql } from "drizzle-orm";
import type { ConfigLoad } from "../../core/config/load.ts";
import { configSchema, DEFAULT_CONFIG, type LanegateConfig } from "../../core/config/schema.ts";
import { appendAudit } from "./audit.ts";
import { preparedOn, type Q } from "./db.ts";
import * as t from "./schema.ts";

// A repository's row is read several times per delivery (config, installation, default branch).
const prepared = preparedOn((q) => ({
  row: q
    .select()
    .from(t.repositories)
    .where(eq(t.repositories.repo, sql.placeholder("repo")))
    .prepare(),
}));

function repositoryRow(q: Q, repo: string) {
  return prepared(q).row.get({ repo });
}

/** Records a config load; returns whether the config in force changed (an unreadable load changes nothing). */
export function recordConfig(
  q: Q,
  repo: string,
  installationId: number | null,
  load: ConfigLoad,
  now: Date,
): boolean {
  const previous = repositoryRow(q, repo);
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
  q.insert(t.repositories).values(row).onConflictDoUpdate({ target: t.repositories.repo, set: row }).run();
  if (
    previous?.configStatus !== load.status ||
    JSON.stringify(previous?.configErrors) !== JSON.stringify(load.errors)
  ) {
    const detail = load.errors.length ? `: ${load.errors.join("; ")}` : "";
    appendAudit(q, {
      repo,
      deliveryId: null,
      event: "config",
      actor: null,
      subject: ".github/lanegate.yml",
      change: `${previous?.configStatus ?? "never loaded"} -> ${load.status}${detail}`,
      at: now.toISOString(),
    });
  }
  // Declared lanes change only when the config does; most syncs load the same config again.
  const unchanged =
    previous?.configStatus === load.status && JSON.stringify(previous.config) === JSON.stringify(row.config);
  if (load.status === "unreadable" || unchanged) return false;
  q.delete(t.declaredLanes).where(eq(t.declaredLanes.repo, repo)).run();
  const lanes = load.status === "ok" ? Object.entries(load.config.lanes) : [];
  for (const [lane, { data_authority, approvers: _counted, ...flags }] of lanes) {
    q.insert(t.declaredLanes)
      .values({ repo, lane: lane.trim().toLowerCase(), dataAuthority: data_authority, flags })
      .run();
  }
  return true;
}

/** The config in force for a repository: the last valid one, or the defaults. */
export function configFor(q: Q, repo: string): LanegateConfig {
  const row = repositoryRow(q, repo);
  const parsed = configSchema.safeParse(row?.config);
  return parsed.success ? parsed.data : DEFAULT_CONFIG;
}

export function recordDefaultBranch(q: Q, repo: string, branch: string) {
  q.update(t.repositories).set({ defaultBranch: branch }).where(eq(t.repositories.repo, repo)).run();
}

export function defaultBranchOf(q: Q, repo: string): string | null {
  return repositoryRow(q, repo)?.defaultBranch ?? null;
}

export function installationOf(q: Q, repo: string): number | null {
  return repositoryRow(q, repo)?.installationId ?? null;
}
