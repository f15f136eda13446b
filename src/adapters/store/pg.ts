// PostgreSQL, the store for more than one replica: its migration under a lock and its pool
// (docs/architecture.md, "Two stores").
import { AsyncLocalStorage } from "node:async_hooks";
import { fileURLToPath } from "node:url";
import { readMigrationFiles } from "drizzle-orm/migrator";
import { drizzle, type NodePgDatabase } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import pg from "pg";
import { type Db, holderName, printableUrl, type Q } from "./db.ts";
import * as pgSchema from "./schema-pg.ts";

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
async function appliedMigrations(client: pg.ClientBase): Promise<number> {
  const table = await client.query<{ exists: boolean }>(
    "select to_regclass('drizzle.__drizzle_migrations') is not null as exists",
  );
  if (!table.rows[0]?.exists) return 0;
  const count = await client.query<{ n: number }>(
    "select count(*)::int as n from drizzle.__drizzle_migrations",
  );
  return count.rows[0]?.n ?? 0;
}

/**
 * How many times a transaction is tried before its conflict is the caller's error (the delivery
 * then fails, and GitHub's redelivery or the next sweep decides it again).
 */
const CONFLICT_ATTEMPTS = 20;

/**
 * Whether PostgreSQL refused a transaction because of a concurrent one: a serialization failure
 * (40001) or a deadlock (40P01). Running it again gives the answer it would have had alone.
 */
function isConflict(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    const code = "code" in e ? e.code : undefined;
    if (code === "40001" || code === "40P01") return true;
  }
  return false;
}

/** The most connections one replica holds; DATABASE_POOL_MAX overrides it. */
export const DEFAULT_POOL_MAX = 10;

/** Migrates, then opens the pool: what the server does at start. */
export async function openPostgres(url: string): Promise<PostgresDb> {
  await migratePostgres(url);
  return connectPostgres(url);
}

/** Opens the pool without migrating: for commands that only read. */
export function connectPostgres(url: string): PostgresDb {
  const max = Number(process.env.DATABASE_POOL_MAX ?? DEFAULT_POOL_MAX);
  const pool = new pg.Pool({
    connectionString: url,
    max: Number.isInteger(max) && max > 0 ? max : DEFAULT_POOL_MAX,
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
  });
  return new PostgresDb(pool, printableUrl(url));
}

/**
 * PostgreSQL: a bounded pool. A transaction takes one connection for its length and runs `read
 * committed`. The store's transactions that read, decide and write on rows another replica may
 * be changing ("not decided yet, so decide"; "no dispatch joined yet, so join") take an advisory
 * lock first (`exclusive`): under read committed every statement after the wait sees what the
 * lock's previous holder committed. (Under `serializable` the snapshot is taken at the lock's
 * own statement, before the wait, so a transaction that queued read stale rows, failed as a
 * conflict, and under a burst ran out of attempts.) A transaction PostgreSQL still refuses (a
 * deadlock, a serialization failure) is run again. A read outside a transaction takes any
 * connection per statement.
 */
export class PostgresDb implements Db {
  readonly dialect = "postgres";
  readonly holder = holderName();
  private readonly db: NodePgDatabase<typeof pgSchema>;
  private readonly inside = new AsyncLocalStorage<Q>();
  private closed = false;
  /** Transactions run again because another one committed a conflicting change first. */
  private retried = 0;

  constructor(
    readonly pool: pg.Pool,
    readonly name: string,
  ) {
    this.db = drizzle({ client: pool, schema: pgSchema });
    // An idle connection the server dropped must not crash the process; the next query reconnects.
    pool.on("error", () => {});
  }

  get open(): boolean {
    return !this.closed;
  }

  async transaction<T>(fn: (q: Q) => Promise<T>): Promise<T> {
    const current = this.inside.getStore();
    if (current) return fn(current);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.db.transaction(
          (tx) => {
            const q = tx as unknown as Q;
            return this.inside.run(q, () => fn(q));
          },
          { isolationLevel: "read committed" },
        );
      } catch (error) {
        if (attempt >= CONFLICT_ATTEMPTS || !isConflict(error)) throw error;
        this.retried += 1;
        // A random pause growing with each attempt (up to 100 ms), so that the transactions that
        // collided do not collide again.
        const pause = Math.random() * Math.min(100, 2 ** attempt);
        await new Promise((resolve) => setTimeout(resolve, pause));
      }
    }
  }

  read<T>(fn: (q: Q) => Promise<T>): Promise<T> {
    return fn(this.inside.getStore() ?? (this.db as unknown as Q));
  }

  async pendingMigrations(): Promise<number> {
    const shipped = readMigrationFiles({ migrationsFolder: PG_MIGRATIONS_FOLDER });
    const client = await this.pool.connect();
    try {
      return shipped.length - (await appliedMigrations(client));
    } finally {
      client.release();
    }
  }

  conflicts(): number {
    return this.retried;
  }

  connections() {
    return { open: this.pool.totalCount, idle: this.pool.idleCount, waiting: this.pool.waitingCount };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}
