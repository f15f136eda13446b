// Every timer job runs at most once at a time: a tick that falls while the job's previous run goes
// on is skipped, counted and logged, whichever job it is. The lease that decides it can be
// swapped for one held elsewhere (a store lease shared by replicas).
import { afterEach, describe, expect, it, vi } from "vitest";
import { openDatabase } from "../../src/adapters/store/db.ts";
import type { JobLease } from "../../src/service/job-lease.ts";
import { Lifecycle } from "../../src/service/lifecycle.ts";
import { createMetrics } from "../../src/service/metrics.ts";

const MINUTE = 60_000;

afterEach(() => {
  vi.useRealTimers();
});

function lifecycleWith(lease?: JobLease) {
  const lifecycle = new Lifecycle(createMetrics(openDatabase(":memory:")), () => new Date(), lease);
  const warnings: string[] = [];
  lifecycle.warn = (m) => warnings.push(m);
  return { lifecycle, warnings };
}

async function skipsOf(lifecycle: Lifecycle, job: string): Promise<number> {
  const metric = await lifecycle.metrics.jobSkips.get();
  return metric.values.find((v) => v.labels.job === job)?.value ?? 0;
}

/** A job that takes `ms` of (fake) time and records how many of its runs overlap. */
function slowJob(ms: number) {
  const job = { runs: 0, running: 0, mostAtOnce: 0 };
  const work = async () => {
    job.runs += 1;
    job.running += 1;
    job.mostAtOnce = Math.max(job.mostAtOnce, job.running);
    await new Promise((resolve) => setTimeout(resolve, ms));
    job.running -= 1;
  };
  return { job, work };
}

describe("single flight for the timers", () => {
  it("runs each job at most once at a time and skips the ticks that fall during a long run", async () => {
    vi.useFakeTimers({ now: new Date("2026-11-28T10:00:00Z") });
    const { lifecycle, warnings } = lifecycleWith();
    // Each outlasts its period, as a redelivery paced a write a second or a slow reconcile does.
    const jobs = {
      sweep: { everyMs: MINUTE, ...slowJob(2.5 * MINUTE) },
      reconcile: { everyMs: 15 * MINUTE, ...slowJob(40 * MINUTE) },
      redelivery: { everyMs: 5 * MINUTE, ...slowJob(12 * MINUTE) },
    };
    for (const [name, j] of Object.entries(jobs)) lifecycle.every(name, j.everyMs, j.work);
    // The runs at start go through the same door as the ticks.
    void lifecycle.run("reconcile", jobs.reconcile.work);
    void lifecycle.run("redelivery", jobs.redelivery.work);
    await vi.advanceTimersByTimeAsync(59 * MINUTE);

    for (const j of Object.values(jobs)) expect(j.job.mostAtOnce).toBe(1);
    // Different jobs do not wait for each other.
    expect(jobs.sweep.job.runs).toBe(20); // minutes 1, 4, 7, … 58
    expect(jobs.reconcile.job.runs).toBe(2); // at start and at 45 minutes
    expect(jobs.redelivery.job.runs).toBe(4); // at start, 15, 30, 45 minutes
    expect(await skipsOf(lifecycle, "sweep")).toBe(39);
    expect(await skipsOf(lifecycle, "reconcile")).toBe(2);
    expect(await skipsOf(lifecycle, "redelivery")).toBe(8);
    expect(warnings).toContain(
      "reconcile skipped: its run started at 2026-11-28T10:00:00.000Z is still going",
    );
  });

  it("skips a run whose lease another holder has, as a lease shared by replicas would", async () => {
    const held: JobLease = {
      claim: async () => ({ claimed: false, holder: "held by replica b until 10:05", elsewhere: true }),
    };
    const { lifecycle, warnings } = lifecycleWith(held);
    const { job, work } = slowJob(0);
    await lifecycle.run("reconcile", work);
    expect(job.runs).toBe(0);
    expect(await skipsOf(lifecycle, "reconcile")).toBe(1);
    expect(warnings).toEqual(["reconcile skipped: held by replica b until 10:05"]);
  });

  it("gives the lease back when a run fails, so the next tick runs", async () => {
    const { lifecycle } = lifecycleWith();
    await lifecycle.run("sweep", async () => {
      throw new Error("GitHub answered 502");
    });
    const { job, work } = slowJob(0);
    await lifecycle.run("sweep", work);
    expect(job.runs).toBe(1);
  });
});
