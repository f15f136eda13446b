// SQL for the config cache: the files each repository's config was composed from, with their
// ETags, and when GitHub last confirmed them.
import { and, eq, inArray, sql } from "drizzle-orm";
import type { ConfigFile } from "../../core/config/load.ts";
import { preparedOn, type Q } from "./db.ts";
import * as t from "./schema.ts";

// Read on every delivery that needs the config.
const prepared = preparedOn((q) => ({
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

export function readConfigCache(q: Q, repo: string): CachedConfig | undefined {
  const queries = prepared(q);
  const check = queries.check.get({ repo });
  if (!check) return undefined;
  const files = queries.files.all({ repo }).map((f) => ({
    owner: f.sourceOwner,
    repo: f.sourceRepo,
    path: f.path,
    etag: f.etag,
    config: f.content ?? null,
  }));
  return { files, checkedAt: check.checkedAt, stale: check.stale };
}

/** Replaces the files after a read that changed something; a 304 only confirms them. */
export function saveConfigCache(q: Q, repo: string, files: ConfigFile[] | null, checkedAt: string) {
  if (files) {
    q.delete(t.configFiles).where(eq(t.configFiles.repo, repo)).run();
    if (files.length > 0)
      q.insert(t.configFiles)
        .values(
          files.map((f, position) => ({
            repo,
            position,
            sourceOwner: f.owner.toLowerCase(),
            sourceRepo: f.repo.toLowerCase(),
            path: f.path,
            etag: f.etag,
            content: f.config,
          })),
        )
        .run();
  }
  const row = { repo, checkedAt, stale: false };
  q.insert(t.configChecks).values(row).onConflictDoUpdate({ target: t.configChecks.repo, set: row }).run();
}

export function markConfigStale(q: Q, repos: string[]) {
  if (repos.length === 0) return;
  q.update(t.configChecks).set({ stale: true }).where(inArray(t.configChecks.repo, repos)).run();
}

/** Repositories whose config was read from one of these files (any file of the source when `paths` is null). */
export function reposReading(q: Q, owner: string, repo: string, paths: string[] | null): string[] {
  const source = and(
    eq(t.configFiles.sourceOwner, owner.toLowerCase()),
    eq(t.configFiles.sourceRepo, repo.toLowerCase()),
  );
  return q
    .selectDistinct({ repo: t.configFiles.repo })
    .from(t.configFiles)
    .where(paths ? and(source, inArray(t.configFiles.path, paths)) : source)
    .all()
    .map((r) => r.repo);
}
