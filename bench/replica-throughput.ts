// The gate's throughput as an operator would scale it: one replica on SQLite (the embedded
// default), one on PostgreSQL and two on PostgreSQL, measured one after another in one run
// (issue 14's target: two replicas sustain at least 1.5 times what one does). The harness of the
// two-replica tests (test/release/replicas.ts): replicas as separate processes on one fresh
// database, no balancer, the stand-in for GitHub in this process. Each measure drives dispatch
// pairs of one lane (the `workflow_dispatch`, then the `workflow_run.requested` that is decided)
// with a fixed number of pairs in flight, the halves of pair k sent to replicas k and k + 1 in
// turn, and counts the pairs answered per second and each delivery's round trip.
import { readdirSync, readFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import { until } from "../test/release/process.ts";
import {
  approveLane,
  dispatchOnLane,
  type Replica,
  type Stand,
  startStand,
} from "../test/release/replicas.ts";
import { quantile } from "./report.ts";
import type { StoreKind } from "./stores.ts";

const WARMUP_SECONDS = 3;

export interface ThroughputOptions {
  /** Measured per setup, after WARMUP_SECONDS of warm-up. */
  seconds: number;
  /** Dispatch pairs in flight at once. */
  inFlight: number;
}

interface Driven {
  pairs: number;
  seconds: number;
  /** Round trips of every delivery, ms. */
  latencies: number[];
  /** Deliveries answered otherwise than 200 or 202. */
  failed: number;
}

/** CPU seconds spent so far: the replicas, this process (the driver and the stand-in), PostgreSQL. */
interface Cpu {
  replicas: number;
  driver: number;
  postgres: number;
}

async function replicaCpu(r: Replica): Promise<number> {
  const text = await (await fetch(`${r.base}/metrics`)).text();
  return Number(/^lanegate_process_process_cpu_seconds_total (\S+)$/m.exec(text)?.[1] ?? Number.NaN);
}

/** Every process named postgres (the server is shared: others' queries count too). */
function postgresCpu(): number {
  let ticks = 0;
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      if (!stat.includes("(postgres)")) continue;
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime
    } catch {
      // the process ended while we looked
    }
  }
  return ticks / 100; // USER_HZ
}

async function cpuNow(stand: Stand): Promise<Cpu> {
  const usage = process.cpuUsage();
  const replicas = (await Promise.all(stand.replicas.map(replicaCpu))).reduce((a, b) => a + b, 0);
  return { replicas, driver: (usage.user + usage.system) / 1e6, postgres: postgresCpu() };
}

export interface Measured extends Driven {
  store: StoreKind;
  replicas: number;
  perSecond: number;
  p50: number;
  p99: number;
  /** Runs driven whose decision count is not exactly one, read from the store afterwards. */
  wrong: number;
  /** CPU seconds each part spent during the measure. */
  cpu: Cpu;
}

/** Keeps `inFlight` pairs going until `seconds` have passed. */
async function drive(stand: Stand, seconds: number, inFlight: number): Promise<Driven> {
  const result: Driven = { pairs: 0, seconds: 0, latencies: [], failed: 0 };
  const { replicas } = stand;
  const start = performance.now();
  const deadline = start + seconds * 1000;
  let next = 0;
  const worker = async () => {
    while (performance.now() < deadline) {
      const k = next++;
      const run = dispatchOnLane(stand);
      const halves = [
        { d: run.dispatch, to: replicas[k % replicas.length] },
        { d: run.requested, to: replicas[(k + 1) % replicas.length] },
      ];
      for (const { d, to } of halves) {
        if (!to) throw new Error("no replica");
        const sent = performance.now();
        const status = await stand.send(to, d);
        result.latencies.push(performance.now() - sent);
        if (status !== 200 && status !== 202) result.failed += 1;
      }
      result.pairs += 1;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  result.seconds = (performance.now() - start) / 1000;
  return result;
}

async function measure(store: StoreKind, count: number, o: ThroughputOptions): Promise<Measured> {
  const stand = await startStand(count, {}, store);
  try {
    const [first] = stand.replicas;
    if (!first) throw new Error("no replica started");
    await approveLane(stand, first);
    await drive(stand, WARMUP_SECONDS, o.inFlight);
    const before = await cpuNow(stand);
    const driven = await drive(stand, o.seconds, o.inFlight);
    const after = await cpuNow(stand);
    // A delivery answered 202 is still being applied: counted once every handler has finished.
    await until(
      "every delivery settled",
      async () =>
        (await stand.sql("select id from deliveries where state = 'claimed'")).length ? undefined : true,
      60_000,
    );
    // SQL both stores read alike (PostgreSQL's count is a bigint, given as text).
    const wrong = await stand.sql<{ n: number | string }>(
      `select count(*) as n from workflow_runs r
       where (select count(*) from decisions d where d.run_id = r.run_id and d.repo = r.repo) <> 1`,
    );
    return {
      ...driven,
      store,
      replicas: count,
      perSecond: driven.pairs / driven.seconds,
      p50: quantile(driven.latencies, 0.5),
      p99: quantile(driven.latencies, 0.99),
      wrong: Number(wrong[0]?.n ?? 0),
      cpu: {
        replicas: after.replicas - before.replicas,
        driver: after.driver - before.driver,
        postgres: after.postgres - before.postgres,
      },
    };
  } finally {
    await stand.stop();
  }
}

/** The three setups measured one after another; progress goes to stderr. */
export async function replicaThroughput(o: ThroughputOptions): Promise<Measured[]> {
  const results: Measured[] = [];
  for (const [store, count] of [
    ["sqlite", 1],
    ["postgres", 1],
    ["postgres", 2],
  ] as const) {
    process.stderr.write(`bench (replicas): ${count} on ${store}, ${o.seconds} s\n`);
    results.push(await measure(store, count, o));
  }
  return results;
}

/** The setups side by side, with CPU per dispatch, and two replicas against one. */
export function renderThroughput(results: Measured[], o: ThroughputOptions): string {
  const lines = [
    `Gate throughput by setup: ${o.seconds} s per measure, ${o.inFlight} dispatch pairs in flight, ` +
      `replicas as separate processes; ${cpus().length} cores, load average ${loadavg()[0]?.toFixed(2)} at the end.`,
  ];
  for (const m of results) {
    // CPU per dispatch and, in brackets, the cores it kept busy: a replica near 1 is its event
    // loop's limit, which a second replica lifts; all of them together near the cores others
    // leave free is the machine's, which it cannot.
    const part = (seconds: number) =>
      `${((seconds * 1000) / m.pairs).toFixed(1)} ms (${(seconds / m.seconds).toFixed(2)})`;
    lines.push(
      `  ${m.replicas} replica${m.replicas > 1 ? "s" : ""} on ${m.store === "sqlite" ? "SQLite" : "PostgreSQL"}: ` +
        `${m.perSecond.toFixed(1)} dispatches/s (${m.pairs} pairs in ${m.seconds.toFixed(1)} s), ` +
        `round trip p50 ${m.p50.toFixed(0)} ms, p99 ${m.p99.toFixed(0)} ms; ` +
        `${m.failed} failed, ${m.wrong} runs not decided exactly once`,
      `    CPU per dispatch (cores busy): replicas ${part(m.cpu.replicas)}, driver and stand-in ` +
        `${part(m.cpu.driver)}, PostgreSQL ${part(m.cpu.postgres)}`,
    );
  }
  const one = results.find((m) => m.store === "postgres" && m.replicas === 1);
  const two = results.find((m) => m.store === "postgres" && m.replicas === 2);
  if (one && two) {
    const ratio = two.perSecond / one.perSecond;
    lines.push(
      `  [${ratio >= 1.5 ? "met" : "NOT MET"}] two replicas on PostgreSQL at least 1.5x one: ` +
        `${ratio.toFixed(2)}x the dispatches per second, p99 ${(two.p99 / one.p99).toFixed(2)}x`,
    );
  }
  return lines.join("\n");
}
