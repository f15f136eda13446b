// Opens the SQLite database named by DATABASE_URL, in WAL mode, and migrates it on start.
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { RunResult } from "better-sqlite3";
import Database from "better-sqlite3";
import { type BetterSQLite3Database, drizzle } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import type { BaseSQLiteDatabase } from "drizzle-orm/sqlite-core";
import * as schema from "./schema.ts";

export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database };

export const DEFAULT_DATABASE_URL = "file:data/lanegate.sqlite";
const MIGRATIONS = fileURLToPath(new URL("../../../db", import.meta.url));

/** `file:data/x.sqlite`, `data/x.sqlite` and `:memory:` all name a database. */
export function databasePath(url: string = DEFAULT_DATABASE_URL): string {
  const path = url.startsWith("file:") ? url.slice("file:".length) : url;
  return path === ":memory:" ? path : resolve(path);
}

export function openDatabase(url?: string): Db {
  const path = databasePath(url);
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const client = new Database(path);
  client.pragma("journal_mode = WAL");
  // With WAL, NORMAL syncs at checkpoints rather than on every commit: a crash of the app loses
  // nothing, and only a crash of the machine can lose the last commits, which GitHub's
  // redelivery and the reconcile rebuild. FULL would cost an fsync per delivery.
  client.pragma("synchronous = NORMAL");
  client.pragma("busy_timeout = 5000");
  client.pragma("foreign_keys = ON");
  const db = drizzle(client, { schema });
  migrate(db, { migrationsFolder: MIGRATIONS });
  return db;
}

/** A database or a transaction: every query here runs in either. */
export type Q = BaseSQLiteDatabase<"sync", RunResult, typeof schema>;

export function transaction<T>(db: Db, fn: (q: Q) => T): T {
  return db.transaction((tx) => fn(tx), { behavior: "immediate" });
}
