// The gate's share of the benchmark: how long from the second half of a dispatch-to-run pair to a
// written check run, how many API calls a decision costs, and how many deliveries per second the
// app sustains with no delivery lost, each next to the no-op app in the same run.
import { performance } from "node:perf_hooks";
import { type Delivery, deliver, type Standin } from "../standin/index.ts";
import { cmOpwApprovalBody, DEMO_REPO, LOCAL_SECRET } from "../standin/world.ts";
import type { Child } from "./child.ts";
import { quantile, table } from "./report.ts";

const WORKFLOW = ".github/workflows/odoo-stable-bootstrap.yml";

export interface PairSample {
  allowed: boolean;
  app: { wallMs: number; blockedMs: number; cpuMs: number };
  noop: { wallMs: number; cpuMs: number };
  calls: number;
  writes: number;
}

export interface Throughput {
  seconds: number;
  deliveries: number;
  perSecond: number;
  noopPerSecond: number;
  lost: number;
  rssMb: number;
  noopRssMb: number;
}

export interface GateResults {
  pairs: PairSample[];
  throughput: Throughput;
}

const inputs = (confirmation: string) => ({
  context: "cm",
  instance: "testing",
  source: "empty",
  confirmation,
});

async function send(child: Child, d: Delivery) {
  const start = performance.now();
  const status = await deliver(child.webhookUrl, LOCAL_SECRET, d);
  if (status >= 300) throw new Error(`${child.mode} answered ${status} to ${d.name}`);
  return performance.now() - start;
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
  app: Child,
  noop: Child,
  o: { pairs: number; seconds: number; concurrency: number },
): Promise<GateResults> {
  await approve(standin, app);
  const pairs: PairSample[] = [];
  for (let i = 0; i < o.pairs; i += 1) {
    // Alternate allowed and refused decisions; an allowed run completes before the next pair.
    const allowed = i % 2 === 0;
    const d = standin.dispatchWorkflow(DEMO_REPO, {
      workflowPath: WORKFLOW,
      inputs: inputs(allowed ? "bootstrap cm testing" : "wrong phrase"),
      actor: "olivia",
    });
    await send(app, d.dispatch);
    await send(noop, d.dispatch);
    await Promise.all([app.take(), noop.take()]);
    standin.requests.length = 0;
    const wallMs = await send(app, d.requested);
    const calls = standin.requests.filter((r) => !r.path.includes("/comments"));
    const took = await app.take();
    const noopWall = await send(noop, d.requested);
    const noopTook = await noop.take();
    if (conclusionOf(standin, d.runId) !== (allowed ? "success" : "failure")) {
      throw new Error(`run ${d.runId}: expected ${allowed ? "success" : "failure"}`);
    }
    pairs.push({
      allowed,
      app: { wallMs, blockedMs: took.blockedMs, cpuMs: took.cpuMs },
      noop: { wallMs: noopWall, cpuMs: noopTook.cpuMs },
      calls: calls.length,
      writes: calls.filter((r) => r.method !== "GET").length,
    });
    if (allowed) await send(app, standin.completeRun(DEMO_REPO, d.runId, "success"));
  }
  return { pairs, throughput: await sustained(standin, app, noop, o) };
}

/**
 * Keeps `concurrency` deliveries in flight for `seconds`: dispatch-run pairs of refused runs (a
 * wrong phrase), so every pair is a decision, a check run and a cancel. Counts what each server
 * answered per second, then checks that every run got its check run.
 */
async function sustained(
  standin: Standin,
  app: Child,
  noop: Child,
  o: { seconds: number; concurrency: number },
): Promise<Throughput> {
  const rate = async (child: Child, check: boolean) => {
    const runs: number[] = [];
    let delivered = 0;
    const until = performance.now() + o.seconds * 1000;
    const worker = async () => {
      while (performance.now() < until) {
        const d = standin.dispatchWorkflow(DEMO_REPO, {
          workflowPath: WORKFLOW,
          inputs: inputs("wrong"),
          actor: "olivia",
        });
        runs.push(d.runId);
        await send(child, d.dispatch);
        await send(child, d.requested);
        delivered += 2;
        standin.requests.length = 0; // the log is not what is measured here, and would grow
      }
    };
    const start = performance.now();
    await Promise.all(Array.from({ length: o.concurrency }, worker));
    const seconds = (performance.now() - start) / 1000;
    const lost = check ? runs.filter((id) => conclusionOf(standin, id) !== "failure").length : 0;
    return { delivered, seconds, lost };
  };
  const a = await rate(app, true);
  const n = await rate(noop, false);
  const [am, nm] = [await app.memory(), await noop.memory()];
  return {
    seconds: Math.round(a.seconds),
    deliveries: a.delivered,
    perSecond: a.delivered / a.seconds,
    noopPerSecond: n.delivered / n.seconds,
    lost: a.lost,
    rssMb: am.rss / 2 ** 20,
    noopRssMb: nm.rss / 2 ** 20,
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
      met: t.perSecond >= t.noopPerSecond * GATE_TARGETS.shareOfNoop && t.lost === 0,
      detail: `${t.perSecond.toFixed(0)}/s for ${t.seconds} s (no-op ${t.noopPerSecond.toFixed(0)}/s, ${(t.perSecond / t.noopPerSecond).toFixed(2)}x), ${t.lost} lost`,
    },
  ];
}

export function renderGate(g: GateResults): string {
  const f = (n: number) => n.toFixed(2);
  const rows = [true, false].map((allowed) => {
    const mine = g.pairs.filter((p) => p.allowed === allowed);
    const q = (values: number[]) => `${f(quantile(values, 0.5))} / ${f(quantile(values, 0.99))}`;
    const own = mine.map((p) => p.app.wallMs - p.app.blockedMs);
    const total = mine.map((p) => p.app.wallMs);
    const noop = mine.map((p) => p.noop.wallMs);
    return [
      allowed ? "allowed" : "refused",
      String(mine.length),
      q(total),
      q(noop),
      `${(quantile(total, 0.5) / quantile(noop, 0.5)).toFixed(1)}x`,
      q(own),
      q(mine.map((p) => p.app.cpuMs)),
      `${Math.min(...mine.map((p) => p.calls))}-${Math.max(...mine.map((p) => p.calls))}`,
      `${Math.min(...mine.map((p) => p.writes))}-${Math.max(...mine.map((p) => p.writes))}`,
    ];
  });
  const t = g.throughput;
  return [
    "The gate: the second half of a dispatch-to-run pair (workflow_run.requested after its",
    "workflow_dispatch) until the check run is written, ms (p50 / p99):",
    table(["decision", "n", "total", "no-op", "total/no-op", "own", "CPU", "API calls", "writes"], rows),
    "",
    `Sustained: ${t.deliveries} gate deliveries in ${t.seconds} s, ${t.perSecond.toFixed(0)}/s (no-op ${t.noopPerSecond.toFixed(0)}/s, ${(t.perSecond / t.noopPerSecond).toFixed(2)}x); ${t.lost} runs without their check run; RSS ${t.rssMb.toFixed(1)} MB (no-op ${t.noopRssMb.toFixed(1)} MB).`,
  ].join("\n");
}
