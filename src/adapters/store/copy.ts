// Moving a store from SQLite to PostgreSQL (`lanegate copy`): every table, in one PostgreSQL
// transaction, ids kept, each table's rows counted on both sides before the commit. Rows travel
// through the two drizzle schemas, so each dialect maps its own columns (JSON text to jsonb, 0/1
// to boolean) and nothing is written as raw SQL text.
import { and, count, eq, getTableName, gt, is, sql } from "drizzle-orm";
import type { NodePgDatabase } from "drizzle-orm/node-postgres";
import { getTableConfig, PgDatabase, PgTable } from "drizzle-orm/pg-core";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Q, SqliteDb } from "./db.ts";
import type { PostgresDb } from "./pg.ts";
import * as schema from "./schema.ts";
import * as pgSchema from "./schema-pg.ts";

interface StoreTable {
  name: string;
  sqlite: SQLiteTable;
  pg: PgTable;
}

/** Every table of the store, paired by its export in the two schema files. */
const PAIRED: StoreTable[] = (Object.entries(pgSchema) as [string, unknown][])
  .filter((entry): entry is [string, PgTable] => is(entry[1], PgTable))
  .map(([key, pg]) => {
    const sqlite = (schema as Record<string, unknown>)[key] as SQLiteTable | undefined;
    if (!sqlite) throw new Error(`schema.ts has no table ${key}`);
    return { name: getTableName(pg), sqlite, pg };
  });

/**
 * Tables ordered so each comes after the tables its foreign keys name, so every insert finds the
 * rows it refers to. The store has no foreign keys today; one added later is honoured here.
 */
export function inForeignKeyOrder(tables: PgTable[]): PgTable[] {
  const ordered: PgTable[] = [];
  const visiting = new Set<PgTable>();
  const visit = (table: PgTable) => {
    if (ordered.includes(table)) return;
    if (visiting.has(table)) throw new Error(`foreign keys form a cycle through ${getTableName(table)}`);
    visiting.add(table);
    for (const key of getTableConfig(table).foreignKeys) {
      const parent = key.reference().foreignTable;
      if (parent !== table) visit(parent);
    }
    visiting.delete(table);
    ordered.push(table);
  };
  for (const table of tables) visit(table);
  return ordered;
}

/** The tables in the order they are copied. */
export const STORE_TABLES: readonly StoreTable[] = inForeignKeyOrder(PAIRED.map((t) => t.pg)).map(
  (pg) => PAIRED.find((t) => t.pg === pg) as StoreTable,
);

/** PostgreSQL takes at most 65,535 parameters in one statement: one per column and row. */
const MAX_PARAMETERS = 65_535;
const MAX_BATCH_ROWS = 1_000;

function batchRows(table: StoreTable): number {
  const columns = getTableConfig(table.pg).columns.length;
  return Math.min(MAX_BATCH_ROWS, Math.floor(MAX_PARAMETERS / columns));
}

export interface CopySummary {
  tables: { name: string; rows: number }[];
  rows: number;
  /** Claims and leases in the copy that had not run out yet: a replica may still hold them. */
  liveClaims: { deliveries: number; jobLeases: number };
}

/**
 * Copies every table of `source` into `target`, which must be migrated and hold no rows. It runs
 * in one transaction on the target, which first locks every table against other writers (a
 * replica started too early waits, then finds the copy) and checks they are empty; any failure
 * rolls it all back. The source is read in one snapshot: the copy is the database as it was at
 * one moment, and whatever a server still running on it writes later is not in it.
 */
export async function copyStore(
  source: SqliteDb,
  target: PostgresDb,
  options: { now: Date; onTable: (name: string, rows: number) => void },
): Promise<CopySummary> {
  return inSnapshot(source, () =>
    target.transaction(async (q) => {
      const pg = postgresOf(q);
      await pg.execute(
        sql`lock table ${sql.join(
          STORE_TABLES.map((t) => sql`${t.pg}`),
          sql`, `,
        )} in exclusive mode`,
      );
      await refuseNonEmpty(pg);
      const tables: CopySummary["tables"] = [];
      for (const table of STORE_TABLES) {
        const rows = await copyTable(source.q, pg, table);
        options.onTable(table.name, rows);
        tables.push({ name: table.name, rows });
      }
      for (const table of STORE_TABLES) await resetIdentities(pg, table.pg);
      await verifyCounts(source.q, pg);
      return {
        tables,
        rows: tables.reduce((sum, t) => sum + t.rows, 0),
        liveClaims: await liveClaims(source.q, options.now),
      };
    }),
  );
}

/**
 * A deferred transaction on SQLite: every read in it sees the database as of the first read,
 * and it takes no lock a running server would wait on. It only reads, so it ends in rollback.
 */
function inSnapshot<T>(source: SqliteDb, fn: () => Promise<T>): Promise<T> {
  return source.read(async () => {
    source.client.exec("begin");
    try {
      return await fn();
    } finally {
      source.client.exec("rollback");
    }
  });
}

/** The target's transaction with PostgreSQL's own types: `Q` types every store as SQLite's. */
function postgresOf(q: Q): NodePgDatabase<typeof pgSchema> {
  if (!is(q, PgDatabase)) throw new Error("the target of a copy must be a PostgreSQL store");
  return q as unknown as NodePgDatabase<typeof pgSchema>;
}

async function rowsIn(q: Q | NodePgDatabase<typeof pgSchema>, table: SQLiteTable | PgTable): Promise<number> {
  // Both builders take either table at run time; the union only needs one signature to call.
  const rows = await (q as Q).select({ n: count() }).from(table as SQLiteTable);
  return rows[0]?.n ?? 0;
}

async function refuseNonEmpty(pg: NodePgDatabase<typeof pgSchema>) {
  const held: string[] = [];
  for (const table of STORE_TABLES) {
    const n = await rowsIn(pg, table.pg);
    if (n > 0) held.push(`${n} ${n === 1 ? "row" : "rows"} in ${table.name}`);
  }
  if (held.length > 0)
    throw new Error(`the target is not empty: ${held.join(", ")}; copy only into a new database`);
}

/**
 * Reads the source in pages by rowid (every table here has one) and writes each page as one
 * multi-row insert. The rows are what drizzle read through schema.ts, so JSON is parsed and
 * booleans are booleans; schema-pg.ts writes them as jsonb and boolean. Ids are written as they
 * are: the identity columns are "by default", which takes a given value.
 */
async function copyTable(source: Q, pg: NodePgDatabase<typeof pgSchema>, table: StoreTable): Promise<number> {
  const limit = batchRows(table);
  let after = 0;
  let copied = 0;
  try {
    for (;;) {
      const page = await source
        .select({ rowid: sql<number>`rowid`, row: table.sqlite })
        .from(table.sqlite)
        .where(sql`rowid > ${after}`)
        .orderBy(sql`rowid`)
        .limit(limit);
      const last = page.at(-1);
      if (!last) return copied;
      await pg.insert(table.pg).values(page.map((p) => p.row));
      copied += page.length;
      after = last.rowid;
    }
  } catch (error) {
    throw new Error(`${table.name}: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Moves each identity column's sequence past the highest id copied: the ids were given, so the
 * sequence never advanced, and the first new row would otherwise collide with row 1.
 */
async function resetIdentities(pg: NodePgDatabase<typeof pgSchema>, table: PgTable) {
  for (const column of getTableConfig(table).columns.filter((c) => c.generatedIdentity)) {
    await pg.execute(
      sql`select setval(pg_get_serial_sequence(${`"${getTableName(table)}"`}, ${column.name}), coalesce(max(${column}), 0) + 1, false) from ${table}`,
    );
  }
}

/** Every table holds as many rows on the target as in the source's snapshot, or nothing commits. */
async function verifyCounts(source: Q, pg: NodePgDatabase<typeof pgSchema>) {
  for (const table of STORE_TABLES) {
    const [expected, found] = [await rowsIn(source, table.sqlite), await rowsIn(pg, table.pg)];
    if (expected !== found)
      throw new Error(
        `${table.name} holds ${found} rows on the target but ${expected} in the source; nothing was copied`,
      );
  }
}

/**
 * The copy keeps claims and leases as they are (docs/deploy.md, "Moving from SQLite"): a stopped
 * replica's claims have run out or soon will. One that has not may mean it still runs.
 */
async function liveClaims(source: Q, now: Date): Promise<CopySummary["liveClaims"]> {
  const at = now.toISOString();
  const { deliveries, jobLeases } = schema;
  const [claims] = await source
    .select({ n: count() })
    .from(deliveries)
    .where(and(eq(deliveries.state, "claimed"), gt(deliveries.expiresAt, at)));
  const [leases] = await source.select({ n: count() }).from(jobLeases).where(gt(jobLeases.expiresAt, at));
  return { deliveries: claims?.n ?? 0, jobLeases: leases?.n ?? 0 };
}
