// Opens the SQLite database named by DATABASE_URL, in WAL mode. The server and `lanegate migrate`
// create and migrate it; read-only commands open an existing file and never change its schema.
import { existsSync, mkdirSync } from "node:fs";
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
export const MIGRATIONS_FOLDER = fileURLToPath(new URL("../../../db", import.meta.url));

/** `postgres://…` and `postgresql://…` name a PostgreSQL database (`pg.ts`). */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

/** A database URL fit for logs and errors: a PostgreSQL URL's password is masked. */
export function printableUrl(url: string): string {
  if (!isPostgresUrl(url)) return url;
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "a postgres:// URL that does not parse";
  }
}

/**
 * `file:data/x.sqlite`, `data/x.sqlite` and `:memory:` all name a database. A PostgreSQL URL is
 * refused rather than taken for a file path: the records are served from SQLite only so far.
 */
export function databasePath(url: string = DEFAULT_DATABASE_URL): string {
  if (isPostgresUrl(url))
    throw new Error(
      "this lanegate keeps its records in SQLite only (file: URLs); a PostgreSQL store can be created with lanegate migrate, and serving from it is not built yet",
    );
  const path = url.startsWith("file:") ? url.slice("file:".length) : url;
  return path === ":memory:" ? path : resolve(path);
}

export class MissingDatabase extends Error {}

export function openDatabase(url?: string): Db {
  const path = databasePath(url);
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const db = connect(new Database(path));
  migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
  return db;
}

/** For commands that only read: a missing file is an error, never a new empty database. */
export function openExistingDatabase(url?: string): Db {
  const path = databasePath(url);
  if (path === ":memory:" || !existsSync(path))
    throw new MissingDatabase(`no database at ${path}: check --db or DATABASE_URL`);
  return connect(new Database(path, { fileMustExist: true }));
}

/** Folds the write-ahead log into the database file, so a stopped service leaves one file. */
export function closeDatabase(db: Db) {
  if (!db.$client.open) return;
  if (db.$client.name !== ":memory:") db.$client.pragma("wal_checkpoint(TRUNCATE)");
  db.$client.close();
}

function connect(client: Database.Database): Db {
  client.pragma("journal_mode = WAL");
  // With WAL, NORMAL syncs at checkpoints rather than on every commit: a crash of the app loses
  // nothing, and only a crash of the machine can lose the last commits, which GitHub's
  // redelivery and the reconcile rebuild. FULL would cost an fsync per delivery.
  client.pragma("synchronous = NORMAL");
  client.pragma("busy_timeout = 5000");
  client.pragma("foreign_keys = ON");
  reusePreparedStatements(client);
  return drizzle(client, { schema }) as Db;
}

/**
 * drizzle asks better-sqlite3 to prepare every statement it runs, afresh each time, and preparing
 * was the largest single cost of a delivery in CPU profiles. The same SQL text now gets the same
 * prepared statement for the life of the connection (a few hundred distinct texts; the oldest is
 * dropped past PREPARED_LIMIT). A reused reader is put back in object mode, since drizzle
 * switches readers to raw mode when it maps rows itself.
 */
const PREPARED_LIMIT = 1000;
function reusePreparedStatements(client: Database.Database) {
  const prepare = client.prepare.bind(client);
  const cache = new Map<string, Database.Statement>();
  client.prepare = ((source: string) => {
    const hit = cache.get(source);
    if (hit) {
      if (hit.reader) hit.raw(false);
      return hit;
    }
    const statement = prepare(source);
    if (cache.size >= PREPARED_LIMIT) cache.delete(cache.keys().next().value ?? "");
    cache.set(source, statement);
    return statement;
  }) as typeof client.prepare;
}

/** A database or a transaction: every query here runs in either. */
export type Q = BaseSQLiteDatabase<"sync", RunResult, typeof schema>;

export function transaction<T>(db: Db, fn: (q: Q) => T): T {
  return db.transaction(
    (tx) => {
      // better-sqlite3 runs the transaction on the same connection, so the queries prepared on
      // the database serve inside it too.
      connectionOf.set(tx, db);
      return fn(tx);
    },
    { behavior: "immediate" },
  );
}

/** A transaction's database, so that it finds the queries prepared on that database. */
const connectionOf = new WeakMap<Q, Q>();

/**
 * Queries built once per connection. drizzle rebuilds a query's SQL from the builder on every
 * call, which was the largest share of a delivery's CPU in profiles; a prepared query keeps its
 * SQL and statement and takes its values through `sql.placeholder`. `build` runs once for each
 * database (and for a transaction not opened by `transaction` above, once for that transaction).
 */
export function preparedOn<T>(build: (q: Q) => T): (q: Q) => T {
  const built = new WeakMap<Q, T>();
  return (q) => {
    const connection = connectionOf.get(q) ?? q;
    let queries = built.get(connection);
    if (queries === undefined) {
      queries = build(connection);
      built.set(connection, queries);
    }
    return queries;
  };
}
