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

/** How often a claim that found the delivery `failed` afterwards is tried again. */
export const CLAIM_ATTEMPTS = 3;

/** What a replica does with a delivery its claim did not take, from the record as read next. */
export type UntakenClaim =
  | { kind: "skip"; why: string }
  | { kind: "claim again" }
  | { kind: "elsewhere"; why: string };

/**
 * The claim and the read of the record are two statements: between them the holder may have
 * finished. Applied: skipped, its effect is had. Failed: claimable, so claimed again (calling it
 * applied would answer GitHub 200 and the delivery would never be asked for again). Claimed, or
 * changing hands: another replica has it, answered 503 so GitHub keeps it failed.
 */
export function untakenClaim(
  record: { state: string; holder: string | null; expiresAt: string | null } | undefined,
  attempt: number,
): UntakenClaim {
  if (record?.state === "applied") return { kind: "skip", why: "already applied" };
  if (record?.state === "failed" && attempt < CLAIM_ATTEMPTS) return { kind: "claim again" };
  if (record?.state === "claimed")
    return {
      kind: "elsewhere",
      why: `being applied by ${record.holder ?? "another replica"} (claim until ${record.expiresAt})`,
    };
  return { kind: "elsewhere", why: `its claim is changing hands (${record?.state ?? "no record"})` };
}
