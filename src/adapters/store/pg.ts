// PostgreSQL, the store for more than one replica (issue 14). So far it migrates; the store
// functions still run on SQLite only (docs/architecture.md, "Two stores").
import { fileURLToPath } from "node:url";
import { drizzle } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import pg from "pg";

export const PG_MIGRATIONS_FOLDER = fileURLToPath(new URL("../../../db/pg", import.meta.url));

/** The advisory lock replicas take to migrate: the eight bytes of "lanegate" as a bigint. */
const MIGRATION_LOCK = BigInt("0x6c616e6567617465").toString();

/**
 * Brings the database at `url` up to the latest migration in `db/pg` and says how many it applied.
 * drizzle's `migrate()` is not safe when two processes run it at once (both create its table and
 * apply the same migrations), so replicas starting together queue on a session advisory lock
 * held on one dedicated connection around it; the second finds nothing left to apply. If
 * migrating fails, closing the connection releases the lock. The connection must reach the
 * server directly: behind PgBouncer in transaction mode a session lock does not hold.
 */
export async function migratePostgres(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    await client.query("select pg_advisory_lock($1)", [MIGRATION_LOCK]);
    const before = await appliedMigrations(client);
    await migrate(drizzle({ client }), { migrationsFolder: PG_MIGRATIONS_FOLDER });
    const after = await appliedMigrations(client);
    await client.query("select pg_advisory_unlock($1)", [MIGRATION_LOCK]);
    return after - before;
  } finally {
    await client.end();
  }
}

/** How many migrations drizzle has recorded; none before its table exists. */
async function appliedMigrations(client: pg.Client): Promise<number> {
  const table = await client.query<{ exists: boolean }>(
    "select to_regclass('drizzle.__drizzle_migrations') is not null as exists",
  );
  if (!table.rows[0]?.exists) return 0;
  const count = await client.query<{ n: number }>(
    "select count(*)::int as n from drizzle.__drizzle_migrations",
  );
  return count.rows[0]?.n ?? 0;
}
