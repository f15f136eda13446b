// At most one run of each timer job at a time. The lifecycle claims a job's lease before every
// run (a tick, or the run at start) and gives it back when the run ends; a tick that finds the
// lease taken is skipped, never run beside the one still going. A long run (a redelivery paced a
// write a second, a reconcile of many repositories) therefore delays the next run instead of
// doubling the work. One process alone keeps its leases in memory; replicas sharing a store
// claim them there (`storeLease`): a row taken with a conditional update that expires after the
// period, so a replica that died hands its jobs over within one period.
import { type Db, transaction } from "../adapters/store/db.ts";
import { claimLease, releaseLease, renewLease } from "../adapters/store/leases.ts";

/** `elsewhere`: another replica runs the job, which is on schedule for this one too. */
export type Claim =
  | { claimed: true; release(): Promise<void> }
  | { claimed: false; holder: string; elsewhere: boolean };

export interface JobLease {
  /**
   * Takes the job for one run, or says who holds it. `periodMs` is the job's period (0 for a
   * job with no timer): how long a lease shared between processes may be held before it expires.
   */
  claim(job: string, now: Date, periodMs: number): Promise<Claim>;
}

/** Leases held in this process: a job is held from the start of its run to its end. */
export function processLease(): JobLease {
  const running = new Map<string, Date>();
  return {
    // Checked and taken before any await, so two ticks of one job can never both claim it.
    async claim(job, now) {
      const since = running.get(job);
      if (since)
        return {
          claimed: false,
          holder: `its run started at ${since.toISOString()} is still going`,
          elsewhere: false,
        };
      running.set(job, now);
      return {
        claimed: true,
        release: async () => {
          running.delete(job);
        },
      };
    },
  };
}

/** A job with no timer (the reconcile at start, when it has no period) holds its lease this long. */
const UNTIMED_LEASE_MS = 60_000;

/**
 * Leases shared through the store by every replica. The holder renews its lease at half its
 * length while the run goes, so a long run is not taken over; a replica that dies stops renewing,
 * and another takes the job at its first tick after the lease ran out.
 */
export function storeLease(db: Db, now: () => Date): JobLease {
  const local = processLease();
  return {
    async claim(job, at, periodMs) {
      // One process never runs a job twice at once, whatever the store says.
      const mine = await local.claim(job, at, periodMs);
      if (!mine.claimed) return mine;
      // One period, as the hand-over promises: a longer lease would keep a dead replica's job
      // from the others for longer than a tick of theirs.
      const length = periodMs > 0 ? periodMs : UNTIMED_LEASE_MS;
      const expiry = () => new Date(now().getTime() + length);
      const shared = await transaction(db, (q) => claimLease(q, job, db.holder, at, expiry())).catch(
        async (error: unknown) => {
          await mine.release();
          throw error;
        },
      );
      if (!shared.claimed) {
        await mine.release();
        return {
          claimed: false,
          holder: `${shared.holder} runs it (since ${shared.since})`,
          elsewhere: true,
        };
      }
      const renewal = setInterval(() => {
        void transaction(db, (q) => renewLease(q, job, db.holder, expiry())).catch(() => {});
      }, length / 2);
      renewal.unref();
      return {
        claimed: true,
        release: async () => {
          clearInterval(renewal);
          await mine.release();
          await transaction(db, (q) => releaseLease(q, job, db.holder, now()));
        },
      };
    },
  };
}
