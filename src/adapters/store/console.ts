// SQL for the console's pages beyond the read models: the audit log with filters, a lane's
// operations over time. Read-only.
import { and, desc, eq, gte, inArray, like, lt, or, type SQL, sql } from "drizzle-orm";
import { type Q, tables } from "./db.ts";

export interface AuditFilter {
  repos: string[];
  lane?: string;
  issue?: number;
  kind?: string;
  /** ISO times; `until` is exclusive. */
  since?: string;
  until?: string;
  before?: number;
  limit: number;
}

/** Audit lines of the given repositories, newest first, a page at a time by id cursor. */
export async function auditSearch(q: Q, f: AuditFilter) {
  if (f.repos.length === 0) return { entries: [], next_before: null };
  const t = tables(q);
  const where: (SQL | undefined)[] = [or(...f.repos.map((r) => eq(t.auditLog.repo, r)))];
  // A lane is named in a grant's subject ("#1 cm/testing") or a sentence; a decision's line names
  // its run ("run 1026 attempt 1"), whose lane the decision row holds.
  if (f.lane) {
    const decided = q
      .select({
        subject: sql<string>`'run ' || ${t.decisions.runId} || ' attempt ' || ${t.decisions.attempt}`,
      })
      .from(t.decisions)
      .where(and(or(...f.repos.map((r) => eq(t.decisions.repo, r))), eq(t.decisions.lane, f.lane)));
    // Lowered on both sides: SQLite's LIKE ignores ASCII case and PostgreSQL's does not.
    const named = `%${f.lane.toLowerCase()}%`;
    where.push(
      or(
        like(sql`lower(${t.auditLog.subject})`, named),
        like(sql`lower(${t.auditLog.change})`, named),
        inArray(t.auditLog.subject, decided),
      ),
    );
  }
  if (f.issue !== undefined)
    where.push(or(eq(t.auditLog.subject, `#${f.issue}`), like(t.auditLog.subject, `#${f.issue} %`)));
  if (f.kind) where.push(eq(t.auditLog.event, f.kind));
  if (f.since) where.push(gte(t.auditLog.at, f.since));
  if (f.until) where.push(lt(t.auditLog.at, f.until));
  if (f.before) where.push(lt(t.auditLog.id, f.before));
  const entries = await q
    .select()
    .from(t.auditLog)
    .where(and(...where))
    .orderBy(desc(t.auditLog.id))
    .limit(f.limit);
  const last = entries.at(-1);
  return { entries, next_before: entries.length === f.limit && last ? last.id : null };
}

/** The kinds of audit line a repository has, for the audit filter's choices. */
export async function auditKinds(q: Q, repos: string[]): Promise<string[]> {
  if (repos.length === 0) return [];
  const t = tables(q);
  const rows = await q
    .selectDistinct({ event: t.auditLog.event })
    .from(t.auditLog)
    .where(or(...repos.map((r) => eq(t.auditLog.repo, r))));
  return rows.map((r) => r.event).sort();
}

/** Every operation of a lane with its state and the lane state its evidence left, for the weekly plot. */
export async function laneOperationTimes(q: Q, repo: string, lane: string) {
  const t = tables(q);
  return q
    .select({
      startedAt: t.operations.startedAt,
      state: t.operations.state,
      laneState: t.runEvidence.laneState,
    })
    .from(t.operations)
    .leftJoin(
      t.runEvidence,
      and(
        eq(t.runEvidence.repo, t.operations.repo),
        eq(t.runEvidence.runId, t.operations.runId),
        eq(t.runEvidence.attempt, t.operations.attempt),
      ),
    )
    .where(and(eq(t.operations.repo, repo), eq(t.operations.lane, lane)))
    .orderBy(t.operations.id);
}
