// A delivery's record, shared by every replica: claimed before any side effect, then applied or
// failed. `claimed` past its expiry means the replica holding it died (or stalled past any
// handler's bound), so a redelivery may claim it again; `failed` may always be claimed again.
export const DELIVERY_STATES = ["claimed", "applied", "failed"] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

/**
 * How long a claim holds. A replica that dies holding claims keeps their redeliveries waiting
 * (answered 503, so GitHub keeps them failed) this long. GitHub waits 10 s for an answer, and
 * Probot answers 202 at 9 s and goes on: a handler that outlasts the claim may be run again by a
 * redelivery, which the handlers' idempotence makes a repeat, never a second effect.
 */
export const DELIVERY_CLAIM_MS = 30_000;
