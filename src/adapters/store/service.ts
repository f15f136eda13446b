// SQL for running the service: readiness probes, scrape-time gauges, redelivery records.
import { and, count, desc, eq, inArray } from "drizzle-orm";
import { first, type Q, tables } from "./db.ts";
import { equalsParam, preparedOn } from "./prepared.ts";
import type * as s from "./schema.ts";

/** A committed write, so readiness proves the store still takes writes. */
export async function writeHeartbeat(q: Q, now: Date) {
  await writeState(q, "heartbeat", now.toISOString(), now);
}

export async function readState(q: Q, key: string): Promise<string | null> {
  const t = tables(q);
  const row = await first(q.select().from(t.serviceState).where(eq(t.serviceState.key, key)));
  return row?.value ?? null;
}

export async function writeState(q: Q, key: string, value: string, now: Date) {
  const t = tables(q);
  const at = now.toISOString();
  await q
    .insert(t.serviceState)
    .values({ key, value, updatedAt: at })
    .onConflictDoUpdate({ target: t.serviceState.key, set: { value, updatedAt: at } });
}

/** Gate decisions by result and first failing reason, counted for the metrics at scrape time. */
export async function decisionCounts(q: Q): Promise<{ allowed: boolean; reason: string; count: number }[]> {
  const t = tables(q);
  const rows = await q
    .select({ allowed: t.decisions.allowed, reason: t.decisions.reason, count: count() })
    .from(t.decisions)
    .groupBy(t.decisions.allowed, t.decisions.reason);
  return rows.map((r) => ({ allowed: r.allowed, reason: r.reason ?? "unknown", count: r.count }));
}

/** Operations or grants by state, counted for the metrics at scrape time. */
export async function countsByState(
  q: Q,
  table: "operations" | "grants",
): Promise<{ state: string; count: number }[]> {
  const t = tables(q)[table];
  return q.select({ state: t.state, count: count() }).from(t).groupBy(t.state);
}

export async function rejectDelivery(q: Q, guid: string, event: string, reason: string, now: Date) {
  const t = tables(q);
  await q
    .insert(t.rejectedDeliveries)
    .values({ guid, event, reason, at: now.toISOString() })
    .onConflictDoNothing();
}

/** Of these guids, the ones lanegate rejected as malformed: never asked for. */
export async function rejectedGuids(q: Q, guids: string[]): Promise<Set<string>> {
  if (guids.length === 0) return new Set();
  const t = tables(q);
  const rejected = await q
    .select({ guid: t.rejectedDeliveries.guid })
    .from(t.rejectedDeliveries)
    .where(inArray(t.rejectedDeliveries.guid, guids));
  return new Set(rejected.map((r) => r.guid));
}

/** The failed deliveries already asked for, by guid: the attempt asked about, and the outcome. */
export async function askedRedeliveries(
  q: Q,
  guids: string[],
): Promise<Map<string, { hookDeliveryId: number; result: string }>> {
  if (guids.length === 0) return new Map();
  const t = tables(q);
  const rows = await q
    .select({
      guid: t.redeliveries.guid,
      hookDeliveryId: t.redeliveries.hookDeliveryId,
      result: t.redeliveries.result,
    })
    .from(t.redeliveries)
    .where(inArray(t.redeliveries.guid, guids));
  return new Map(rows.map(({ guid, ...row }) => [guid, row]));
}

/**
 * Claims a delivery asked for before, about a newer attempt of it: false when another run took
 * it since (the row no longer names the attempt asked about before).
 */
export async function claimRedeliveryAgain(
  q: Q,
  previousAttempt: number,
  row: typeof s.redeliveries.$inferInsert,
): Promise<boolean> {
  const t = tables(q);
  const claimed = await q
    .update(t.redeliveries)
    .set(row)
    .where(and(eq(t.redeliveries.guid, row.guid), eq(t.redeliveries.hookDeliveryId, previousAttempt)))
    .returning({ guid: t.redeliveries.guid });
  return claimed.length > 0;
}

/**
 * Claims a failed delivery before GitHub is asked for it: false when any run (an earlier sweep,
 * one cut short by a stop, another replica on this database) claimed it already.
 */
export async function claimRedelivery(q: Q, row: typeof s.redeliveries.$inferInsert): Promise<boolean> {
  const t = tables(q);
  const claimed = await q
    .insert(t.redeliveries)
    .values(row)
    .onConflictDoNothing()
    .returning({ guid: t.redeliveries.guid });
  return claimed.length > 0;
}

/** What came of asking GitHub for a claimed delivery. */
export async function recordRedeliveryResult(q: Q, guid: string, result: string, askedAt: string) {
  const t = tables(q);
  await q.update(t.redeliveries).set({ result, askedAt }).where(eq(t.redeliveries.guid, guid));
}

/** The newest decision on a run attempt, for the log line of the delivery that led to it. */
export async function latestDecision(q: Q, repo: string, runId: number, attempt: number) {
  return first(prepared(q).latestDecision.execute({ repo, runId, attempt }));
}

// Every run's delivery logs its decision.
const prepared = preparedOn((q, t) => ({
  latestDecision: q
    .select({ lane: t.decisions.lane, allowed: t.decisions.allowed, reason: t.decisions.reason })
    .from(t.decisions)
    .where(
      and(
        equalsParam(t.decisions.repo, "repo"),
        equalsParam(t.decisions.runId, "runId"),
        equalsParam(t.decisions.attempt, "attempt"),
      ),
    )
    .orderBy(desc(t.decisions.id))
    .limit(1)
    .prepare(),
}));
