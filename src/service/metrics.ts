// The Prometheus metrics. Counters and histograms count what happens in this process; the gauges
// of decisions, operations and grants are counted from the records at scrape time, so they agree
// with the read models and survive restarts.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { type Db, lockWaits, type Q, read } from "../adapters/store/db.ts";
import { countsByState, decisionCounts } from "../adapters/store/service.ts";

export type Metrics = ReturnType<typeof createMetrics>;

export function createMetrics(db: Db) {
  const registry = new Registry();
  const registers = [registry];
  collectDefaultMetrics({ register: registry, prefix: "lanegate_process_" });
  // After the database is closed (shutting down) a scrape shows no store gauges rather than failing.
  const fromStore = async (
    gauge: Gauge<string>,
    rows: (q: Q) => Promise<{ labels: Record<string, string>; count: number }[]>,
  ) => {
    gauge.reset();
    if (!db.open) return;
    for (const r of await read(db, rows)) gauge.set(r.labels, r.count);
  };
  return {
    registry,
    deliveries: new Counter({
      name: "lanegate_deliveries_total",
      help: "Webhook deliveries handled, by event and outcome (ok, error, rejected)",
      labelNames: ["event", "outcome"],
      registers,
    }),
    deliverySeconds: new Histogram({
      name: "lanegate_delivery_seconds",
      help: "Time to handle one webhook delivery",
      labelNames: ["event"],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    inFlight: new Gauge({
      name: "lanegate_handlers_in_flight",
      help: "Deliveries and timer jobs being handled right now",
      registers,
    }),
    githubCalls: new Counter({
      name: "lanegate_github_requests_total",
      help: "GitHub API requests, by route template and status (0: no answer)",
      labelNames: ["route", "status"],
      registers,
    }),
    rateLimitRemaining: new Gauge({
      name: "lanegate_github_rate_limit_remaining",
      help: "Requests left in the current rate-limit window, as GitHub last reported it",
      labelNames: ["resource"],
      registers,
    }),
    jobSeconds: new Histogram({
      name: "lanegate_job_seconds",
      help: "Duration of the sweep, reconcile and redelivery jobs",
      labelNames: ["job"],
      buckets: [0.05, 0.25, 1, 5, 15, 60, 300],
      registers,
    }),
    jobFailures: new Counter({
      name: "lanegate_job_failures_total",
      help: "Sweep, reconcile and redelivery runs that failed",
      labelNames: ["job"],
      registers,
    }),
    jobSkips: new Counter({
      name: "lanegate_job_skips_total",
      help: "Sweep, reconcile and redelivery ticks skipped because the job's previous run was still going",
      labelNames: ["job"],
      registers,
    }),
    redeliveries: new Counter({
      name: "lanegate_redeliveries_total",
      help: "Failed deliveries lanegate asked GitHub to send again, by result",
      labelNames: ["result"],
      registers,
    }),
    decisions: new Gauge({
      name: "lanegate_gate_decisions",
      help: "Gate decisions recorded, by result and reason code",
      labelNames: ["result", "reason"],
      registers,
      collect() {
        return fromStore(this, async (q) =>
          (await decisionCounts(q)).map((d) => ({
            labels: { result: d.allowed ? "allowed" : "refused", reason: d.reason },
            count: d.count,
          })),
        );
      },
    }),
    operations: new Gauge({
      name: "lanegate_operations",
      help: "Operations by state (requested, in_flight and stale hold their lane)",
      labelNames: ["state"],
      registers,
      collect() {
        return fromStore(this, async (q) =>
          (await countsByState(q, "operations")).map((o) => ({ labels: { state: o.state }, count: o.count })),
        );
      },
    }),
    grants: new Gauge({
      name: "lanegate_grants",
      help: "Grant records by state",
      labelNames: ["state"],
      registers,
      collect() {
        return fromStore(this, async (q) =>
          (await countsByState(q, "grants")).map((g) => ({ labels: { state: g.state }, count: g.count })),
        );
      },
    }),
    storeConflicts: new Counter({
      name: "lanegate_store_conflicts_total",
      help: "Store transactions run again because a concurrent one (another delivery or replica) changed what they read; SQLite has none",
      registers,
      collect() {
        if (!db.open) return;
        this.reset();
        this.inc(db.conflicts());
      },
    }),
    storeLockWaits: new Counter({
      name: "lanegate_store_lock_waits_total",
      help: "Transactions that queued for another on the same run or repository (PostgreSQL); SQLite transactions take turns instead",
      registers,
      collect() {
        this.reset();
        this.inc(lockWaits().count);
      },
    }),
    storeLockWaitSeconds: new Counter({
      name: "lanegate_store_lock_wait_seconds_total",
      help: "Time transactions spent queued for another on the same run or repository (PostgreSQL)",
      registers,
      collect() {
        this.reset();
        this.inc(lockWaits().seconds);
      },
    }),
    storeConnections: new Gauge({
      name: "lanegate_store_connections",
      help: "The store's connections by state (open, idle, and callers waiting for one); SQLite has one",
      labelNames: ["state"],
      registers,
      collect() {
        this.reset();
        if (!db.open) return;
        const use = db.connections();
        this.set({ state: "open" }, use.open);
        this.set({ state: "idle" }, use.idle);
        this.set({ state: "waiting" }, use.waiting);
      },
    }),
  };
}
