// The real app server for HTTP tests: started on a free port against the local stand-in, and
// stopped after each test.
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { drizzle } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import { afterEach } from "vitest";
import { databasePath, MIGRATIONS_FOLDER } from "../../src/adapters/store/db.ts";
import { type RunningLanegate, startLanegate } from "../../src/server.ts";
import type { LocalGitHub } from "../../standin/world.ts";
import { watchedRequests } from "./app.ts";
import { checkRequest } from "./openapi.ts";
import { freePort } from "./ports.ts";

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of cleanup.splice(0).reverse()) await stop();
});

/** Registers something to stop after the test, last started first stopped. */
export function onCleanup(stop: () => Promise<void>) {
  cleanup.push(stop);
}

export function tempDatabase(): string {
  return `file:${join(mkdtempSync(join(tmpdir(), "lanegate-")), "db.sqlite")}`;
}

/** A database as the previous version left it: every migration but the newest applied. */
export function previousVersionDatabase(): string {
  const folder = mkdtempSync(join(tmpdir(), "lanegate-migrations-"));
  cpSync(MIGRATIONS_FOLDER, folder, { recursive: true });
  const journalFile = join(folder, "meta/_journal.json");
  const journal = JSON.parse(readFileSync(journalFile, "utf8")) as { entries: unknown[] };
  journal.entries.pop();
  writeFileSync(journalFile, JSON.stringify(journal));
  const url = tempDatabase();
  const client = new Database(databasePath(url));
  migrate(drizzle(client), { migrationsFolder: folder });
  client.close();
  return url;
}

export interface BootedApp extends RunningLanegate {
  base: string;
  hook: string;
}

export async function boot(
  local: LocalGitHub,
  databaseUrl: string,
  options: { reconcileOnStart?: boolean; redeliverEveryMs?: number; env?: Record<string, string> } = {},
): Promise<BootedApp> {
  const port = await freePort();
  const env = {
    ...local.env,
    PORT: String(port),
    DATABASE_URL: databaseUrl,
    LOG_LEVEL: "fatal",
    // The read models are closed by default when serving an App; these tests read them openly.
    LANEGATE_API_PUBLIC: "true",
    ...options.env,
  };
  const problems = watchedRequests();
  local.standin.onRequest = (method, url, body) => {
    // The web sign-in's pages are not part of the REST API, so its description does not cover them.
    if (url.startsWith("/login/oauth/")) return;
    problems.push(...checkRequest(method, `https://api.github.com${url}`, body));
  };
  const app = await startLanegate({
    env,
    throttle: false,
    sweepEveryMs: 0,
    reconcileEveryMs: 0,
    reconcileOnStart: options.reconcileOnStart ?? false,
    redeliverEveryMs: options.redeliverEveryMs ?? 0,
  });
  onCleanup(() => app.stop());
  const base = `http://localhost:${port}`;
  return { ...app, base, hook: `${base}/api/github/webhooks` };
}
