// Prepared queries for every store function, on either driver: built once, run with their values
// (docs/architecture.md, "Two stores"). drizzle rebuilds a query's SQL from its builder on every
// call, which was the largest share of a delivery's CPU in profiles.
import { createHash } from "node:crypto";
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
import { PgDatabase } from "drizzle-orm/pg-core";
import { connectionOf, type Q, tables } from "./db.ts";
import * as schema from "./schema.ts";

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
  const values: Record<string, unknown> = {};
  fillRow(values, table, row, null);
  return values;
}

/** Puts one row's values into `values`, under its columns' names or the batch's `names` for it. */
function fillRow(values: Record<string, unknown>, table: Table, row: object, names: string[] | null) {
  const given = row as Record<string, unknown>;
  columnsToInsert(table).forEach(([key, fallback], column) => {
    values[names?.[column] ?? key] = given[key] ?? fallback;
  });
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
  const values: Record<string, unknown> = {};
  rows.forEach((row, index) => {
    fillRow(values, table, row, namesOfRow(table, index));
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
