// `npm run bench [-- --quick] [-- --json] [-- --store sqlite|postgres|both]`: lanegate's cost per
// delivery through the real webhook path, on each store, next to two baselines measured in the
// same run: a Probot app that makes the same GitHub requests and nothing else, and a no-op Probot
// app. See docs/performance.md.
import { parseArgs } from "node:util";
import { startLocalGitHub } from "../standin/world.ts";
import { evidenceSection } from "./evidence.ts";
import { gateBench, judgeGate, renderGate } from "./gate.ts";
import { issuesBench } from "./issues.ts";
import { renderThroughput, replicaThroughput } from "./replica-throughput.ts";
import { render } from "./report.ts";
import { startServers } from "./servers.ts";
import { benchStore, STORES, type StoreKind } from "./stores.ts";
import { judgeIssue18, renderMismatches, renderSideBySide, verdict } from "./targets.ts";

const USAGE = `npm run bench [-- options]   (or: npx tsx bench/run.ts [options])

lanegate's cost per delivery through the real webhook path, next to two baselines measured in
the same run, delivery by delivery: the same-requests app (a Probot app that makes the GitHub
requests lanegate made for the delivery, through the same Octokit, and nothing else) and a
no-op Probot app. lanegate's own work is the difference. See docs/performance.md.

  --store <s>          sqlite, postgres or both (default both): the store lanegate runs on; each
                       store gets its own sections, with their own baselines, on a fresh database
  --quick              per store: 500 deliveries, 100 gate pairs, 5 s of sustained load and 40
                       evidence runs (about 2 minutes a store on 2 idle cores); 8 s per
                       replica setup instead of 20
  --deliveries <n>     issues deliveries to measure per store (default 5000; 500 with --quick)
  --max-seconds <s>    stop sending issues deliveries after this long, per store (default 75;
                       150 with --quick, which 500 deliveries bound first)
  --json               the figures as JSON instead of tables
  --only evidence      the evidence path alone, without the issue and gate workloads
  --help               this text

A full run takes per store: the issues for up to 75 s, 200 gate pairs, 10 s of sustained load
per server and 100 evidence runs (about 6 minutes for both stores). With PostgreSQL in the run,
the gate's throughput is then measured with replicas as separate processes: one on SQLite, one
on PostgreSQL and two on PostgreSQL, 20 s each (about 2 more minutes).

Environment: BENCH_CPU_PROF=<dir> writes a V8 CPU profile of each server
(<dir>/<server>-<store>-<start time, ms>.cpuprofile; server: lanegate, same-requests, noop;
summarise one with npx tsx bench/profile.ts <file>),
BENCH_HEAP_SNAPSHOT=<dir> a heap snapshot at every checkpoint, BENCH_POSTGRES_URL the
PostgreSQL server the bench creates (and drops) its databases on
(default postgres://postgres@127.0.0.1:5432/test).
`;

let parsed: ReturnType<typeof parseOptions>;
function parseOptions() {
  return parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
      deliveries: { type: "string" },
      "max-seconds": { type: "string" },
      only: { type: "string" },
      store: { type: "string", default: "both" },
    },
  });
}
function usageError(message: string): never {
  process.stderr.write(`${message}\n\n${USAGE}`);
  process.exit(2);
}
try {
  parsed = parseOptions();
} catch (error) {
  usageError(error instanceof Error ? error.message : String(error));
}
const opts = parsed.values;
if (opts.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const isStore = (s: string): s is StoreKind => (STORES as readonly string[]).includes(s);
const stores: StoreKind[] =
  opts.store === "both"
    ? [...STORES]
    : isStore(opts.store)
      ? [opts.store]
      : usageError("--store takes sqlite, postgres or both");
const storeName = (kind: StoreKind) => (kind === "sqlite" ? "SQLite" : "PostgreSQL");

// `--only evidence`: the evidence path alone (bench/evidence.ts), without the issue and gate workloads.
if (opts.only !== undefined) {
  if (opts.only !== "evidence") usageError("--only takes one section: evidence");
  const sections = [];
  for (const kind of stores) sections.push({ store: kind, ...(await evidenceSection(opts.quick, kind)) });
  if (opts.json)
    console.log(
      JSON.stringify(
        sections.map((s) => ({ store: s.store, ...s.json })),
        null,
        2,
      ),
    );
  else for (const s of sections) console.log(`==== lanegate on ${storeName(s.store)} ====\n${s.text}\n`);
  process.exit(0);
}
const DELIVERIES = Number(opts.deliveries ?? (opts.quick ? 500 : 5000));
const MAX_MS = Number(opts["max-seconds"] ?? (opts.quick ? 150 : 75)) * 1000;
if (!Number.isInteger(DELIVERIES) || DELIVERIES < 5 || !(MAX_MS > 0))
  usageError("--deliveries takes a whole number of at least 5, --max-seconds a positive number");

/** Every section on one store: the issues, the gate, the evidence path, with their own baselines. */
async function benchOn(kind: StoreKind) {
  const label = storeName(kind);
  const local = await startLocalGitHub();
  const store = await benchStore(kind, "issues");
  const servers = await startServers(local, store.url, kind).catch(async (error: unknown) => {
    await Promise.all([local.running.close(), store.drop()]);
    throw error;
  });
  let results: Awaited<ReturnType<typeof issuesBench>>;
  let gate: Awaited<ReturnType<typeof gateBench>>;
  try {
    results = await issuesBench(local.standin, servers, {
      deliveries: DELIVERIES,
      maxMs: MAX_MS,
      quick: opts.quick,
      label,
    });
    process.stderr.write(`bench (${label}): the gate\n`);
    gate = await gateBench(local.standin, servers, {
      pairs: opts.quick ? 100 : 200,
      seconds: opts.quick ? 5 : 10,
      concurrency: 16,
    });
  } finally {
    await servers.stop();
    await local.running.close();
    await store.drop();
  }
  const longestOfSection = servers.app.longest;
  const evidence = await evidenceSection(opts.quick, kind);
  const longest = [
    { ...longestOfSection, section: "issues and gate" },
    { ...evidence.json.evidence.longest.app, section: "evidence" },
  ].reduce((a, b) => (b.ms > a.ms ? b : a));
  const issue18 = judgeIssue18({ mixed: results.mixed, gate, longest, results, store: kind });
  const mismatches = [...servers.mismatches, ...evidence.json.evidence.mismatches];
  return { store: kind, results, gate, gateTargets: judgeGate(gate), evidence, longest, issue18, mismatches };
}

const runs = [];
for (const kind of stores) runs.push(await benchOn(kind));
// With PostgreSQL in the run: the gate's throughput by setup, one replica on SQLite, one and two
// on PostgreSQL, as separate processes (issue 14).
const scaling = { seconds: opts.quick ? 8 : 20, inFlight: 8 };
const replicas = stores.includes("postgres") ? await replicaThroughput(scaling) : null;

const print = (t: { met: boolean | null; target: string; detail: string }) =>
  console.log(`  [${verdict(t.met)}] ${t.target}\n        ${t.detail}`);
if (opts.json) {
  const json = runs.map(({ store, results, gate, gateTargets, evidence, longest, issue18, mismatches }) => ({
    store,
    ...results,
    gate,
    gateTargets,
    ...evidence.json,
    longest,
    issue18,
    mismatches,
  }));
  console.log(JSON.stringify({ stores: json, replicas }, null, 2));
} else {
  for (const r of runs) {
    console.log(`==== lanegate on ${storeName(r.store)}, next to its own baselines ====\n`);
    console.log(`${render(r.results)}\n\n${renderGate(r.gate)}\n\nGate targets:`);
    r.gateTargets.forEach(print);
    console.log(`\n${r.evidence.text}\n\n${renderMismatches(r.mismatches)}\n\nTargets (issue 18):`);
    r.issue18.forEach(print);
    console.log("");
  }
  console.log(renderSideBySide(runs.map((r) => ({ store: storeName(r.store), targets: r.issue18 }))));
  if (replicas) console.log(`\n${renderThroughput(replicas, scaling)}`);
}
