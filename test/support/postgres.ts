// The PostgreSQL server the tests run against (STACK.md: 127.0.0.1:5432, trust auth, database
// `test`), and throwaway databases on it. Without a server the PostgreSQL tests are skipped with
// the reason printed, except in CI, where a missing server fails them: CI must never pass a
// store it did not test.
import { randomBytes } from "node:crypto";
import pg from "pg";

export const TEST_POSTGRES_URL =
  process.env.LANEGATE_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";

const inCI = (process.env.CI ?? "") !== "" && process.env.CI !== "false" && process.env.CI !== "0";

/** Why the server does not answer, or null when it does. */
async function whyPostgresDoesNotAnswer(): Promise<string | null> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.query("select 1");
    return null;
  } catch (error) {
    return `PostgreSQL at ${TEST_POSTGRES_URL} does not answer (${error instanceof Error ? error.message : String(error)})`;
  } finally {
    await client.end().catch(() => {});
  }
}

export interface PostgresForTests {
  /** Whether to skip the file's PostgreSQL tests: no server, and not in CI. */
  skip: boolean;
  /** Why the server does not answer, or null; in CI the tests fail with it. */
  problem: string | null;
}

/** Asks the server once per test file; prints why the tests are skipped when they are. */
export async function postgresForTests(): Promise<PostgresForTests> {
  const problem = await whyPostgresDoesNotAnswer();
  const skip = problem !== null && !inCI;
  if (skip)
    console.warn(
      `Skipping the PostgreSQL tests: ${problem}. Start it with ` +
        "`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`, " +
        "or point LANEGATE_TEST_POSTGRES_URL at one. In CI they fail instead.",
    );
  return { skip, problem };
}

export interface TestDatabase {
  name: string;
  url: string;
  /** Removes the database, closing what is still connected. */
  drop: () => Promise<void>;
}

/** A new empty database on the test server (or on `server`: the bench names its own). */
export async function freshDatabase(purpose: string, server = TEST_POSTGRES_URL): Promise<TestDatabase> {
  const name = `lanegate_${purpose}_${randomBytes(4).toString("hex")}`;
  await onServer(`create database "${name}"`, server);
  return testDatabase(name, server);
}

/** A copy of `template` (which nobody may be connected to), named after the template's suffix. */
export async function cloneDatabase(template: string, purpose: string): Promise<TestDatabase> {
  const name = `lanegate_${purpose}_${template.slice(-8)}_${randomBytes(4).toString("hex")}`;
  await onServer(`create database "${name}" template "${template}"`);
  return testDatabase(name);
}

/** Drops every database whose name matches the `like` pattern: what crashed workers left. */
export async function dropDatabasesLike(pattern: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>(
      "select datname from pg_database where datname like $1",
      [pattern],
    );
    for (const { datname } of rows) await client.query(`drop database if exists "${datname}" with (force)`);
  } finally {
    await client.end();
  }
}

function testDatabase(name: string, server = TEST_POSTGRES_URL): TestDatabase {
  const url = new URL(server);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: () => onServer(`drop database if exists "${name}" with (force)`, server),
  };
}

/** Runs one statement on the server's maintenance database, saying which server failed. */
async function onServer(statement: string, server = TEST_POSTGRES_URL): Promise<void> {
  const client = new pg.Client({ connectionString: server, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    await client.query(statement);
  } catch (error) {
    throw new Error(`PostgreSQL at ${server}: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    await client.end().catch(() => {});
  }
}
