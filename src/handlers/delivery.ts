// The one way every delivery is taken, for issues and the gate alike:
// - the delivery is claimed in the store before its handler runs: a delivery already applied is
//   skipped, so a redelivery has one effect; one another replica is applying is answered 503, not
//   200, since that replica may die before it applies it: GitHub keeps it failed, and its
//   redelivery once the claim has run out (DELIVERY_CLAIM_MS) is applied, or skipped if it was;
// - a delivery whose handler fails (GitHub could not be read, say) is marked failed and the error
//   propagates: Probot answers 500, GitHub's delivery log shows the failure, and a redelivery
//   (by hand, or by the recovery of failed deliveries) claims it again and runs it from the start;
// - a delivery that was applied is marked after its handler returns. Handlers are idempotent
//   (syncs re-read GitHub, dispatches are unique by delivery id, runs are upserted), so a crash
//   between the effect and the mark costs a repeat once the claim expires, never a second effect.
import type { Context } from "probot";
import { single } from "../adapters/store/db.ts";
import { claimDelivery, settleDelivery } from "../adapters/store/deliveries.ts";
import { repoKey } from "../core/repository.ts";
import type { SyncDeps } from "../pipelines/deps.ts";

type Named = Context & {
  payload: { action?: string; repository?: { name: string; owner: { login: string } } };
};

/** A delivery answered with `status` rather than run; Probot answers the error's status. */
export class DeliveryError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Another replica holds a live claim on the delivery: 503, so GitHub keeps it failed. */
export class ClaimedElsewhere extends DeliveryError {
  constructor(message: string) {
    super(503, message);
  }
}

/** `issues.labeled`, `workflow_dispatch`: the event as the audit log and metrics name it. */
export function eventName(name: string, payload: unknown): string {
  const action =
    typeof payload === "object" && payload !== null && "action" in payload ? payload.action : null;
  return typeof action === "string" ? `${name}.${action}` : name;
}

export function oncePerDelivery<C extends Named>(deps: SyncDeps, handle: (context: C) => Promise<void>) {
  return async (context: C) => {
    const repository = context.payload.repository;
    const repo = repository ? repoKey({ owner: repository.owner.login, repo: repository.name }) : null;
    const { holder } = deps.db;
    const claim = await single(deps.db, (q) =>
      claimDelivery(q, {
        id: context.id,
        event: eventName(context.name, context.payload),
        repo,
        holder,
        now: deps.now(),
      }),
    );
    if (!claim.claimed && claim.elsewhere)
      throw new ClaimedElsewhere(`delivery ${context.id} not applied here: ${claim.why}`);
    if (!claim.claimed) {
      context.log.info(`delivery ${context.id} skipped: ${claim.why}`);
      return;
    }
    try {
      await handle(context);
    } catch (error) {
      await single(deps.db, (q) => settleDelivery(q, context.id, holder, "failed", deps.now()));
      throw error;
    }
    await single(deps.db, (q) => settleDelivery(q, context.id, holder, "applied", deps.now()));
  };
}
