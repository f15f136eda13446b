// The databases lanegate runs on in the bench: a SQLite file in a temporary directory, or a fresh
// PostgreSQL database on the development server (docs/performance.md), each made for one section
// and removed after it.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freshDatabase } from "../test/support/postgres.ts";

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
  const database = await freshDatabase(`bench_${purpose}`, BENCH_POSTGRES_URL);
  return { kind, url: database.url, drop: database.drop };
}
