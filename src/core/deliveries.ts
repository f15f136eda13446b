// A delivery's record, shared by every replica: claimed before any side effect, then applied or
// failed. `claimed` past its expiry means the replica holding it died (or stalled past any
// handler's bound), so a redelivery may claim it again; `failed` may always be claimed again.
export const DELIVERY_STATES = ["claimed", "applied", "failed"] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

/**
 * How long a claim holds. GitHub waits 10 s for an answer and a handler that runs longer has
 * already failed in GitHub's eyes; two minutes leaves room for a slow one without keeping a dead
 * replica's claims long.
 */
export const DELIVERY_CLAIM_MS = 2 * 60_000;
