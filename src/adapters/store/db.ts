// The store's connection: SQLite (the embedded default, one file, one replica) or PostgreSQL (the
// store shared by more than one replica), chosen by DATABASE_URL. Every store function is written
// once, against `Q`, and runs on either: see "Two stores" in docs/architecture.md.
import { AsyncLocalStorage } from "node:async_hooks";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import { hostname } from "node:os";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { RunResult } from "better-sqlite3";
import Database from "better-sqlite3";
import {
  type Column,
  eq,
  getTableColumns,
  is,
  type Placeholder,
  type SQL,
  sql,
  type Table,
} from "drizzle-orm";
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

/**
 * Queries built once. drizzle rebuilds a query's SQL from the builder on every call, which was the
 * largest share of a delivery's CPU in profiles; a prepared query keeps its SQL and takes its
 * values through `sql.placeholder`, and is run with `await query.execute(values)` on either
 * driver. On SQLite transactions run on the database object itself, so one build per database
 * serves all. On PostgreSQL each transaction has its own connection: the queries are built once
 * per process and given each transaction's connection (`onConnectionOf`), and each is named, so
 * PostgreSQL parses and plans it once per connection instead of once per run.
 */
export function preparedOn<T extends object>(build: (q: Q, t: typeof schema) => T): (q: Q) => T {
  const built = new WeakMap<Q, T>();
  let forPostgres: T | undefined;
  return (q) => {
    let queries = built.get(q);
    if (queries === undefined) {
      if (is(q, PgDatabase)) {
        forPostgres ??= named(build(q, tables(q)));
        queries = onConnectionOf(q, forPostgres);
      } else {
        queries = build(q, schema);
      }
      built.set(q, queries);
    }
    return queries;
  };
}

/**
 * drizzle's node-postgres query keeps the connection it was built on (`client`) and its statement
 * as a `pg` query config (`queryConfig`, `rawQueryConfig`). Neither is part of drizzle's typed
 * API, so they are checked here: a drizzle that changed them fails on the first query, loudly.
 */
interface PgBuiltQuery {
  client: unknown;
  queryConfig: { name?: string; text: string };
  rawQueryConfig: { name?: string; text: string };
}

function isPgBuiltQuery(value: unknown): value is PgBuiltQuery {
  return (
    typeof value === "object" &&
    value !== null &&
    "client" in value &&
    "queryConfig" in value &&
    "rawQueryConfig" in value
  );
}

function pgQueries<T extends object>(queries: T): [string, PgBuiltQuery][] {
  return Object.entries(queries).map(([key, query]) => {
    if (!isPgBuiltQuery(query))
      throw new Error(`prepared query ${key}: not a node-postgres query drizzle built`);
    return [key, query];
  });
}

/** Names each statement by its text, so two texts never share a name on one connection. */
function named<T extends object>(queries: T): T {
  for (const [, query] of pgQueries(queries)) {
    const name = `lanegate_${createHash("sha1").update(query.queryConfig.text).digest("hex").slice(0, 20)}`;
    query.queryConfig.name = name;
    query.rawQueryConfig.name = name;
  }
  return queries;
}

interface PgConnection {
  query(config: { name: string; text: string; values: unknown[] }): Promise<unknown>;
}

/**
 * The `pg` pool or connection a PostgreSQL `q` runs on: a transaction's own connection, or the
 * pool. drizzle keeps it in its session (`session.client`), outside its typed API.
 */
function connectionOf(q: Q): PgConnection {
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

/** The same queries run on `q`'s connection: the pool's, or a transaction's own. */
function onConnectionOf<T extends object>(q: Q, queries: T): T {
  const client = connectionOf(q);
  const bound = pgQueries(queries).map(([key, query]) => [
    key,
    Object.create(query, { client: { value: client } }),
  ]);
  return Object.fromEntries(bound) as T;
}

/** Shapes kept per `preparedByShape`: past it the oldest is dropped (and built again if it returns). */
const SHAPES_LIMIT = 200;

/**
 * Prepared queries whose SQL depends on the shape of a batch (how many rows an insert carries,
 * which columns an update sets): one set is built per shape, then kept like `preparedOn`'s. The
 * shapes of one repository's batches are few: the lanes of its blocks, and how they change.
 */
export function preparedByShape<S extends string | number, T extends object>(
  build: (q: Q, t: typeof schema, shape: S) => T,
): (q: Q, shape: S) => T {
  const shapes = new Map<S, (q: Q) => T>();
  return (q, shape) => {
    let forShape = shapes.get(shape);
    if (forShape === undefined) {
      forShape = preparedOn((q, t) => build(q, t, shape));
      if (shapes.size >= SHAPES_LIMIT) shapes.delete(shapes.keys().next().value as S);
      shapes.set(shape, forShape);
    }
    return forShape(q);
  };
}

/** `column = ?` in a prepared query: the value named `name` is given when it runs. */
export function equalsParam(column: Column, name: string): SQL {
  return eq(column, sql.placeholder(name));
}

/** A value given when a prepared update runs: drizzle takes a placeholder in `set` only inside `sql`. */
export function param(name: string): SQL {
  return sql`${sql.placeholder(name)}`;
}

/** The columns of a prepared insert (all but the generated `id`) and their defaults. */
const insertColumns = new WeakMap<Table, [string, unknown][]>();
function columnsToInsert(table: Table): [string, unknown][] {
  let columns = insertColumns.get(table);
  if (columns === undefined) {
    columns = Object.entries(getTableColumns(table))
      .filter(([key]) => key !== "id")
      .map(([key, column]) => [key, column.default ?? null]);
    insertColumns.set(table, columns);
  }
  return columns;
}

type Insert<T extends Table> = Omit<T["$inferInsert"], "id">;

/**
 * A prepared insert's values: a placeholder named after each column but the generated `id`; for
 * the rows of a batch, `rows` of them, the column names suffixed with the row's index.
 */
export function insertPlaceholders<T extends Table>(table: T): { [K in keyof Insert<T>]-?: Placeholder };
export function insertPlaceholders<T extends Table>(
  table: T,
  rows: number,
): { [K in keyof Insert<T>]-?: Placeholder }[];
export function insertPlaceholders(table: Table, rows?: number) {
  const row = (names: string[]) =>
    Object.fromEntries(names.map((name, i) => [columns[i]?.[0], sql.placeholder(name)]));
  const columns = columnsToInsert(table);
  return rows === undefined
    ? row(columns.map(([key]) => key))
    : Array.from({ length: rows }, (_, index) => row(namesOfRow(table, index)));
}

/**
 * The values for a prepared insert built with `insertPlaceholders`: every column named, those the
 * row leaves out given the column's default (a placeholder cannot fall back to it) or null.
 */
export function insertValues<T extends Table>(table: T, row: Insert<T>): Record<string, unknown> {
  const given = row as Record<string, unknown>;
  const values: Record<string, unknown> = {};
  for (const [key, fallback] of columnsToInsert(table)) values[key] = given[key] ?? fallback;
  return values;
}

/** The placeholder names of a batch's rows (`column_index`), made once per table and row. */
const rowNames = new WeakMap<Table, string[][]>();
function namesOfRow(table: Table, index: number): string[] {
  let names = rowNames.get(table);
  if (names === undefined) {
    names = [];
    rowNames.set(table, names);
  }
  names[index] ??= columnsToInsert(table).map(([key]) => `${key}_${index}`);
  return names[index];
}

/** The values for a batch's prepared insert (`insertPlaceholders(table, rows.length)`). */
export function insertRowsValues<T extends Table>(table: T, rows: Insert<T>[]): Record<string, unknown> {
  const columns = columnsToInsert(table);
  const values: Record<string, unknown> = {};
  rows.forEach((row, index) => {
    const given = row as Record<string, unknown>;
    const names = namesOfRow(table, index);
    columns.forEach(([key, fallback], column) => {
      values[names[column] ?? key] = given[key] ?? fallback;
    });
  });
  return values;
}

/** An upsert's `set` that takes the whole row offered (`excluded`): every column but the id. */
export function excludedValues(table: Table): Record<string, SQL> {
  const columns = getTableColumns(table);
  return Object.fromEntries(
    columnsToInsert(table).map(([key]) => [key, sql`excluded.${sql.identifier(columns[key]?.name ?? key)}`]),
  );
}

/**
 * A prepared update's `set` for these columns, each value a placeholder named after its column.
 * Run with `updateValues`, which encodes each value as its column does (JSON, booleans): drizzle
 * takes a placeholder in `set` only inside `sql`, where the column's encoder does not reach it.
 */
export function updatePlaceholders(columns: readonly string[]): Record<string, SQL> {
  return Object.fromEntries(columns.map((key) => [key, param(key)]));
}

export function updateValues<T extends Table>(
  table: T,
  fields: Partial<T["$inferInsert"]>,
): Record<string, unknown> {
  const columns = getTableColumns(table);
  return Object.fromEntries(
    Object.entries(fields).map(([key, value]) => {
      const column = columns[key];
      if (!column) throw new Error(`${key} is not a column of the table`);
      return [key, value === null || value === undefined ? null : column.mapToDriverValue(value)];
    }),
  );
}

/**
 * `column in (…)` with the list given when the prepared query runs (`listValue`), since drizzle
 * can prepare a list only with a fixed length: PostgreSQL takes it as one array parameter, SQLite
 * as one JSON text read with `json_each`.
 */
export function inList(q: Q, column: Column, name: string): SQL {
  return is(q, PgDatabase)
    ? sql`${column} = any(${sql.placeholder(name)})`
    : sql`${column} in (select value from json_each(${sql.placeholder(name)}))`;
}

/** The value of an `inList` placeholder. */
export function listValue(q: Q, values: readonly (string | number)[]): unknown {
  return is(q, PgDatabase) ? values : JSON.stringify(values);
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
