// The issue workload's share of the benchmark: approval issues through their five deliveries,
// each delivery sent to lanegate and its two baselines, with memory checkpoints along the way.
import { cpus } from "node:os";
import { performance } from "node:perf_hooks";
import type { Standin } from "../standin/index.ts";
import { DEMO_REPO } from "../standin/world.ts";
import { judge, type MemoryPoint, type Results, row, type Sample } from "./report.ts";
import type { Memory } from "./server.ts";
import { measure, type Servers } from "./servers.ts";
import { KINDS, workload } from "./workload.ts";

// The per-kind figures come from the first deliveries only, so they describe the same history
// size (up to 100 issues) in every run, however far a run gets.
const COST_SAMPLE = 500;
// Two whole issues of each lane count: JIT, the installation token and the database's first
// pages. A multiple of 10, so the measured deliveries start with a whole 4-lane issue.
const WARMUP = 20;
const LANE_COUNTS = [4, 50] as const;

/** Path with numbers folded, so routes group: GET /repos/acme/platform/issues/{n}/events. */
const route = (r: { method: string; path: string }) =>
  `${r.method} ${r.path.replace(/\/\d+(?=\/|$)/g, "/{n}")}`;

export async function issuesBench(
  standin: Standin,
  servers: Servers,
  o: { deliveries: number; maxMs: number; quick: boolean; label: string },
): Promise<Results> {
  const { app, same, noop } = servers;
  const checkpoints = (o.quick ? [100, 250, 500] : [500, 1000, 2500, 5000]).filter((c) => c < o.deliveries);
  checkpoints.push(o.deliveries);

  let gcForced = true;
  async function memoryPoint(after: number): Promise<MemoryPoint> {
    const [a, n] = [await app.memory(), await noop.memory()];
    gcForced &&= a.gc && n.gc;
    // The forced GC is not any delivery's cost: restart every server's CPU and blocked-time counters.
    await Promise.all([app.take(), same.take(), noop.take()]);
    const usage = ({ rss, heapUsed, codeUsed }: Memory) => ({ rss, heapUsed, codeUsed });
    return { after, app: usage(a), noop: usage(n) };
  }

  const samples: Sample[] = [];
  const memory: MemoryPoint[] = [];
  let rejected = 0;
  let sent = 0;
  const began = performance.now();
  for (const step of workload(standin, WARMUP + o.deliveries, LANE_COUNTS)) {
    // The time budget stops the run at an issue boundary: the app's cost per delivery may grow
    // with the history it keeps (see docs/performance.md), and a run must stay a few minutes long.
    if (step.kind === "opened" && sent > WARMUP && performance.now() - began > o.maxMs) break;
    // The same payload and delivery id to each: each server has its own record of the ids it has
    // seen. The stand-in's request log is the call count and the same-requests app's plan.
    const m = await measure(servers, standin, step.delivery);
    const calls = m.requests.map(route);
    if (m.statuses.some((status) => status >= 300)) rejected += 1;

    sent += 1;
    if (sent === WARMUP) memory.push(await memoryPoint(0));
    if (sent <= WARMUP) continue;
    const index = sent - WARMUP;
    samples.push({
      index,
      kind: step.kind,
      lanes: step.lanes,
      calls: calls.length,
      routes: calls,
      statements: m.statements,
      app: m.app,
      same: m.same,
      noop: m.noop,
    });
    if (checkpoints.includes(index)) memory.push(await memoryPoint(index));
    if (index % 250 === 0) {
      // Progress, with the latest memory figures, so even an interrupted long run leaves some.
      const seconds = ((performance.now() - began) / 1000).toFixed(0);
      const m = memory.at(-1);
      const rss = m ? `; after ${m.after}: app RSS ${(m.app.rss / 2 ** 20).toFixed(1)} MB` : "";
      process.stderr.write(`bench (${o.label}): ${index}/${o.deliveries} deliveries, ${seconds} s${rss}\n`);
    }
  }
  const reached = samples.length;
  if (memory.at(-1)?.after !== reached) memory.push(await memoryPoint(reached));

  const lanesResponse = await fetch(`${app.baseUrl}/lanegate/api/repos/${DEMO_REPO}/lanes`);
  const { lanes } = (await lanesResponse.json()) as { lanes: { state: string }[] };
  const finalStates: Record<string, number> = {};
  for (const lane of lanes) finalStates[lane.state] = (finalStates[lane.state] ?? 0) + 1;

  const cost = samples.filter((s) => s.index <= COST_SAMPLE);
  const byKind = (kind: string, lanes: number) => cost.filter((s) => s.kind === kind && s.lanes === lanes);
  const kinds = LANE_COUNTS.flatMap((lanes) =>
    KINDS.map((kind) =>
      row(
        kind,
        String(lanes),
        byKind(kind, lanes).map((s) => [s]),
      ),
    ),
  );
  // Measured deliveries start on an issue boundary (WARMUP is a multiple of 5), so consecutive
  // runs of five with the same lane count are one issue's whole life.
  const issues = LANE_COUNTS.map((lanes) => {
    const mine = cost.filter((s) => s.lanes === lanes);
    const groups = Array.from({ length: Math.floor(mine.length / KINDS.length) }, (_, i) =>
      mine.slice(i * KINDS.length, (i + 1) * KINDS.length),
    );
    return row("whole issue", String(lanes), groups);
  });
  const mixed = row(
    "mixed",
    LANE_COUNTS.join(" and "),
    cost.map((s) => [s]),
  );
  const bounds = [0, ...memory.slice(1).map((m) => m.after)];
  const windows = bounds.slice(1).map((end, i) => {
    const start = bounds[i] ?? 0;
    const inWindow = samples.filter((s) => s.index > start && s.index <= end);
    return row(
      `deliveries ${start + 1}-${end}`,
      "all",
      inWindow.map((s) => [s]),
    );
  });
  const routes = LANE_COUNTS.flatMap((lanes) =>
    KINDS.map((kind) => ({ kind, lanes: String(lanes), routes: byKind(kind, lanes)[0]?.routes ?? [] })),
  );

  const partial = {
    date: new Date().toISOString(),
    machine: `${cpus().length} x ${cpus()[0]?.model ?? "cpu"}, Node ${process.version}`,
    planned: o.deliveries,
    deliveries: reached,
    costSample: Math.min(COST_SAMPLE, reached),
    seconds: Math.round((performance.now() - began) / 1000),
    warmup: WARMUP,
    gcForced,
    rejected,
    kinds,
    mixed,
    issues,
    windows,
    routes,
    memory,
    finalStates,
  };
  return { ...partial, targets: judge(partial) };
}
