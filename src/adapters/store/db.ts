// The store's connection: SQLite (the embedded default, one file, one replica) or PostgreSQL (the
// store shared by more than one replica), chosen by DATABASE_URL. Every store function is written
// once, against `Q`, and runs on either: see "Two stores" in docs/architecture.md.
import { AsyncLocalStorage } from "node:async_hooks";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import { hostname } from "node:os";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { RunResult } from "better-sqlite3";
import Database from "better-sqlite3";
import { is } from "drizzle-orm";
import { drizzle } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import { readMigrationFiles } from "drizzle-orm/migrator";
import { PgDatabase } from "drizzle-orm/pg-core";
import type { BaseSQLiteDatabase } from "drizzle-orm/sqlite-core";
import * as schema from "./schema.ts";
import * as pgSchema from "./schema-pg.ts";

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

/** `file:data/x.sqlite`, `data/x.sqlite` and `:memory:` all name a SQLite database. */
export function databasePath(url: string = DEFAULT_DATABASE_URL): string {
  if (isPostgresUrl(url)) throw new Error(`${printableUrl(url)} is a PostgreSQL database, not a SQLite file`);
  const path = url.startsWith("file:") ? url.slice("file:".length) : url;
  return path === ":memory:" ? path : resolve(path);
}

/**
 * What every store function is given: a database or a transaction, of either driver. It is typed
 * as drizzle's SQLite database, and on PostgreSQL it is drizzle's `pg` database driven through the
 * same builder methods (select, insert, update, delete, `returning`, `onConflict…`, `prepare` and
 * `execute`), which both dialects share. Rows are awaited, never taken with SQLite's synchronous
 * `.get()`, `.all()` or `.run()` (lint forbids them in the store), and tables come from
 * `tables(q)`, so each dialect maps its own columns (jsonb, bigint, boolean).
 */
export type Q = BaseSQLiteDatabase<"sync", RunResult, typeof schema>;

/**
 * The tables of `q`'s dialect. The PostgreSQL tables are typed as SQLite's: the two schemas have
 * the same tables, columns and JS types (test/store/schemas.test.ts), so the type is true of both.
 */
export function tables(q: Q): typeof schema {
  return is(q, PgDatabase) ? (pgSchema as unknown as typeof schema) : schema;
}

export type Dialect = "sqlite" | "postgres";

/** The store: where every transaction and read starts. */
export interface Db {
  readonly dialect: Dialect;
  /** The database, fit for logs: a file path or a masked URL. */
  readonly name: string;
  /** Who this process is in claims and leases it shares with other replicas. */
  readonly holder: string;
  /**
   * One transaction. SQLite: `begin immediate` on the one connection, one transaction at a time
   * in this process. PostgreSQL: a pooled connection, `read committed`, run again when
   * PostgreSQL refuses it for a deadlock; one that reads, decides and writes on rows other
   * replicas change takes `exclusive` first. Only store work belongs inside (it may run twice).
   * A transaction or read started inside one joins it.
   */
  transaction<T>(fn: (q: Q) => Promise<T>): Promise<T>;
  /** Reads (or a single write) outside a transaction. */
  read<T>(fn: (q: Q) => Promise<T>): Promise<T>;
  /** The migrations shipped with this build that the database has not applied. */
  pendingMigrations(): Promise<number>;
  /** Transactions run again after a conflict with a concurrent one: for the metrics. */
  conflicts(): number;
  /** Connections open and idle, and callers waiting for one: for the metrics. */
  connections(): { open: number; idle: number; waiting: number };
  /** Whether it is still open: a closed store answers nothing (scrapes during shutdown). */
  readonly open: boolean;
  close(): Promise<void>;
}

/** A name for this process among replicas: host, pid, and a random part for a restarted pid. */
export function holderName(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
}

export function transaction<T>(db: Db, fn: (q: Q) => Promise<T>): Promise<T> {
  return db.transaction(fn);
}

export function read<T>(db: Db, fn: (q: Q) => Promise<T>): Promise<T> {
  return db.read(fn);
}

/**
 * One write statement that is atomic on its own (a conditional insert or update): run outside a
 * transaction, which on PostgreSQL saves the BEGIN and COMMIT round trips. Inside a transaction
 * it joins it.
 */
export function single<T>(db: Db, fn: (q: Q) => Promise<T>): Promise<T> {
  return db.read(fn);
}

const waited = { count: 0, seconds: 0 };

/** How often, and how long in all, this process waited in `exclusive`: for the metrics. */
export function lockWaits(): Readonly<typeof waited> {
  return waited;
}

/**
 * Makes the rest of the transaction exclusive for `scope` among every process on the store,
 * until it commits or rolls back. For the places where transactions are known to meet (joining
 * runs to dispatches, deciding one run): on PostgreSQL they then queue behind a transaction-scoped
 * advisory lock instead of failing as conflicts and running again. SQLite's `begin immediate`
 * already makes every transaction exclusive.
 */
export async function exclusive(q: Q, scope: string): Promise<void> {
  if (!is(q, PgDatabase)) return;
  const started = performance.now();
  // On the connection itself, named: the same statement every time, parsed once per connection.
  await connectionOf(q).query({ name: "lanegate_exclusive", text: EXCLUSIVE_SQL, values: [scope] });
  waited.count += 1;
  waited.seconds += (performance.now() - started) / 1000;
}

const EXCLUSIVE_SQL = "select pg_advisory_xact_lock(hashtextextended($1, 0))";

/** The first row of a query, or undefined. */
export async function first<T>(rows: PromiseLike<T[]> | T[]): Promise<T | undefined> {
  return (await rows)[0];
}

/** Opens a store by URL: PostgreSQL for `postgres://`, else SQLite; both migrated. */
export async function openStore(url: string = DEFAULT_DATABASE_URL): Promise<Db> {
  if (!isPostgresUrl(url)) return openDatabase(url);
  const { openPostgres } = await import("./pg.ts");
  return openPostgres(url);
}

/** Opens (creating and migrating) the SQLite database at `url`. */
export function openDatabase(url?: string): Db {
  const path = databasePath(url);
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const client = new Database(path);
  const db = new SqliteDb(client);
  migrate(db.q, { migrationsFolder: MIGRATIONS_FOLDER });
  return db;
}

export class MissingDatabase extends Error {}

/** For commands that only read: a missing database is an error, never a new empty one. */
export async function openExistingStore(url: string = DEFAULT_DATABASE_URL): Promise<Db> {
  if (isPostgresUrl(url)) {
    const { connectPostgres } = await import("./pg.ts");
    return connectPostgres(url);
  }
  const path = databasePath(url);
  if (path === ":memory:" || !existsSync(path))
    throw new MissingDatabase(`no database at ${path}: check --db or DATABASE_URL`);
  return new SqliteDb(new Database(path, { fileMustExist: true }));
}

/**
 * SQLite: one connection in WAL mode. Its transactions are async (a store function awaits its
 * rows), and any await lets another delivery's code run, which on one connection would land
 * inside the open transaction; so this process takes turns: a transaction or read waits for the
 * one before it. Within a transaction nothing waits on anything but the store, so turns are short.
 */
export class SqliteDb implements Db {
  readonly dialect = "sqlite";
  readonly q: Q;
  readonly name: string;
  readonly holder = holderName();
  private tail: Promise<unknown> = Promise.resolve();
  /** Turns started and not finished: the one running and those waiting for it. */
  private turns = 0;
  private readonly inside = new AsyncLocalStorage<{ inTransaction: boolean }>();

  constructor(readonly client: Database.Database) {
    client.pragma("journal_mode = WAL");
    // With WAL, NORMAL syncs at checkpoints rather than on every commit: a crash of the app loses
    // nothing, and only a crash of the machine can lose the last commits, which GitHub's
    // redelivery and the reconcile rebuild. FULL would cost an fsync per delivery.
    client.pragma("synchronous = NORMAL");
    client.pragma("busy_timeout = 5000");
    // Pages read through a memory map rather than a read call each, and a page cache that holds
    // the tables a delivery reads (SQLite's default is 2 MB): statements were the largest share
    // of a delivery's CPU left once drizzle stopped building SQL.
    client.pragma("mmap_size = 268435456");
    client.pragma("cache_size = -32000");
    client.pragma("foreign_keys = ON");
    reusePreparedStatements(client);
    this.q = drizzle(client, { schema }) as unknown as Q;
    this.name = client.name;
  }

  get open(): boolean {
    return this.client.open;
  }

  transaction<T>(fn: (q: Q) => Promise<T>): Promise<T> {
    const current = this.inside.getStore();
    if (current && !current.inTransaction) throw new Error("a transaction cannot start inside a read");
    if (current) return fn(this.q);
    return this.turn(true, async () => {
      this.client.exec("begin immediate");
      try {
        const result = await fn(this.q);
        this.client.exec("commit");
        return result;
      } catch (error) {
        if (this.client.inTransaction) this.client.exec("rollback");
        throw error;
      }
    });
  }

  read<T>(fn: (q: Q) => Promise<T>): Promise<T> {
    if (this.inside.getStore()) return fn(this.q);
    return this.turn(false, () => fn(this.q));
  }

  private turn<T>(inTransaction: boolean, fn: () => Promise<T>): Promise<T> {
    this.turns++;
    const result = this.tail
      .then(() => this.inside.run({ inTransaction }, fn))
      .finally(() => {
        this.turns--;
      });
    this.tail = result.catch(() => {});
    return result;
  }

  /** One connection taking turns: nothing ever conflicts. */
  conflicts(): number {
    return 0;
  }

  connections() {
    return { open: 1, idle: this.turns === 0 ? 1 : 0, waiting: Math.max(0, this.turns - 1) };
  }

  async pendingMigrations(): Promise<number> {
    const shipped = readMigrationFiles({ migrationsFolder: MIGRATIONS_FOLDER });
    const tracked = this.client
      .prepare("select 1 from sqlite_master where type = 'table' and name = '__drizzle_migrations'")
      .get();
    if (!tracked) return shipped.length;
    const applied = this.client.prepare("select max(created_at) as last from __drizzle_migrations").get() as
      | { last: number | null }
      | undefined;
    const last = applied?.last ?? 0;
    return shipped.filter((m) => m.folderMillis > last).length;
  }

  /** Folds the write-ahead log into the database file, so a stopped service leaves one file. */
  async close(): Promise<void> {
    await this.tail;
    if (!this.client.open) return;
    if (this.client.name !== ":memory:") this.client.pragma("wal_checkpoint(TRUNCATE)");
    this.client.close();
  }
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

export interface PgConnection {
  query(config: { name: string; text: string; values: unknown[] }): Promise<unknown>;
}

/**
 * The `pg` pool or connection a PostgreSQL `q` runs on: a transaction's own connection, or the
 * pool. drizzle keeps it in its session (`session.client`), outside its typed API.
 */
export function connectionOf(q: Q): PgConnection {
  const session: unknown = Reflect.get(q, "session");
  const client: unknown = typeof session === "object" && session ? Reflect.get(session, "client") : undefined;
  if (
    typeof client !== "object" ||
    client === null ||
    !("query" in client) ||
    typeof client.query !== "function"
  )
    throw new Error("drizzle's PostgreSQL session has no connection to run queries on");
  return client as PgConnection;
}

/**
 * Whether two JSON values are equal, as the store would keep them. PostgreSQL's jsonb does not
 * keep the order of an object's keys, so keys are compared as sets; a key whose value is
 * undefined is one JSON leaves out. Compared in place: stringifying both sides (keys sorted) cost
 * more than the whole rest of a 50-lane grant plan.
 */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((value, i) => sameJson(value, b[i]));
  }
  const left = definedKeys(a);
  const right = definedKeys(b);
  return (
    left.length === right.length && left.every((key) => sameJson(Reflect.get(a, key), Reflect.get(b, key)))
  );
}

function definedKeys(value: object): string[] {
  return Object.keys(value).filter((key) => Reflect.get(value, key) !== undefined);
}
