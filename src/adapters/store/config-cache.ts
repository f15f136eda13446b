// SQL for the config cache: the files each repository's config was composed from, with their
// ETags, and when GitHub last confirmed them.
import { and, eq, inArray, sql } from "drizzle-orm";
import type { ConfigFile } from "../../core/config/load.ts";
import { first, type Q, tables } from "./db.ts";
import { preparedOn } from "./prepared.ts";

// Read on every delivery that needs the config.
const prepared = preparedOn((q, t) => ({
  check: q
    .select()
    .from(t.configChecks)
    .where(eq(t.configChecks.repo, sql.placeholder("repo")))
    .prepare(),
  files: q
    .select()
    .from(t.configFiles)
    .where(eq(t.configFiles.repo, sql.placeholder("repo")))
    .orderBy(t.configFiles.position)
    .prepare(),
}));

export interface CachedConfig {
  files: ConfigFile[];
  checkedAt: string;
  stale: boolean;
}

export async function readConfigCache(q: Q, repo: string): Promise<CachedConfig | undefined> {
  const queries = prepared(q);
  const check = await first(queries.check.execute({ repo }));
  if (!check) return undefined;
  const files = (await queries.files.execute({ repo })).map((f) => ({
    owner: f.sourceOwner,
    repo: f.sourceRepo,
    path: f.path,
    etag: f.etag,
    config: f.content ?? null,
  }));
  return { files, checkedAt: check.checkedAt, stale: check.stale };
}

/** When GitHub last confirmed the repository's config, and whether a push has made it stale since. */
export async function readConfigCheck(
  q: Q,
  repo: string,
): Promise<{ checkedAt: string; stale: boolean } | undefined> {
  const check = await first(prepared(q).check.execute({ repo }));
  return check && { checkedAt: check.checkedAt, stale: check.stale };
}

/** Replaces the files after a read that changed something; a 304 only confirms them. */
export async function saveConfigCache(q: Q, repo: string, files: ConfigFile[] | null, checkedAt: string) {
  const t = tables(q);
  if (files) {
    await q.delete(t.configFiles).where(eq(t.configFiles.repo, repo));
    if (files.length > 0)
      await q.insert(t.configFiles).values(
        files.map((f, position) => ({
          repo,
          position,
          sourceOwner: f.owner.toLowerCase(),
          sourceRepo: f.repo.toLowerCase(),
          path: f.path,
          etag: f.etag,
          content: f.config,
        })),
      );
  }
  const row = { repo, checkedAt, stale: false };
  await q.insert(t.configChecks).values(row).onConflictDoUpdate({ target: t.configChecks.repo, set: row });
}

export async function markConfigStale(q: Q, repos: string[]) {
  if (repos.length === 0) return;
  const t = tables(q);
  await q.update(t.configChecks).set({ stale: true }).where(inArray(t.configChecks.repo, repos));
}

/** Repositories whose config was read from one of these files (any file of the source when `paths` is null). */
export async function reposReading(
  q: Q,
  owner: string,
  repo: string,
  paths: string[] | null,
): Promise<string[]> {
  const t = tables(q);
  const source = and(
    eq(t.configFiles.sourceOwner, owner.toLowerCase()),
    eq(t.configFiles.sourceRepo, repo.toLowerCase()),
  );
  const rows = await q
    .selectDistinct({ repo: t.configFiles.repo })
    .from(t.configFiles)
    .where(paths ? and(source, inArray(t.configFiles.path, paths)) : source);
  return rows.map((r) => r.repo);
}
