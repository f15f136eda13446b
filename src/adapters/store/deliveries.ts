// SQL for deliveries, so a delivery has one effect across replicas and redeliveries: claimed
// before its handler runs, then marked applied or failed.
import { and, eq, lt, or, sql } from "drizzle-orm";
import { DELIVERY_CLAIM_MS, untakenClaim } from "../../core/deliveries.ts";
import { first, type Q } from "./db.ts";
import { preparedOn } from "./prepared.ts";

// Both run on every delivery.
const prepared = preparedOn((q, t) => ({
  // A new delivery, a failed one, or one whose claim ran out: taken in one statement, so two
  // replicas given the same delivery cannot both take it.
  claim: q
    .insert(t.deliveries)
    .values({
      id: sql.placeholder("id"),
      event: sql.placeholder("event"),
      repo: sql.placeholder("repo"),
      state: "claimed",
      holder: sql.placeholder("holder"),
      expiresAt: sql.placeholder("expiresAt"),
    })
    .onConflictDoUpdate({
      target: t.deliveries.id,
      set: { state: "claimed", holder: sql`excluded.holder`, expiresAt: sql`excluded.expires_at` },
      setWhere: or(
        eq(t.deliveries.state, "failed"),
        and(eq(t.deliveries.state, "claimed"), lt(t.deliveries.expiresAt, sql.placeholder("now"))),
      ),
    })
    .returning({ id: t.deliveries.id })
    .prepare(),
  state: q
    .select({ state: t.deliveries.state, holder: t.deliveries.holder, expiresAt: t.deliveries.expiresAt })
    .from(t.deliveries)
    .where(eq(t.deliveries.id, sql.placeholder("id")))
    .prepare(),
  settle: q
    .update(t.deliveries)
    .set({
      state: sql`${sql.placeholder("state")}`,
      appliedAt: sql`${sql.placeholder("appliedAt")}`,
      expiresAt: null,
    })
    .where(
      and(eq(t.deliveries.id, sql.placeholder("id")), eq(t.deliveries.holder, sql.placeholder("holder"))),
    )
    .prepare(),
}));

/** `elsewhere`: another replica holds a live claim on it, and it is not applied yet. */
export type DeliveryClaim = { claimed: true } | { claimed: false; elsewhere: boolean; why: string };

/**
 * Takes a delivery for this replica, or says why it is not to be run here (`untakenClaim`: the
 * claim and the read of why it was not taken are two statements, outside a transaction).
 */
export async function claimDelivery(
  q: Q,
  d: { id: string; event: string; repo: string | null; holder: string; now: Date },
): Promise<DeliveryClaim> {
  const queries = prepared(q);
  const values = {
    ...d,
    now: d.now.toISOString(),
    expiresAt: new Date(d.now.getTime() + DELIVERY_CLAIM_MS).toISOString(),
  };
  for (let attempt = 1; ; attempt++) {
    if (await first(queries.claim.execute(values))) return { claimed: true };
    const next = untakenClaim(await first(queries.state.execute({ id: d.id })), attempt);
    if (next.kind === "skip") return { claimed: false, elsewhere: false, why: next.why };
    if (next.kind === "elsewhere") return { claimed: false, elsewhere: true, why: next.why };
  }
}

/** The handler finished (`applied`) or threw (`failed`, so a redelivery may claim it again). */
export async function settleDelivery(
  q: Q,
  id: string,
  holder: string,
  state: "applied" | "failed",
  now: Date,
): Promise<void> {
  await prepared(q).settle.execute({
    id,
    holder,
    state,
    appliedAt: state === "applied" ? now.toISOString() : null,
  });
}
