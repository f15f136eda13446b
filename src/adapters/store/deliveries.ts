// SQL for applied deliveries, so a redelivery has one effect.
import { eq, sql } from "drizzle-orm";
import { first, preparedOn, type Q } from "./db.ts";

// Both run on every delivery.
const prepared = preparedOn((q, t) => ({
  seen: q
    .select({ id: t.deliveries.id })
    .from(t.deliveries)
    .where(eq(t.deliveries.id, sql.placeholder("id")))
    .prepare(),
  mark: q
    .insert(t.deliveries)
    .values({
      id: sql.placeholder("id"),
      event: sql.placeholder("event"),
      repo: sql.placeholder("repo"),
      appliedAt: sql.placeholder("appliedAt"),
    })
    .onConflictDoNothing()
    .prepare(),
}));

export async function deliverySeen(q: Q, id: string): Promise<boolean> {
  return (await first(prepared(q).seen.execute({ id }))) !== undefined;
}

export async function markDelivery(q: Q, id: string, event: string, repo: string | null, now: Date) {
  await prepared(q).mark.execute({ id, event, repo, appliedAt: now.toISOString() });
}
