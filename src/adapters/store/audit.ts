// SQL for the audit log: append-only, every change lanegate made and every fact it failed to gather.
import { type Q, tables } from "./db.ts";
import {
  insertPlaceholders,
  insertRowsValues,
  insertValues,
  preparedByShape,
  preparedOn,
} from "./prepared.ts";
import type * as s from "./schema.ts";

export interface Trigger {
  deliveryId: string | null;
  event: string;
  actor: string | null;
}

export type AuditEntry = Omit<typeof s.auditLog.$inferInsert, "id">;

// Every gate decision and most syncs append one entry.
const prepared = preparedOn((q, t) => ({
  append: q.insert(t.auditLog).values(insertPlaceholders(t.auditLog)).prepare(),
}));

export async function appendAudit(q: Q, entry: AuditEntry) {
  await prepared(q).append.execute(insertValues(tables(q).auditLog, entry));
}

// A sync's entries, prepared once per count of entries.
const preparedBatch = preparedByShape((q, t, rows: number) => ({
  append: q.insert(t.auditLog).values(insertPlaceholders(t.auditLog, rows)).prepare(),
}));

/** Many entries in one statement: a sync of a 50-lane block writes one line per lane. */
export async function appendAudits(q: Q, entries: AuditEntry[]) {
  if (entries.length === 0) return;
  await preparedBatch(q, entries.length).append.execute(insertRowsValues(tables(q).auditLog, entries));
}
