// At most one run of each timer job at a time. The lifecycle claims a job's lease before every
// run (a tick, or the run at start) and gives it back when the run ends; a tick that finds the
// lease taken is skipped, never run beside the one still going. A long run (a redelivery paced a
// write a second, a reconcile of many repositories) therefore delays the next run instead of
// doubling the work. One process keeps its leases in memory. Replicas sharing a database need a
// lease claimed in the store instead (a row taken with a conditional update that expires after
// the period, so a replica that died hands over); it implements this same interface.

export type Claim = { claimed: true; release(): Promise<void> } | { claimed: false; holder: string };

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
        return { claimed: false, holder: `its run started at ${since.toISOString()} is still going` };
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
