// The gate's share of the benchmark: how long from the second half of a dispatch-to-run pair to a
// written check run, how many API calls a decision costs, and how many deliveries per second the
// app sustains with no delivery lost, each next to the same-requests and no-op apps in the same run.
// The first half of each pair, the `workflow_dispatch`, is measured too: a delivery lanegate
// answers without a request to GitHub.
import { performance } from "node:perf_hooks";
import type { Delivery, Standin } from "../standin/index.ts";
import { cmOpwApprovalBody, DEMO_REPO } from "../standin/world.ts";
import type { Child } from "./child.ts";
import { type PlannedRequest, planOf } from "./replay.ts";
import { cpuCells, cpuHead, latencyCells, latencyHead, quantile, side, table } from "./report.ts";
import { measure, type Servers, type Trio } from "./servers.ts";

const WORKFLOW = ".github/workflows/odoo-stable-bootstrap.yml";
// The first pairs run code the issue workload's warm-up never reached (the gate's decision, the
// check run, the cancel) in all three servers: sent and checked, not counted.
const WARMUP_PAIRS = 4;

/** One measured gate delivery. */
export interface GateSample extends Trio {
  /** The delivery's API calls and, of them, writes. */
  calls: number;
  writes: number;
  /** Status-comment requests of the batched refresh (two seconds after decisions) in the window. */
  refreshes: number;
  /** lanegate's database statements for the delivery (PostgreSQL: round trips). */
  statements: number;
}

export interface PairSample extends GateSample {
  allowed: boolean;
}

export interface Throughput {
  seconds: number;
  deliveries: number;
  perSecond: number;
  samePerSecond: number;
  noopPerSecond: number;
  lost: number;
  /** lanegate's answers that were not 2xx (the delivery failed; GitHub would send it again). */
  failed: number;
  rssMb: number;
  noopRssMb: number;
  /** The longest answer of each server under the sustained load, ms. */
  longest: { app: number; same: number; noop: number };
}

export interface GateResults {
  pairs: PairSample[];
  /** The pairs' `workflow_dispatch` deliveries. */
  dispatches: GateSample[];
  /** The database statements of the first measured allowed and refused decisions and dispatch. */
  statements: { allowed: string[]; refused: string[]; dispatch: string[] };
  throughput: Throughput;
}

const inputs = (confirmation: string) => ({
  context: "cm",
  instance: "testing",
  source: "empty",
  confirmation,
});

async function send(child: Child, d: Delivery) {
  const { status, wallMs } = await child.deliver(d);
  if (status >= 300) throw new Error(`${child.mode} answered ${status} to ${d.name}`);
  return wallMs;
}

async function measured(s: Servers, standin: Standin, d: Delivery, texts = false) {
  const m = await measure(s, standin, d, { texts });
  const refused = m.statuses.find((status) => status >= 300);
  if (refused !== undefined) throw new Error(`a server answered ${refused} to ${d.name}`);
  // Status-comment refreshes, batched two seconds after decisions, are not the delivery's calls.
  const own = m.requests.filter((r) => !r.path.includes("/comments"));
  const sample: GateSample = {
    app: m.app,
    same: m.same,
    noop: m.noop,
    calls: own.length,
    writes: own.filter((r) => r.method !== "GET").length,
    refreshes: m.requests.length - own.length,
    statements: m.statements,
  };
  return { sample, plan: planOf(own), texts: m.texts ?? [] };
}

/** Approves cm/testing through an issue, as the operations guide does. */
async function approve(standin: Standin, app: Child) {
  const opened = standin.openIssue(DEMO_REPO, {
    author: "olivia",
    title: "bench: CM rebuilds",
    body: cmOpwApprovalBody(),
  });
  for (const d of [...opened.deliveries, standin.addLabel(DEMO_REPO, opened.number, "lane-policy", "mia")]) {
    await send(app, d);
  }
}

function conclusionOf(standin: Standin, runId: number): string | null | undefined {
  return [...standin.repo(DEMO_REPO).checkRuns.values()].find((c) => c.externalId === `${runId}:1`)
    ?.conclusion;
}

export async function gateBench(
  standin: Standin,
  s: Servers,
  o: { pairs: number; seconds: number; concurrency: number },
): Promise<GateResults> {
  await approve(standin, s.app);
  await s.app.take();
  const pairs: PairSample[] = [];
  const dispatches: GateResults["dispatches"] = [];
  // What lanegate asked of GitHub for a refused pair, for the same-requests app's sustained run.
  let refusedPlan: { dispatch: PlannedRequest[]; requested: PlannedRequest[] } | null = null;
  const statements: GateResults["statements"] = { allowed: [], refused: [], dispatch: [] };
  for (let i = 0; i < WARMUP_PAIRS + o.pairs; i += 1) {
    // Alternate allowed and refused decisions; an allowed run completes before the next pair.
    const allowed = i % 2 === 0;
    const d = standin.dispatchWorkflow(DEMO_REPO, {
      workflowPath: WORKFLOW,
      inputs: inputs(allowed ? "bootstrap cm testing" : "wrong phrase"),
      actor: "olivia",
    });
    // The first measured pair of each kind reports its statements' texts.
    const texts = i === WARMUP_PAIRS || i === WARMUP_PAIRS + 1;
    const dispatch = await measured(s, standin, d.dispatch, texts);
    const requested = await measured(s, standin, d.requested, texts);
    if (texts) {
      statements[allowed ? "allowed" : "refused"] = requested.texts;
      if (allowed) statements.dispatch = dispatch.texts;
    }
    if (conclusionOf(standin, d.runId) !== (allowed ? "success" : "failure")) {
      throw new Error(`run ${d.runId}: expected ${allowed ? "success" : "failure"}`);
    }
    if (i >= WARMUP_PAIRS) {
      dispatches.push(dispatch.sample);
      pairs.push({ ...requested.sample, allowed });
    }
    if (!allowed) refusedPlan = { dispatch: dispatch.plan, requested: requested.plan };
    if (allowed) {
      await send(s.app, standin.completeRun(DEMO_REPO, d.runId, "success"));
      // The completion is not measured: its cost must not land in the next dispatch's figures.
      await s.app.take();
    }
  }
  if (!refusedPlan) throw new Error("the gate bench needs at least one refused pair");
  return { pairs, dispatches, statements, throughput: await sustained(standin, s, refusedPlan, o) };
}

/**
 * Keeps `concurrency` deliveries in flight for `seconds`: dispatch-run pairs of refused runs (a
 * wrong phrase), so every pair is a decision, a check run and a cancel. Counts what each server
 * answered per second, then checks that every run got its check run. The same-requests app makes,
 * for every pair, the requests lanegate made for a measured refused pair (requests made
 * concurrently cannot be told apart in the stand-in's log).
 */
async function sustained(
  standin: Standin,
  s: Servers,
  plan: { dispatch: PlannedRequest[]; requested: PlannedRequest[] },
  o: { seconds: number; concurrency: number },
): Promise<Throughput> {
  const rate = async (child: Child, check: boolean) => {
    const runs: number[] = [];
    let delivered = 0;
    let failed = 0;
    let longest = 0;
    // A failed answer is counted, not thrown: under load it is what the target is about.
    const timed = async (d: Delivery, planned: PlannedRequest[]) => {
      if (child === s.same) child.plan(d.id, planned);
      const { status, wallMs } = await child.deliver(d);
      if (status >= 300) failed += 1;
      longest = Math.max(longest, wallMs);
    };
    const until = performance.now() + o.seconds * 1000;
    const worker = async () => {
      while (performance.now() < until) {
        const d = standin.dispatchWorkflow(DEMO_REPO, {
          workflowPath: WORKFLOW,
          inputs: inputs("wrong"),
          actor: "olivia",
        });
        runs.push(d.runId);
        await timed(d.dispatch, plan.dispatch);
        await timed(d.requested, plan.requested);
        delivered += 2;
        standin.requests.length = 0; // the log is not what is measured here, and would grow
      }
    };
    const start = performance.now();
    await Promise.all(Array.from({ length: o.concurrency }, worker));
    const seconds = (performance.now() - start) / 1000;
    const lost = check ? runs.filter((id) => conclusionOf(standin, id) !== "failure").length : 0;
    return { delivered, seconds, lost, failed, longest };
  };
  const a = await rate(s.app, true);
  const m = await rate(s.same, false);
  const n = await rate(s.noop, false);
  const [am, nm] = [await s.app.memory(), await s.noop.memory()];
  return {
    seconds: Math.round(a.seconds),
    deliveries: a.delivered,
    perSecond: a.delivered / a.seconds,
    samePerSecond: m.delivered / m.seconds,
    noopPerSecond: n.delivered / n.seconds,
    lost: a.lost,
    failed: a.failed,
    rssMb: am.rss / 2 ** 20,
    noopRssMb: nm.rss / 2 ** 20,
    longest: { app: a.longest, same: m.longest, noop: n.longest },
  };
}

/** The issue's targets for the gate: p99 own time, writes per decision, sustained rate. */
export const GATE_TARGETS = { ownP99Ms: 10, writesPerDecision: 2, shareOfNoop: 1 / 3 };

export function judgeGate(g: GateResults) {
  const own = g.pairs.map((p) => p.app.wallMs - p.app.blockedMs);
  const p99 = quantile(own, 0.99);
  const maxWrites = Math.max(...g.pairs.map((p) => p.writes));
  const t = g.throughput;
  return [
    {
      target: `p99 own time from the second half of a pair to a written check run under ${GATE_TARGETS.ownP99Ms} ms`,
      met: p99 < GATE_TARGETS.ownP99Ms,
      detail: `p99 ${p99.toFixed(2)} ms over ${own.length} decisions`,
    },
    {
      target: `at most ${GATE_TARGETS.writesPerDecision} write calls per decision`,
      met: maxWrites <= GATE_TARGETS.writesPerDecision,
      detail: `at most ${maxWrites} (check run, plus the cancel when refused)`,
    },
    {
      target: "sustained gate throughput at least a third of the no-op's, none lost",
      met: t.perSecond >= t.noopPerSecond * GATE_TARGETS.shareOfNoop && t.lost === 0 && t.failed === 0,
      detail: `${t.perSecond.toFixed(0)}/s for ${t.seconds} s (no-op ${t.noopPerSecond.toFixed(0)}/s, ${(t.perSecond / t.noopPerSecond).toFixed(2)}x), ${t.lost} lost, ${t.failed} answers not 2xx`,
    },
  ];
}

export function renderGate(g: GateResults): string {
  const groups = [
    ["allowed", g.pairs.filter((p) => p.allowed)],
    ["refused", g.pairs.filter((p) => !p.allowed)],
    ["dispatch", g.dispatches],
  ] as const;
  const range = (v: number[]) => `${Math.min(...v)}-${Math.max(...v)}`;
  const rows = groups.map(([what, mine]) => ({
    lead: [what, String(mine.length)],
    side: side([...mine], 0.99),
    calls: range(mine.map((p) => p.calls)),
    writes: range(mine.map((p) => p.writes)),
    statements: `${range(mine.map((p) => p.statements))} (p50 ${quantile(
      mine.map((p) => p.statements),
      0.5,
    )})`,
  }));
  const t = g.throughput;
  const x = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
  return [
    "The gate: the second half of a dispatch-to-run pair (workflow_run.requested after its",
    "workflow_dispatch) until the check run is written, and the first half (dispatch) alone, ms",
    "(p50 / p99; longest: lanegate, then same-requests and no-op in brackets):",
    table(
      ["delivery", "n", ...latencyHead("p99"), "API calls", "writes", "DB statements"],
      rows.map((r) => [...r.lead, ...latencyCells(r.side), r.calls, r.writes, r.statements]),
    ),
    "CPU, ms:",
    table(
      ["delivery", "n", ...cpuHead("p99")],
      rows.map((r) => [...r.lead, ...cpuCells(r.side)]),
    ),
    "",
    `Sustained: ${t.deliveries} gate deliveries in ${t.seconds} s, ${t.perSecond.toFixed(0)}/s (same-requests ${t.samePerSecond.toFixed(0)}/s, ${x(t.perSecond, t.samePerSecond)}; no-op ${t.noopPerSecond.toFixed(0)}/s, ${x(t.perSecond, t.noopPerSecond)}); ${t.lost} runs without their check run, ${t.failed} answers not 2xx; longest answer ${t.longest.app.toFixed(0)} ms (same-requests ${t.longest.same.toFixed(0)}, no-op ${t.longest.noop.toFixed(0)}); RSS ${t.rssMb.toFixed(1)} MB (no-op ${t.noopRssMb.toFixed(1)} MB).`,
    "",
    "The database statements of one decision (on PostgreSQL each is a round trip), in order:",
    ...(["allowed", "refused", "dispatch"] as const).flatMap((what) => [
      `  ${what === "dispatch" ? "the allowed pair's workflow_dispatch" : `${what} decision (workflow_run.requested)`}:`,
      ...g.statements[what].map((text, i) => `    ${String(i + 1).padStart(2)}. ${text}`),
    ]),
  ].join("\n");
}
