// The store a test app runs on. By default an in-memory SQLite database; in the `postgres`
// Vitest project (LANEGATE_TEST_STORE=postgres) a PostgreSQL database of its own, cloned from a
// template migrated once per run (test/support/postgres-setup.ts). The same app tests then reach
// every store function on both drivers.
import pg from "pg";
import { afterAll, afterEach, inject } from "vitest";
import { type Db, openDatabase } from "../../src/adapters/store/db.ts";
import { connectPostgres } from "../../src/adapters/store/pg.ts";
import { cloneDatabase, type TestDatabase } from "./postgres.ts";

/** Which driver the app tests run on in this project. */
export const TEST_STORE: "sqlite" | "postgres" =
  process.env.LANEGATE_TEST_STORE === "postgres" ? "postgres" : "sqlite";

// Dropping a database costs PostgreSQL a checkpoint (hundreds of milliseconds here), emptying one
// a single TRUNCATE: a database whose test ended is emptied and serves the file's next test, and
// the file's databases are dropped when it ends.
const inUse: Db[] = [];
const emptied: TestDatabase[] = [];
const databaseOf = new WeakMap<Db, TestDatabase>();

afterEach(async () => {
  for (const db of inUse.splice(0)) await db.close();
});

afterAll(async () => {
  await Promise.all(emptied.splice(0).map((database) => database.drop()));
}, 120_000);

/** A new, migrated, empty store on the project's driver; closed after the test. */
export async function testStore(): Promise<Db> {
  if (TEST_STORE === "sqlite") return openDatabase(":memory:");
  const database = emptied.pop() ?? (await cloneDatabase(inject("postgresTemplate"), "app"));
  const db = connectPostgres(database.url);
  databaseOf.set(db, database);
  // Closing the store (the test's own close, or the end of the test) hands its database, emptied,
  // to the file's next test app: a property test runs dozens of apps in one test.
  const close = db.close.bind(db);
  let closed: Promise<void> | undefined;
  db.close = () => {
    closed ??= close()
      .then(() => empty(database))
      .then(() => {
        emptied.push(database);
      });
    return closed;
  };
  inUse.push(db);
  return db;
}

/**
 * The store as a second replica of the app reaches it: on PostgreSQL the same database through a
 * pool of its own, closed after the test (before the first replica's, which empties the
 * database). On SQLite, where one process owns the store, the same store.
 */
export function replicaStore(db: Db): Db {
  if (TEST_STORE === "sqlite") return db;
  const database = databaseOf.get(db);
  if (!database) throw new Error("not a store from testStore()");
  const replica = connectPostgres(database.url);
  inUse.unshift(replica);
  return replica;
}

/** Removes every row from the database's tables, as the template had them: none. */
async function empty(database: TestDatabase): Promise<void> {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string }>(
      "select quote_ident(tablename) as name from pg_tables where schemaname = 'public'",
    );
    await client.query(`truncate ${rows.map((r) => r.name).join(", ")} restart identity`);
  } finally {
    await client.end();
  }
}
