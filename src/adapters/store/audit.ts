// SQL for the audit log: append-only, every change lanegate made and every fact it failed to gather.
import { type Q, tables } from "./db.ts";
import type * as s from "./schema.ts";

export interface Trigger {
  deliveryId: string | null;
  event: string;
  actor: string | null;
}

export type AuditEntry = Omit<typeof s.auditLog.$inferInsert, "id">;

export async function appendAudit(q: Q, entry: AuditEntry) {
  await q.insert(tables(q).auditLog).values(entry);
}

/** Many entries in one statement: a sync of a 50-lane block writes one line per lane. */
export async function appendAudits(q: Q, entries: AuditEntry[]) {
  if (entries.length > 0) await q.insert(tables(q).auditLog).values(entries);
}
