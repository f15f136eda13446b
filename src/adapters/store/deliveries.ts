// SQL for applied deliveries, so a redelivery has one effect.
import { eq, sql } from "drizzle-orm";
import { preparedOn, type Q } from "./db.ts";
import * as t from "./schema.ts";

// Both run on every delivery.
const prepared = preparedOn((q) => ({
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

export function deliverySeen(q: Q, id: string): boolean {
  return prepared(q).seen.get({ id }) !== undefined;
}

export function markDelivery(q: Q, id: string, event: string, repo: string | null, now: Date) {
  prepared(q).mark.run({ id, event, repo, appliedAt: now.toISOString() });
}
