// SQL for the audit log: append-only, every change lanegate made and every fact it failed to gather.
import type { Q } from "./db.ts";
import * as t from "./schema.ts";

export interface Trigger {
  deliveryId: string | null;
  event: string;
  actor: string | null;
}

export function appendAudit(q: Q, entry: Omit<typeof t.auditLog.$inferInsert, "id">) {
  q.insert(t.auditLog).values(entry).run();
}
