// SQL for applied deliveries, so a redelivery has one effect.
import { eq } from "drizzle-orm";
import type { Q } from "./db.ts";
import * as t from "./schema.ts";

export function deliverySeen(q: Q, id: string): boolean {
  return q.select().from(t.deliveries).where(eq(t.deliveries.id, id)).get() !== undefined;
}

export function markDelivery(q: Q, id: string, event: string, repo: string | null, now: Date) {
  q.insert(t.deliveries)
    .values({ id, event, repo, appliedAt: now.toISOString() })
    .onConflictDoNothing()
    .run();
}
