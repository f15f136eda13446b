import Database from "better-sqlite3";
import { count, getTableColumns, getTableName, is } from "drizzle-orm";
import { getTableConfig, integer, pgTable, text } from "drizzle-orm/pg-core";
import { SQLiteTable, getTableConfig as sqliteConfig } from "drizzle-orm/sqlite-core";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appendAudit } from "../../src/adapters/store/audit.ts";
import { inForeignKeyOrder, STORE_TABLES } from "../../src/adapters/store/copy.ts";
import {
  type Db,
  databasePath,
  openDatabase,
  openExistingStore,
  read,
  tables,
  transaction,
} from "../../src/adapters/store/db.ts";
import { claimLease } from "../../src/adapters/store/leases.ts";
import { connectPostgres, migratePostgres } from "../../src/adapters/store/pg.ts";
import {
  auditPage,
  knownRepositories,
  laneViews,
  oneLaneView,
  operationsList,
  operationView,
  repositoryView,
  runView,
} from "../../src/adapters/store/read.ts";
import * as sqliteSchema from "../../src/adapters/store/schema.ts";
import { claimRedelivery, rejectDelivery, writeHeartbeat } from "../../src/adapters/store/service.ts";
import { result } from "../../standin/artifacts.ts";
import { cli } from "../support/cli.ts";
import { allowedRun, complete, upload } from "../support/evidence.ts";
import { previousVersionDatabase, tempDatabase } from "../support/http.ts";
import { freshDatabase, postgresForTests } from "../support/postgres.ts";
import { createWorld, REPO } from "../support/world.ts";

const postgres = await postgresForTests();

/**
 * A store the app wrote: an approval issue, an allowed run with its phases, protection request
 * and evidence, then the service's own rows (heartbeat, a rejected delivery, a redelivery, a
 * timer's lease) through the store functions that write them.
 */
async function storeWithEveryTable(): Promise<{ url: string; runId: number }> {
  const url = tempDatabase();
  const w = await createWorld({ db: openDatabase(url) });
  const runId = await allowedRun(w);
  await w.send(w.gh.jobEvent(REPO, runId, "bootstrap", "completed", "success"));
  await w.send(w.gh.requestDeploymentProtection(REPO, runId, "cm/testing"));
  upload(w, runId, result());
  await complete(w, runId);
  const at = w.clock.now;
  await transaction(w.db, async (q) => {
    await writeHeartbeat(q, at);
    await rejectDelivery(q, "malformed-1", "issues.opened", "no issue in the payload", at);
    await claimRedelivery(q, {
      guid: "failed-1",
      hookDeliveryId: 3_000_000_001,
      event: "workflow_run",
      statusCode: 502,
      deliveredAt: at.toISOString(),
      askedAt: at.toISOString(),
      result: "asked",
    });
    await claimLease(q, "sweep", w.db.holder, at, new Date(at.getTime() + 60_000));
    // A lease that has not run out when the copy runs: as if the SQLite replica still ran.
    await claimLease(q, "reconcile", w.db.holder, at, new Date(Date.now() + 3_600_000));
  });
  await quiet(w);
  await w.db.close();
  return { url, runId };
}

/**
 * Waits for the status-comment refresh the gate batches after a decision (5 ms here): it reads
 * GitHub and writes the store after the last delivery, and must be done before the store closes.
 */
async function quiet(w: Awaited<ReturnType<typeof createWorld>>) {
  for (let seen = -1; seen !== w.gh.requests.length; ) {
    seen = w.gh.requests.length;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** `name: N rows` lines of the copy's output. */
function rowsPrinted(stdout: string): Record<string, number> {
  return Object.fromEntries([...stdout.matchAll(/^(\w+): (\d+) rows?$/gm)].map((m) => [m[1], Number(m[2])]));
}

/** The schema as a plain object, so a table can be looked up by its export's name. */
const SCHEMA: typeof sqliteSchema = { ...sqliteSchema };
const TABLE_KEYS = (Object.keys(SCHEMA) as (keyof typeof SCHEMA)[]).filter((key) =>
  is(SCHEMA[key], SQLiteTable),
);

async function countsOf(db: Db): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const key of TABLE_KEYS)
    counts[getTableName(SCHEMA[key])] = await read(
      db,
      async (q) => (await q.select({ n: count() }).from(tables(q)[key]))[0]?.n ?? 0,
    );
  return counts;
}

/** Every row of a table, sorted by its primary key in JS: the two stores collate text differently. */
async function rowsOf(db: Db, key: keyof typeof sqliteSchema) {
  const table = SCHEMA[key];
  const config = sqliteConfig(table);
  const keyNames = [
    ...config.columns.filter((c) => c.primary),
    ...config.primaryKeys.flatMap((k) => k.columns),
  ].map((c) => c.name);
  const fields = Object.entries(getTableColumns(table))
    .filter(([, c]) => keyNames.includes(c.name))
    .map(([field]) => field);
  const keyOf = (row: Record<string, unknown>) => JSON.stringify(fields.map((f) => row[f]));
  const rows: Record<string, unknown>[] = await read(db, (q) => q.select().from(tables(q)[key]));
  return rows.sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : 1));
}

describe.skipIf(postgres.skip)("lanegate copy", () => {
  const dropped: (() => Promise<void>)[] = [];
  let source: { url: string; runId: number };
  let target: string;
  let copied: Awaited<ReturnType<typeof cli>>;

  beforeAll(async () => {
    if (postgres.problem) throw new Error(`CI needs PostgreSQL: ${postgres.problem}`);
    source = await storeWithEveryTable();
    const fresh = await freshDatabase("copy");
    dropped.push(fresh.drop);
    target = fresh.url;
    copied = await cli("copy", "--from", source.url, "--to", target);
  });

  afterAll(async () => {
    for (const drop of dropped) await drop();
  });

  async function both<T>(fn: (db: Db) => Promise<T>): Promise<[T, T]> {
    const sqlite = await openExistingStore(source.url);
    const postgresDb = connectPostgres(target);
    try {
      return [await fn(sqlite), await fn(postgresDb)];
    } finally {
      await sqlite.close();
      await postgresDb.close();
    }
  }

  it("copies every table with the same row counts, printing each table and a summary", async () => {
    expect(copied.stderr).toBe("");
    expect(copied.code).toBe(0);
    const [sqliteCounts, pgCounts] = await both(countsOf);
    expect(pgCounts).toEqual(sqliteCounts);
    expect(rowsPrinted(copied.stdout)).toEqual(sqliteCounts);
    const total = Object.values(sqliteCounts).reduce((a, b) => a + b, 0);
    expect(copied.stdout).toMatch(
      new RegExp(
        `copied ${total} rows in ${STORE_TABLES.length} tables .* in \\d+\\.\\d s; every count checked`,
      ),
    );
    // The fixture's deliveries were settled and its sweep lease ran out; its reconcile lease did not.
    expect(copied.stdout).toContain(
      "note: the copy holds 1 job lease not yet run out: if the SQLite replica still runs, stop it",
    );
  });

  it("covers every table of both schemas, and the fixture fills each one", async () => {
    const names = STORE_TABLES.map((t) => t.name).sort();
    const sqliteNames = Object.values(sqliteSchema)
      .filter((t) => is(t, SQLiteTable))
      .map((t) => getTableName(t))
      .sort();
    expect(names).toEqual(sqliteNames);
    const client = new pg.Client({ connectionString: target });
    await client.connect();
    const inTarget = await client
      .query<{ name: string }>(
        "select table_name as name from information_schema.tables where table_schema = 'public'",
      )
      .finally(() => client.end());
    expect(inTarget.rows.map((r) => r.name).sort()).toEqual(names);
    const sqlite = new Database(databasePath(source.url), { readonly: true });
    const inSource = sqlite
      .prepare(
        "select name from sqlite_master where type = 'table' and name not like '\\_\\_%' escape '\\' and name <> 'sqlite_sequence'",
      )
      .all() as { name: string }[];
    sqlite.close();
    expect(inSource.map((r) => r.name).sort()).toEqual(names);
    // A table added later with no rows here fails this until the fixture writes one.
    const empty = Object.entries(rowsPrinted(copied.stdout)).filter(([, n]) => n === 0);
    expect(empty).toEqual([]);
  });

  it("keeps every row's values, typed as each store reads them", async () => {
    for (const key of TABLE_KEYS) {
      const [a, b] = await both((db) => rowsOf(db, key));
      expect(b, key).toEqual(a);
    }
  });

  it("reads the same lanes, operations, run and audit log from both stores", async () => {
    const [a, b] = await both((db) =>
      read(db, async (q) => {
        const lanes = await laneViews(q, REPO);
        const operations = await operationsList(q, REPO, 50);
        return {
          repositories: await knownRepositories(q),
          repository: await repositoryView(q, REPO),
          lanes,
          lane: await Promise.all(lanes.map((l) => oneLaneView(q, REPO, l.lane))),
          operations,
          operation: await Promise.all(operations.map((o) => operationView(q, REPO, o.id))),
          run: await runView(q, REPO, source.runId),
          audit: await auditPage(q, REPO, 1000),
        };
      }),
    );
    expect(b.lanes.length).toBeGreaterThan(0);
    expect(b.operation.length).toBeGreaterThan(0);
    expect(b).toEqual(a);
  });

  it("takes new rows after the copy: every identity sequence starts past the copied ids", async () => {
    const db = connectPostgres(target);
    try {
      const before = await read(db, (q) => auditPage(q, REPO, 1));
      const newest = before.entries[0]?.id ?? 0;
      await transaction(db, (q) =>
        appendAudit(q, {
          repo: REPO,
          deliveryId: null,
          event: "test",
          actor: null,
          subject: "copy",
          change: "after",
          at: new Date().toISOString(),
        }),
      );
      expect((await read(db, (q) => auditPage(q, REPO, 1))).entries[0]?.id).toBe(newest + 1);
    } finally {
      await db.close();
    }
    const client = new pg.Client({ connectionString: target });
    await client.connect();
    try {
      for (const { pg: table } of STORE_TABLES)
        for (const column of getTableConfig(table).columns.filter((c) => c.generatedIdentity)) {
          const name = getTableName(table);
          const { rows } = await client.query<{ next: number; max: number }>(
            `select nextval(pg_get_serial_sequence('"${name}"', '${column.name}'))::int as next, (select coalesce(max("${column.name}"), 0)::int from "${name}") as max`,
          );
          expect(rows[0]?.next, name).toBeGreaterThan(rows[0]?.max ?? Number.POSITIVE_INFINITY);
        }
    } finally {
      await client.end();
    }
  });

  it("refuses a target that holds rows, naming them, and writes nothing", async () => {
    const [, before] = await both(countsOf);
    const again = await cli("copy", "--from", source.url, "--to", target);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(
      /^lanegate copy: the target is not empty: 1 row in approval_issues, \d+ rows in audit_log, /,
    );
    expect(again.stderr).toContain("1 row in config_checks");
    expect(again.stdout).toBe("");
    expect((await both(countsOf))[1]).toEqual(before);
  });

  it("rolls everything back when a table's count on the target differs", async () => {
    const fresh = await freshDatabase("copy");
    dropped.push(fresh.drop);
    await migratePostgres(fresh.url);
    // A trigger that silently drops one row stands in for any write that goes missing.
    const client = new pg.Client({ connectionString: fresh.url });
    await client.connect();
    await client.query(`create function drop_first() returns trigger language plpgsql as $$
      begin if new.id = 1 then return null; end if; return new; end $$`);
    await client.query(
      "create trigger drop_first before insert on audit_log for each row execute function drop_first()",
    );
    const result = await cli("copy", "--from", source.url, "--to", fresh.url);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^lanegate copy: audit_log holds (\d+) rows on the target but \d+ in the source; nothing was copied\n$/,
    );
    const left = await client.query<{ n: number }>(
      `select (${STORE_TABLES.map((t) => `(select count(*) from "${t.name}")`).join(" + ")})::int as n`,
    );
    await client.end();
    expect(left.rows[0]?.n).toBe(0);
  });

  it("refuses a source that is behind this version, before touching the target", async () => {
    const fresh = await freshDatabase("copy");
    dropped.push(fresh.drop);
    const behind = await cli("copy", "--from", previousVersionDatabase(), "--to", fresh.url);
    expect(behind.code).toBe(2);
    expect(behind.stderr).toContain("is 1 migrations behind this lanegate: run lanegate migrate first");
    const client = new pg.Client({ connectionString: fresh.url });
    await client.connect();
    const created = await client.query(
      "select 1 from information_schema.tables where table_schema = 'public'",
    );
    await client.end();
    expect(created.rowCount).toBe(0);
  });
});

describe("lanegate copy's refusals", () => {
  it("moves only SQLite to PostgreSQL, and says so without showing a password", async () => {
    const [from, to, missing, none] = await Promise.all([
      cli("copy", "--from", "postgres://a:s3cret@127.0.0.1:1/x", "--to", "postgres://127.0.0.1:1/y"),
      cli("copy", "--from", tempDatabase(), "--to", "file:other.sqlite"),
      cli("copy", "--from", tempDatabase(), "--to", "postgres://127.0.0.1:1/y"),
      cli("copy", "--to", "postgres://127.0.0.1:1/y"),
    ]);
    expect(from.code).toBe(2);
    expect(from.stderr).toContain(
      "--from postgres://a:***@127.0.0.1:1/x is PostgreSQL: copy only moves a SQLite store",
    );
    expect(from.stderr).not.toContain("s3cret");
    expect(to.code).toBe(2);
    expect(to.stderr).toContain("--to file:other.sqlite is not a postgres:// URL");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("no SQLite store there");
    expect(none).toMatchObject({ code: 2, stderr: expect.stringContaining("--from <url> is required") });
  });

  it("lists its options in --help and in lanegate's commands", async () => {
    const help = await cli("copy", "--help");
    expect(help.code).toBe(0);
    for (const option of ["--from <url>", "--to <url>", "-h, --help"]) expect(help.stdout).toContain(option);
    expect((await cli("--help")).stdout).toMatch(/copy\s+copy a SQLite store into a new PostgreSQL store/);
  });
});

describe("the order tables are copied in", () => {
  it("puts a table after the tables its foreign keys name", () => {
    const lanes = pgTable("lanes", { id: integer("id").primaryKey() });
    const runs = pgTable("runs", {
      id: integer("id").primaryKey(),
      lane: integer("lane").references(() => lanes.id),
    });
    const checks = pgTable("checks", { run: integer("run").references(() => runs.id), name: text("name") });
    expect(inForeignKeyOrder([checks, runs, lanes]).map(getTableName)).toEqual(["lanes", "runs", "checks"]);
    expect(STORE_TABLES).toHaveLength(new Set(STORE_TABLES.map((t) => t.name)).size);
  });
});
