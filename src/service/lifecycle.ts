// What a clean stop needs to know: the work in flight (deliveries, timer jobs, background
// refreshes) and the timers. Readiness reads the same state: when each job last ran, and how the
// last GitHub call went. Every job runs under its lease (job-lease.ts): one run at a time.
import type { ApiCall } from "../adapters/github/telemetry.ts";
import { type JobLease, processLease } from "./job-lease.ts";
import type { Metrics } from "./metrics.ts";

export interface JobState {
  everyMs: number;
  /** When the job last finished, or when it was scheduled if it has not run yet. */
  since: Date;
  ran: boolean;
  lastError: string | null;
}

export class Lifecycle {
  /** False once a stop began: new deliveries are answered 503, so GitHub keeps them failed for redelivery. */
  accepting = true;
  readonly jobs = new Map<string, JobState>();
  lastGithubCall: (ApiCall & { at: Date }) | null = null;
  readonly #inFlight = new Set<Promise<unknown>>();
  readonly #timers = new Set<NodeJS.Timeout>();

  /** The app's logger replaces this once Probot has made it. */
  warn: (message: string) => void = (message) => console.warn(message);

  constructor(
    readonly metrics: Metrics,
    readonly now: () => Date,
    readonly lease: JobLease = processLease(),
  ) {}

  /** Counts the work as in flight until it settles; a stop waits for it. */
  track<T>(work: Promise<T>): Promise<T> {
    this.#inFlight.add(work);
    this.metrics.inFlight.set(this.#inFlight.size);
    const done = () => {
      this.#inFlight.delete(work);
      this.metrics.inFlight.set(this.#inFlight.size);
    };
    work.then(done, done);
    return work;
  }

  /**
   * Runs a named job now, timing it and recording its failure; never throws. While an earlier
   * run of the job still holds its lease, this one is skipped, counted and logged.
   */
  async run(job: string, work: () => Promise<unknown>): Promise<void> {
    if (!this.accepting) return;
    const state = this.jobs.get(job);
    const lease = await this.lease.claim(job, this.now(), state?.everyMs ?? 0);
    if (!lease.claimed) {
      this.metrics.jobSkips.inc({ job });
      // Another replica running it is the schedule kept, not a late job.
      if (lease.elsewhere && state) state.since = this.now();
      else this.warn(`${job} skipped: ${lease.holder}`);
      return;
    }
    const end = this.metrics.jobSeconds.startTimer({ job });
    try {
      await this.track(work());
      if (state) Object.assign(state, { ran: true, lastError: null });
    } catch (error) {
      this.metrics.jobFailures.inc({ job });
      if (state) Object.assign(state, { ran: true, lastError: String(error) });
      this.warn(`${job} failed: ${String(error)}`);
    } finally {
      end();
      if (state) state.since = this.now();
      await lease.release().catch((error) => this.warn(`${job}: lease not released: ${String(error)}`));
    }
  }

  /** Runs a job every `everyMs`, skipping a tick while its previous run goes on; 0 turns it off. */
  every(job: string, everyMs: number, work: () => Promise<unknown>) {
    if (!everyMs) return;
    this.jobs.set(job, { everyMs, since: this.now(), ran: false, lastError: null });
    const timer = setInterval(() => void this.run(job, work), everyMs);
    timer.unref();
    this.#timers.add(timer);
  }

  /** Keeps a one-off timer (a batched refresh) so a stop can cancel it. */
  later(delayMs: number, work: () => Promise<unknown>): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      void this.track(work()).catch((e) => this.warn(String(e)));
    }, delayMs);
    timer.unref();
    this.#timers.add(timer);
    return timer;
  }

  recordApiCall(call: ApiCall) {
    this.lastGithubCall = { ...call, at: this.now() };
    this.metrics.githubCalls.inc({ route: call.route, status: String(call.status) });
    if (call.rateLimit)
      this.metrics.rateLimitRemaining.set({ resource: call.rateLimit.resource }, call.rateLimit.remaining);
  }

  /**
   * Stops taking work, cancels the timers and waits up to `timeoutMs` for the work in flight.
   * Returns how many were still running when it gave up.
   */
  async drain(timeoutMs: number): Promise<number> {
    this.accepting = false;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    let timeout: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<"gave up">((resolve) => {
      timeout = setTimeout(() => resolve("gave up"), timeoutMs);
    });
    // Work that began while we waited (a delivery already past the door) is waited for too.
    while (this.#inFlight.size > 0) {
      if ((await Promise.race([Promise.allSettled([...this.#inFlight]), gaveUp])) === "gave up") break;
    }
    clearTimeout(timeout);
    return this.#inFlight.size;
  }
}
