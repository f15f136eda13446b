// The databases lanegate runs on in the bench: a SQLite file in a temporary directory, or a fresh
// PostgreSQL database on the development server (docs/performance.md), each made for one section
// and removed after it.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";

export const STORES = ["sqlite", "postgres"] as const;
export type StoreKind = (typeof STORES)[number];

/** The server the PostgreSQL databases are made on; BENCH_POSTGRES_URL overrides it. */
export const BENCH_POSTGRES_URL = process.env.BENCH_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";

export interface BenchStore {
  kind: StoreKind;
  /** lanegate's DATABASE_URL. */
  url: string;
  /** Removes the database (a PostgreSQL one even with connections still open). */
  drop(): Promise<void>;
}

/** A new, empty database of `kind`; lanegate migrates it when it starts. */
export async function benchStore(kind: StoreKind, purpose: string): Promise<BenchStore> {
  if (kind === "sqlite") {
    const dir = mkdtempSync(join(tmpdir(), `lanegate-bench-${purpose}-`));
    return {
      kind,
      url: join(dir, "bench.sqlite"),
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const name = `lanegate_bench_${purpose}_${randomBytes(4).toString("hex")}`;
  await onServer(`create database "${name}"`);
  const url = new URL(BENCH_POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    kind,
    url: url.toString(),
    drop: () => onServer(`drop database if exists "${name}" with (force)`),
  };
}

/** Runs one statement on the server's maintenance database, saying which server failed. */
async function onServer(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: BENCH_POSTGRES_URL, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    await client.query(statement);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new Error(`PostgreSQL at ${BENCH_POSTGRES_URL} (BENCH_POSTGRES_URL): ${why}`);
  } finally {
    await client.end().catch(() => {});
  }
}
