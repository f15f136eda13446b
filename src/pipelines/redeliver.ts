// Recovers deliveries that failed (the app was down, or answered 5xx): GitHub never sends them
// again by itself, but keeps them for three days and redelivers one when the App asks. Each is
// asked for once (claimed in the store first), and again only when the redelivery was answered
// 503 (another replica's claim still held it, or the replica was stopping); one lanegate
// rejected as malformed never.
import { type HookDelivery, hookDeliveriesSince, redeliver } from "../adapters/github/app.ts";
import { describe, type Octokit, statusOf } from "../adapters/github/client.ts";
import { appendAudit } from "../adapters/store/audit.ts";
import { read, single, transaction } from "../adapters/store/db.ts";
import {
  askedRedeliveries,
  claimRedelivery,
  claimRedeliveryAgain,
  readState,
  recordRedeliveryResult,
  rejectedGuids,
  writeState,
} from "../adapters/store/service.ts";
import type { SyncDeps } from "./deps.ts";

/** GitHub keeps deliveries for three days; an hour's margin keeps us clear of the edge. */
export const REDELIVERY_WINDOW_MS = 3 * 24 * 3_600_000 - 3_600_000;
/** A delivery still being answered when the last check ran shows up a little before it. */
const OVERLAP_MS = 5 * 60_000;
const CHECKED_AT = "redelivery_checked_at";
/** The result of a delivery claimed and not yet asked for (or whose request a stop cut short). */
const CLAIMED = "claimed";
/** Audit lines about the App itself, not one repository. */
export const APP_AUDIT_REPO = "(app)";

export interface RedeliveryReport {
  asked: string[];
  failed: string[];
}

const succeeded = (d: HookDelivery) => d.status_code >= 200 && d.status_code < 300;

/** A delivery GitHub tried this many times is left to the reconcile, whatever it was answered. */
export const MAX_ATTEMPTS = 5;

type FailedDelivery = HookDelivery & { attempts: number };

/** The guids whose every attempt failed, with the newest attempt of each and how many there were. */
export function failedDeliveries(list: HookDelivery[]): FailedDelivery[] {
  const byGuid = new Map<string, HookDelivery[]>();
  for (const d of list) byGuid.set(d.guid, [...(byGuid.get(d.guid) ?? []), d]);
  return [...byGuid.values()]
    .filter((attempts) => !attempts.some(succeeded))
    .map((attempts) => ({
      ...attempts.reduce((a, b) => (a.delivered_at >= b.delivered_at ? a : b)),
      attempts: attempts.length,
    }));
}

/**
 * Whether a delivery asked for before is asked for again: only when GitHub's redelivery (an
 * attempt newer than the one asked about) was answered 503, which lanegate answers while another
 * replica holds the delivery's claim (it may have died: the claim runs out in 30 s) or while
 * stopping. Any other failure is the handler's own, and asking again would repeat it.
 */
export function asksAgain(
  asked: { hookDeliveryId: number; result: string },
  newest: FailedDelivery,
): boolean {
  return (
    asked.result === "asked" &&
    newest.id !== asked.hookDeliveryId &&
    newest.status_code === 503 &&
    newest.attempts < MAX_ATTEMPTS
  );
}

export async function recoverDeliveries(
  deps: SyncDeps,
  appOctokit: Octokit,
  count: (result: "asked" | "failed") => void,
): Promise<RedeliveryReport> {
  const now = deps.now();
  const windowStart = now.getTime() - REDELIVERY_WINDOW_MS;
  const checked = await read(deps.db, (q) => readState(q, CHECKED_AT));
  const since = new Date(Math.max(windowStart, checked ? Date.parse(checked) - OVERLAP_MS : windowStart));
  const failed = failedDeliveries(await hookDeliveriesSince(appOctokit, since));
  const guids = failed.map((d) => d.guid);
  const { asked, rejected } = await read(deps.db, async (q) => ({
    asked: await askedRedeliveries(q, guids),
    rejected: await rejectedGuids(q, guids),
  }));
  const report: RedeliveryReport = { asked: [], failed: [] };
  for (const d of failed.filter((f) => !rejected.has(f.guid))) {
    const before = asked.get(d.guid);
    if (before && !asksAgain(before, d)) continue;
    const event = d.action ? `${d.event}.${d.action}` : d.event;
    const row = {
      guid: d.guid,
      hookDeliveryId: d.id,
      event,
      statusCode: d.status_code,
      deliveredAt: d.delivered_at,
      askedAt: deps.now().toISOString(),
      result: CLAIMED,
    };
    // Claimed right before asking, not when the list was read: a sweep paced a write a second
    // outlasts its period, and whatever claimed a delivery since (an earlier run, one a stop cut
    // short, another process) keeps it. A claim whose request never finished is not asked again.
    const claimed = await single(deps.db, (q) =>
      before ? claimRedeliveryAgain(q, before.hookDeliveryId, row) : claimRedelivery(q, row),
    );
    if (!claimed) continue;
    let result = "asked";
    try {
      await redeliver(appOctokit, d.id);
      report.asked.push(d.guid);
      count("asked");
    } catch (error) {
      result = `failed: ${statusOf(error) ?? describe(error)}`;
      report.failed.push(d.guid);
      count("failed");
    }
    const at = deps.now().toISOString();
    await transaction(deps.db, async (q) => {
      await recordRedeliveryResult(q, d.guid, result, at);
      await appendAudit(q, {
        repo: APP_AUDIT_REPO,
        deliveryId: d.guid,
        event: "redelivery",
        actor: null,
        subject: `delivery ${d.guid} (${event})`,
        change: `${result === "asked" ? "asked GitHub to send again" : `asking GitHub to send again ${result}`}: it failed with ${d.status_code} at ${d.delivered_at}`,
        at,
      });
    });
  }
  await transaction(deps.db, (q) => writeState(q, CHECKED_AT, now.toISOString(), now));
  if (report.asked.length || report.failed.length)
    deps.log.info(`redelivery: asked for ${report.asked.length}, ${report.failed.length} requests failed`);
  return report;
}
