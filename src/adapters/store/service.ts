// SQL for running the service: readiness probes, scrape-time gauges, redelivery records.
import { eq, inArray } from "drizzle-orm";
import { readMigrationFiles } from "drizzle-orm/migrator";
import type { Q } from "./db.ts";
import { type Db, MIGRATIONS_FOLDER } from "./db.ts";
import * as t from "./schema.ts";

/** A committed write, so readiness proves the file and its directory still take writes. */
export function writeHeartbeat(q: Q, now: Date) {
  const at = now.toISOString();
  q.insert(t.serviceState)
    .values({ key: "heartbeat", value: at, updatedAt: at })
    .onConflictDoUpdate({ target: t.serviceState.key, set: { value: at, updatedAt: at } })
    .run();
}

export function readState(q: Q, key: string): string | null {
  return q.select().from(t.serviceState).where(eq(t.serviceState.key, key)).get()?.value ?? null;
}

export function writeState(q: Q, key: string, value: string, now: Date) {
  const at = now.toISOString();
  q.insert(t.serviceState)
    .values({ key, value, updatedAt: at })
    .onConflictDoUpdate({ target: t.serviceState.key, set: { value, updatedAt: at } })
    .run();
}

/** The migrations shipped with this build that the database has not applied. */
export function pendingMigrations(db: Db): number {
  const shipped = readMigrationFiles({ migrationsFolder: MIGRATIONS_FOLDER });
  const tracked = db.$client
    .prepare("select 1 from sqlite_master where type = 'table' and name = '__drizzle_migrations'")
    .get();
  if (!tracked) return shipped.length;
  const applied = db.$client.prepare("select max(created_at) as last from __drizzle_migrations").get() as
    | { last: number | null }
    | undefined;
  const last = applied?.last ?? 0;
  return shipped.filter((m) => m.folderMillis > last).length;
}

/** Gate decisions by result and first failing reason, counted for the metrics at scrape time. */
export function decisionCounts(db: Db): { allowed: boolean; reason: string; count: number }[] {
  const rows = db.$client
    .prepare("select allowed, reason, count(*) as count from decisions group by allowed, reason")
    .all() as { allowed: number; reason: string | null; count: number }[];
  return rows.map((r) => ({ allowed: r.allowed === 1, reason: r.reason ?? "unknown", count: r.count }));
}

/** Operations or grants by state, counted for the metrics at scrape time. */
export function countsByState(db: Db, table: "operations" | "grants"): { state: string; count: number }[] {
  return db.$client.prepare(`select state, count(*) as count from ${table} group by state`).all() as {
    state: string;
    count: number;
  }[];
}

export function rejectDelivery(q: Q, guid: string, event: string, reason: string, now: Date) {
  q.insert(t.rejectedDeliveries)
    .values({ guid, event, reason, at: now.toISOString() })
    .onConflictDoNothing()
    .run();
}

/** Of these guids, the ones lanegate must not ask for: already asked, or rejected as malformed. */
export function settledGuids(q: Q, guids: string[]): Set<string> {
  if (guids.length === 0) return new Set();
  const asked = q
    .select({ guid: t.redeliveries.guid })
    .from(t.redeliveries)
    .where(inArray(t.redeliveries.guid, guids))
    .all();
  const rejected = q
    .select({ guid: t.rejectedDeliveries.guid })
    .from(t.rejectedDeliveries)
    .where(inArray(t.rejectedDeliveries.guid, guids))
    .all();
  return new Set([...asked, ...rejected].map((r) => r.guid));
}

/**
 * Claims a failed delivery before GitHub is asked for it: false when any run (an earlier sweep,
 * one cut short by a stop, another process on this database) claimed it already.
 */
export function claimRedelivery(q: Q, row: typeof t.redeliveries.$inferInsert): boolean {
  return q.insert(t.redeliveries).values(row).onConflictDoNothing().run().changes > 0;
}

/** What came of asking GitHub for a claimed delivery. */
export function recordRedeliveryResult(q: Q, guid: string, result: string, askedAt: string) {
  q.update(t.redeliveries).set({ result, askedAt }).where(eq(t.redeliveries.guid, guid)).run();
}

/** The newest decision on a run attempt, for the log line of the delivery that led to it. */
export function latestDecision(db: Db, repo: string, runId: number, attempt: number) {
  return db.$client
    .prepare(
      "select lane, allowed, reason from decisions where repo = ? and run_id = ? and attempt = ? order by id desc limit 1",
    )
    .get(repo, runId, attempt) as { lane: string | null; allowed: number; reason: string | null } | undefined;
}
