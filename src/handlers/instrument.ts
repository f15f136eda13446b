// Around every delivery: refuse it while stopping (503, so GitHub keeps it failed and the
// redelivery asks for it later), reject a malformed one (400 with the reason, recorded so it is
// never asked for again), then count it, time it and log one structured line.
import type { EmitterWebhookEventName } from "@octokit/webhooks";
import type { Context, Probot } from "probot";
import { z } from "zod";
import type { Db } from "../adapters/store/db.ts";
import { read, transaction } from "../adapters/store/db.ts";
import { latestDecision, rejectDelivery } from "../adapters/store/service.ts";
import type { Lifecycle } from "../service/lifecycle.ts";
import { ClaimedElsewhere, DeliveryError, eventName } from "./delivery.ts";

const account = z.object({ login: z.string() });
/** What every handler reads from any delivery; the per-event parts follow. */
const envelope = z.object({
  repository: z.object({ name: z.string(), owner: account }),
  sender: account,
  installation: z.object({ id: z.number() }).optional(),
});
const PARTS = {
  issues: z.object({ issue: z.object({ number: z.number(), updated_at: z.string() }) }),
  workflow_dispatch: z.object({ workflow: z.string(), ref: z.string() }),
  workflow_run: z.object({
    workflow_run: z.object({
      id: z.number(),
      run_attempt: z.number(),
      path: z.string(),
      head_sha: z.string(),
    }),
  }),
  check_run: z.object({ check_run: z.object({ id: z.number(), name: z.string(), head_sha: z.string() }) }),
  pull_request: z.object({
    pull_request: z.object({ number: z.number(), head: z.object({ sha: z.string() }) }),
    repository: z.object({ default_branch: z.string() }),
  }),
};
// Built once: zod schemas composed per delivery (`and`, `pick`) cost more than the parse itself.
const SCHEMAS: ReadonlyMap<string, z.ZodType> = new Map(
  Object.entries(PARTS).map(([name, part]) => [name, envelope.and(part)]),
);
const where = envelope.pick({ repository: true });

/** Why a payload cannot be handled, or null. */
export function malformed(name: string, payload: unknown): string | null {
  const parsed = (SCHEMAS.get(name) ?? envelope).safeParse(payload);
  if (parsed.success) return null;
  const issue = parsed.error.issues[0];
  return `${issue?.path.join(".") || "payload"}: ${issue?.message ?? "invalid"}`;
}

export interface DeliveryService {
  db: Db;
  lifecycle: Lifecycle;
  log: Probot["log"];
}

export function instrumented<E extends EmitterWebhookEventName>(
  svc: DeliveryService,
  handle: (context: Context<E>) => Promise<void>,
) {
  const { lifecycle, db } = svc;
  return async (context: Context<E>) => {
    const payload: unknown = context.payload;
    const event = eventName(context.name, payload);
    const located = where.safeParse(payload);
    const r = located.success ? located.data.repository : null;
    const repo = r ? `${r.owner.login}/${r.name}`.toLowerCase() : null;
    const log = svc.log.child({ delivery: context.id, event, repository: repo });
    if (!lifecycle.accepting) {
      lifecycle.metrics.deliveries.inc({ event, outcome: "refused_stopping" });
      throw new DeliveryError(503, "lanegate is stopping; the delivery will be asked for again");
    }
    const problem = malformed(context.name, payload);
    if (problem) {
      await transaction(db, (q) => rejectDelivery(q, context.id, event, problem, lifecycle.now()));
      lifecycle.metrics.deliveries.inc({ event, outcome: "rejected" });
      log.warn({ reason: problem }, "delivery rejected as malformed");
      throw new DeliveryError(400, `malformed ${event} delivery: ${problem}`);
    }
    const started = performance.now();
    let outcome = "ok";
    try {
      await lifecycle.track(handle(context));
    } catch (error) {
      // Another replica applying it is not a failure of this one: the alert on `error` must not fire.
      outcome = error instanceof ClaimedElsewhere ? "claimed_elsewhere" : "error";
      throw error;
    } finally {
      const seconds = (performance.now() - started) / 1000;
      lifecycle.metrics.deliveries.inc({ event, outcome });
      lifecycle.metrics.deliverySeconds.observe({ event }, seconds);
      log.info(
        { outcome, ms: Math.round(seconds * 1000), ...(await decisionOf(db, repo, payload)) },
        "delivery handled",
      );
    }
  };
}

const runOf = z.object({ workflow_run: z.object({ id: z.number(), run_attempt: z.number() }) });

/** For a run's delivery, the lane, decision and reason code it led to (if it was decided). */
async function decisionOf(db: Db, repo: string | null, payload: unknown) {
  const run = runOf.safeParse(payload);
  if (!run.success || !repo || !db.open) return {};
  const { id, run_attempt } = run.data.workflow_run;
  const d = await read(db, (q) => latestDecision(q, repo, id, run_attempt));
  return d ? { lane: d.lane, decision: d.allowed ? "allowed" : "refused", reason: d.reason } : {};
}
