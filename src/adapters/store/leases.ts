// SQL for timer jobs' leases: the row of a job names the replica running it and until when.
import { and, eq, lt, sql } from "drizzle-orm";
import { first, type Q, tables } from "./db.ts";

/**
 * Takes a job's lease when nobody holds it or the holder's ran out, in one statement: two
 * replicas ticking together cannot both take it. Returns who holds it otherwise.
 */
export async function claimLease(
  q: Q,
  job: string,
  holder: string,
  now: Date,
  expiresAt: Date,
): Promise<{ claimed: true } | { claimed: false; holder: string; since: string }> {
  const t = tables(q);
  const row = { job, holder, since: now.toISOString(), expiresAt: expiresAt.toISOString() };
  const taken = await first(
    q
      .insert(t.jobLeases)
      .values(row)
      .onConflictDoUpdate({
        target: t.jobLeases.job,
        set: { holder, since: row.since, expiresAt: row.expiresAt },
        setWhere: lt(t.jobLeases.expiresAt, row.since),
      })
      .returning({ job: t.jobLeases.job }),
  );
  if (taken) return { claimed: true };
  const current = await first(q.select().from(t.jobLeases).where(eq(t.jobLeases.job, job)));
  return { claimed: false, holder: current?.holder ?? "another replica", since: current?.since ?? "" };
}

/** Moves the holder's lease on while its run goes; false when it was lost (it had run out). */
export async function renewLease(q: Q, job: string, holder: string, expiresAt: Date): Promise<boolean> {
  const t = tables(q);
  const kept = await q
    .update(t.jobLeases)
    .set({ expiresAt: expiresAt.toISOString() })
    .where(and(eq(t.jobLeases.job, job), eq(t.jobLeases.holder, holder)))
    .returning({ job: t.jobLeases.job });
  return kept.length > 0;
}

/** Ends the holder's lease: the next tick, on any replica, may take the job. */
export async function releaseLease(q: Q, job: string, holder: string, now: Date): Promise<void> {
  const t = tables(q);
  await q
    .update(t.jobLeases)
    .set({ expiresAt: sql`${now.toISOString()}` })
    .where(and(eq(t.jobLeases.job, job), eq(t.jobLeases.holder, holder)));
}
