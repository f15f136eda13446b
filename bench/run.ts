// `npm run bench [-- --quick] [-- --json]`: lanegate's cost per delivery through the real webhook
// path, next to two baselines measured in the same run: a Probot app that makes the same GitHub
// requests and nothing else, and a no-op Probot app. See docs/performance.md.
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { DEMO_REPO, startLocalGitHub } from "../standin/world.ts";
import { evidenceSection } from "./evidence.ts";
import { gateBench, judgeGate, renderGate } from "./gate.ts";
import { judge, type MemoryPoint, type Results, render, row, type Sample } from "./report.ts";
import type { Memory } from "./server.ts";
import { measure, startServers } from "./servers.ts";
import { judgeIssue18, renderMismatches } from "./targets.ts";
import { KINDS, workload } from "./workload.ts";

const USAGE = `npm run bench [-- options]   (or: npx tsx bench/run.ts [options])

lanegate's cost per delivery through the real webhook path, next to two baselines measured in
the same run, delivery by delivery: the same-requests app (a Probot app that makes the GitHub
requests lanegate made for the delivery, through the same Octokit, and nothing else) and a
no-op Probot app. lanegate's own work is the difference. See docs/performance.md.

  --quick              500 deliveries and a short gate run (about 90 s on 2 cores)
  --deliveries <n>     issues deliveries to measure (default 5000; 500 with --quick)
  --max-seconds <s>    stop sending issues deliveries after this long (default 150)
  --json               the figures as JSON instead of tables
  --only evidence      the evidence path alone, without the issue and gate workloads
  --help               this text

Environment: BENCH_CPU_PROF=<dir> writes a V8 CPU profile of each server
(<dir>/<server>-<start time, ms>.cpuprofile; server: lanegate, same-requests, noop),
BENCH_HEAP_SNAPSHOT=<dir> a heap snapshot at every checkpoint.
`;

let parsed: ReturnType<typeof parseOptions>;
function parseOptions() {
  return parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
      deliveries: { type: "string" },
      "max-seconds": { type: "string", default: "150" },
      only: { type: "string" },
    },
  });
}
try {
  parsed = parseOptions();
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
  process.exit(2);
}
const opts = parsed.values;
if (opts.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
// `--only evidence`: the evidence path alone (bench/evidence.ts), without the issue and gate workloads.
if (opts.only !== undefined) {
  if (opts.only !== "evidence") {
    process.stderr.write(`--only takes one section: evidence\n\n${USAGE}`);
    process.exit(2);
  }
  const section = await evidenceSection(opts.quick);
  console.log(opts.json ? JSON.stringify(section.json, null, 2) : section.text);
  process.exit(0);
}
const DELIVERIES = Number(opts.deliveries ?? (opts.quick ? 500 : 5000));
const MAX_MS = Number(opts["max-seconds"]) * 1000;
if (!Number.isInteger(DELIVERIES) || DELIVERIES < 5 || !(MAX_MS > 0)) {
  process.stderr.write(
    `--deliveries takes a whole number of at least 5, --max-seconds a positive number\n\n${USAGE}`,
  );
  process.exit(2);
}
const CHECKPOINTS = (opts.quick ? [100, 250, 500] : [500, 1000, 2500, 5000]).filter((c) => c < DELIVERIES);
CHECKPOINTS.push(DELIVERIES);
// The per-kind figures come from the first deliveries only, so they describe the same history
// size (up to 100 issues) in every run, however far a run gets.
const COST_SAMPLE = 500;
// Two whole issues of each lane count: JIT, the installation token and SQLite's first pages.
// A multiple of 10, so the measured deliveries start with a whole 4-lane issue.
const WARMUP = 20;
const LANE_COUNTS = [4, 50] as const;

const local = await startLocalGitHub();
const { standin } = local;
const dir = mkdtempSync(join(tmpdir(), "lanegate-bench-"));
const servers = await startServers(local, join(dir, "bench.sqlite"));
const { app, same, noop } = servers;

/** Path with numbers folded, so routes group: GET /repos/acme/platform/issues/{n}/events. */
const route = (r: { method: string; path: string }) =>
  `${r.method} ${r.path.replace(/\/\d+(?=\/|$)/g, "/{n}")}`;

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
for (const step of workload(standin, WARMUP + DELIVERIES, LANE_COUNTS)) {
  // --max-seconds bounds the run, stopping at an issue boundary: the app's cost per delivery grows
  // with the history it keeps (see docs/performance.md), and a run must stay a few minutes long.
  if (step.kind === "opened" && sent > WARMUP && performance.now() - began > MAX_MS) break;
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
    app: m.app,
    same: m.same,
    noop: m.noop,
  });
  if (CHECKPOINTS.includes(index)) memory.push(await memoryPoint(index));
  if (index % 250 === 0) {
    // Progress, with the latest memory figures, so even an interrupted long run leaves some.
    const seconds = ((performance.now() - began) / 1000).toFixed(0);
    const m = memory.at(-1);
    const rss = m ? `; after ${m.after}: app RSS ${(m.app.rss / 2 ** 20).toFixed(1)} MB` : "";
    process.stderr.write(`bench: ${index}/${DELIVERIES} deliveries, ${seconds} s${rss}\n`);
  }
}
const reached = samples.length;
if (memory.at(-1)?.after !== reached) memory.push(await memoryPoint(reached));

const lanesResponse = await fetch(`${app.baseUrl}/lanegate/api/repos/${DEMO_REPO}/lanes`);
const { lanes } = (await lanesResponse.json()) as { lanes: { state: string }[] };
const finalStates: Record<string, number> = {};
for (const lane of lanes) finalStates[lane.state] = (finalStates[lane.state] ?? 0) + 1;

process.stderr.write("bench: the gate\n");
const gate = await gateBench(standin, servers, {
  pairs: opts.quick ? 100 : 400,
  seconds: opts.quick ? 5 : 15,
  concurrency: 16,
});

await servers.stop();
await local.running.close();
rmSync(dir, { recursive: true, force: true });

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
  planned: DELIVERIES,
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
const results: Results = { ...partial, targets: judge(partial) };
const gateTargets = judgeGate(gate);
const evidence = await evidenceSection(opts.quick);
const longest = [
  { ...app.longest, section: "issues and gate" },
  { ...evidence.json.evidence.longest.app, section: "evidence" },
].reduce((a, b) => (b.ms > a.ms ? b : a));
const issue18 = judgeIssue18({ mixed, gate, longest });
const mismatches = [...servers.mismatches, ...evidence.json.evidence.mismatches];
const print = (t: { met: boolean; target: string; detail: string }) =>
  console.log(`  [${t.met ? "met" : "NOT MET"}] ${t.target}\n        ${t.detail}`);
if (opts.json) {
  console.log(
    JSON.stringify(
      { ...results, gate, gateTargets, ...evidence.json, longest, issue18, mismatches },
      null,
      2,
    ),
  );
} else {
  console.log(`${render(results)}\n\n${renderGate(gate)}\n\nGate targets:`);
  gateTargets.forEach(print);
  console.log(`\n${evidence.text}\n\n${renderMismatches(mismatches)}\n\nTargets (issue 18):`);
  issue18.forEach(print);
}
