// Migrations once (issue 14): replicas starting together on one PostgreSQL database each migrate
// at start, and drizzle's migrate() alone would apply the migrations twice or fail; the advisory
// lock in migratePostgres queues them. Runs against the real server; see test/support/postgres.ts.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { is } from "drizzle-orm";
import { getTableConfig, PgTable } from "drizzle-orm/pg-core";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migratePostgres, PG_MIGRATIONS_FOLDER } from "../../src/adapters/store/pg.ts";
import * as pgSchema from "../../src/adapters/store/schema-pg.ts";
import { cli } from "../support/cli.ts";
import { freshDatabase, postgresForTests } from "../support/postgres.ts";

const postgres = await postgresForTests();

/** How many migrations db/pg holds. */
function migrationsInFolder(): number {
  const journal = JSON.parse(readFileSync(join(PG_MIGRATIONS_FOLDER, "meta/_journal.json"), "utf8")) as {
    entries: unknown[];
  };
  return journal.entries.length;
}

describe.skipIf(postgres.skip)("migrating a PostgreSQL store", () => {
  let database: { url: string; drop: () => Promise<void> } | undefined;
  let client: pg.Client;

  beforeAll(async () => {
    if (postgres.problem) throw new Error(`CI needs PostgreSQL: ${postgres.problem}`);
    database = await freshDatabase("migrate");
    client = new pg.Client({ connectionString: database.url });
    await client.connect();
  });

  afterAll(async () => {
    await client?.end();
    await database?.drop();
  });

  it("two replicas migrating at once both finish, and each migration is applied once", async () => {
    const url = database?.url ?? "";
    const counts = await Promise.all([migratePostgres(url), migratePostgres(url)]);
    // One applied them all; the other waited for the lock and found nothing left.
    expect(counts.sort()).toEqual([0, migrationsInFolder()]);
    const applied = await client.query<{ hash: string; times: number }>(
      "select hash, count(*)::int as times from drizzle.__drizzle_migrations group by hash",
    );
    expect(migrationsInFolder()).toBeGreaterThan(0);
    expect(applied.rows).toHaveLength(migrationsInFolder());
    expect(applied.rows.every((r) => r.times === 1)).toBe(true);
  });

  it("a replica starting later finds nothing left to apply", async () => {
    await migratePostgres(database?.url ?? "");
    const count = await client.query<{ n: number }>(
      "select count(*)::int as n from drizzle.__drizzle_migrations",
    );
    expect(count.rows[0]?.n).toBe(migrationsInFolder());
  });

  it("lanegate migrate on the migrated database applies nothing and says so", async () => {
    const run = await cli("migrate", "--db", database?.url ?? "", "--json");
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ applied: 0 });
  });

  it("leaves the tables, columns and nullability that schema-pg.ts declares", async () => {
    const declared = Object.values(pgSchema)
      .filter((v) => is(v, PgTable))
      .flatMap((t) => {
        const config = getTableConfig(t);
        return config.columns.map((c) => `${config.name}.${c.name}${c.notNull ? " not null" : ""}`);
      });
    const actual = await client.query<{ table_name: string; column_name: string; is_nullable: string }>(
      "select table_name, column_name, is_nullable from information_schema.columns where table_schema = 'public'",
    );
    const found = actual.rows.map(
      (r) => `${r.table_name}.${r.column_name}${r.is_nullable === "NO" ? " not null" : ""}`,
    );
    expect(found.sort()).toEqual(declared.sort());
  });

  it("refuses a second operation holding a lane, and lets finished ones stay", async () => {
    const insert = (runId: number, state: string) =>
      client.query(
        `insert into operations (repo, lane, run_id, attempt, decision_id, source, state, lease_expires_at, started_at)
         values ('acme/platform', 'cm/prod', $1, 1, $1, 'snapshot', $2, '2026-12-03T10:00:00.000Z', '2026-12-03T09:00:00.000Z')`,
        [runId, state],
      );
    await insert(1, "completed");
    await insert(2, "cleared");
    await insert(3, "in_flight");
    await expect(insert(4, "requested")).rejects.toMatchObject({
      code: "23505",
      constraint: "one_operation_in_flight_per_lane",
    });
    await expect(insert(5, "stale")).rejects.toMatchObject({ code: "23505" });
  });
});
