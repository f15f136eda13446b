// The evidence path's share of the benchmark: the app's own time from an allowed run's
// `workflow_run.completed` to its written `lanegate evidence:` check run, and the API requests
// that costs (target: list, download, one check run), next to the same-requests and no-op apps.
// It starts its own stand-in and servers, so the issue and gate workloads' lanes and history do
// not touch it.
import { logo404, result, resultZip } from "../standin/artifacts.ts";
import type { Delivery, Standin } from "../standin/index.ts";
import { cmOpwApprovalBody, DEMO_REPO, startLocalGitHub } from "../standin/world.ts";
import type { Child, Longest } from "./child.ts";
import type { Mismatch } from "./replay.ts";
import { cpuCells, cpuHead, latencyCells, latencyHead, side, table } from "./report.ts";
import { measure, startServers, type Trio } from "./servers.ts";
import { benchStore, type StoreKind } from "./stores.ts";

const WORKFLOW = ".github/workflows/odoo-stable-bootstrap.yml";
const LANE = "cm/testing";
// JIT, the installation token and SQLite's first pages, as in the other sections.
const WARMUP = 10;
/** What the issue allows one evidence delivery to cost, in order. */
export const EVIDENCE_TARGET = [
  "GET /actions/runs/{n}/artifacts",
  "GET /actions/artifacts/{n}/zip",
  "POST /check-runs",
];

type Outcome = "ready" | "verification_failed";

export interface EvidenceSample extends Trio {
  outcome: Outcome;
  /** API requests during the delivery, repository prefix cut and numbers folded. */
  routes: string[];
  /** Status-comment refreshes that fell in the window: batched per repository, not this delivery's. */
  comments: number;
}

export interface EvidenceResults {
  samples: EvidenceSample[];
  /** Downloads the stand-in's storage URL was never asked for (the redirect not followed). */
  unfetched: number;
  /** Authorization headers sent to the storage URL: the App's token leaked. */
  leaked: number;
  /** Replayed requests answered otherwise than lanegate's were. */
  mismatches: Mismatch[];
  /** The longest answer of each server over the section, warm-up and unmeasured deliveries included. */
  longest: { app: Longest; same: Longest; noop: Longest };
}

/** The gated run's result artifact: every check passes, or the logo answers 404. */
function resultZipOf(runId: number, outcome: Outcome): Uint8Array {
  const over = { lane: LANE, run_id: runId, run_attempt: 1 };
  return resultZip(outcome === "ready" ? result(over) : logo404(over));
}

async function send(child: Child, d: Delivery) {
  const { status } = await child.deliver(d);
  if (status >= 300) throw new Error(`${child.mode} answered ${status} to ${d.name}`);
}

const route = (path: string, method: string) =>
  `${method} ${path.replace(`/repos/${DEMO_REPO}`, "").replace(/\/\d+(?=\/|$)/g, "/{n}")}`;

const checkOf = (standin: Standin, externalId: string) =>
  [...standin.repo(DEMO_REPO).checkRuns.values()].find((c) => c.externalId === externalId);

/** An allowed cm/testing run that uploaded its artifact; returns its completion, not yet sent. */
async function allowedRun(
  standin: Standin,
  app: Child,
  outcome: Outcome,
): Promise<Delivery & { runId: number }> {
  const d = standin.dispatchWorkflow(DEMO_REPO, {
    workflowPath: WORKFLOW,
    inputs: { context: "cm", instance: "testing", source: "empty", confirmation: "bootstrap cm testing" },
    actor: "olivia",
  });
  await send(app, d.dispatch);
  await send(app, d.requested);
  if (checkOf(standin, `${d.runId}:1`)?.conclusion !== "success")
    throw new Error(`run ${d.runId} was not allowed`);
  standin.uploadArtifact(DEMO_REPO, d.runId, "lanegate-result", resultZipOf(d.runId, outcome));
  return { ...standin.completeRun(DEMO_REPO, d.runId, "success"), runId: d.runId };
}

export async function evidenceBench(o: { runs: number; store: StoreKind }): Promise<EvidenceResults> {
  const local = await startLocalGitHub();
  const { standin } = local;
  const store = await benchStore(o.store, "evidence");
  const servers = await startServers(local, store.url, `${o.store}-evidence`).catch(
    async (error: unknown) => {
      await Promise.all([local.running.close(), store.drop()]);
      throw error;
    },
  );
  const { app, same, noop } = servers;
  try {
    const opened = standin.openIssue(DEMO_REPO, {
      author: "olivia",
      title: "bench",
      body: cmOpwApprovalBody(),
    });
    for (const d of [...opened.deliveries, standin.addLabel(DEMO_REPO, opened.number, "lane-policy", "mia")])
      await send(app, d);
    const samples: EvidenceSample[] = [];
    for (let i = 0; i < WARMUP + o.runs; i += 1) {
      const outcome: Outcome = i % 2 === 0 ? "ready" : "verification_failed";
      const completed = await allowedRun(standin, app, outcome);
      await app.take();
      const m = await measure(servers, standin, completed);
      const refused = m.statuses.find((status) => status >= 300);
      if (refused !== undefined) throw new Error(`a server answered ${refused} to ${completed.name}`);
      const all = m.requests.map((r) => route(r.path, r.method));
      const check = checkOf(standin, `evidence:${completed.runId}:1`);
      if (check?.conclusion !== (outcome === "ready" ? "success" : "failure"))
        throw new Error(`run ${completed.runId}: no evidence check run saying ${outcome}`);
      if (i < WARMUP) continue;
      samples.push({
        outcome,
        app: m.app,
        same: m.same,
        noop: m.noop,
        routes: all.filter((r) => !r.includes("/issues")),
        comments: all.filter((r) => r.includes("/issues")).length,
      });
    }
    return {
      samples,
      unfetched: standin.blobs.size,
      leaked: standin.leakedAuthorization.length,
      mismatches: servers.mismatches,
      longest: { app: app.longest, same: same.longest, noop: noop.longest },
    };
  } finally {
    await servers.stop();
    await local.running.close();
    await store.drop();
  }
}

const onTarget = (s: EvidenceSample) => JSON.stringify(s.routes) === JSON.stringify(EVIDENCE_TARGET);

export function judgeEvidence(e: EvidenceResults) {
  const off = e.samples.filter((s) => !onTarget(s));
  return [
    {
      target: `${EVIDENCE_TARGET.join(", ")} per evidence delivery, and no more`,
      met: off.length === 0 && e.unfetched === 0 && e.leaked === 0,
      detail: `${e.samples.length - off.length} of ${e.samples.length} deliveries on target${off[0] ? ` (first off: ${off[0].routes.join(", ")})` : ""}; ${e.unfetched} downloads not followed; ${e.leaked} tokens sent to storage`,
    },
  ];
}

export function renderEvidence(e: EvidenceResults): string {
  const rows = (["ready", "verification_failed"] as const).map((outcome) => {
    const mine = e.samples.filter((s) => s.outcome === outcome);
    const calls = mine.map((s) => s.routes.length);
    return {
      lead: [outcome, String(mine.length)],
      side: side(mine, 0.99),
      calls: `${Math.min(...calls)}-${Math.max(...calls)}`,
    };
  });
  const comments = e.samples.reduce((sum, s) => sum + s.comments, 0);
  return [
    "The evidence path: an allowed run's workflow_run.completed until the `lanegate evidence:`",
    "check run is written, ms (p50 / p99; ratios on medians; longest: lanegate, then same-requests",
    "and no-op in brackets):",
    table(
      ["lane after", "n", ...latencyHead("p99"), "API calls"],
      rows.map((r) => [...r.lead, ...latencyCells(r.side), r.calls]),
    ),
    "CPU, ms:",
    table(
      ["lane after", "n", ...cpuHead("p99")],
      rows.map((r) => [...r.lead, ...cpuCells(r.side)]),
    ),
    "",
    `Requests of the first delivery: ${e.samples[0]?.routes.join(", ") ?? "none"}, plus the redirect's storage download.`,
    `Status-comment requests that fell inside the measured windows (batched every 2 s, not per delivery): ${comments}.`,
  ].join("\n");
}

/** The section as `bench/run.ts` prints it: 100 measured deliveries, 40 with `--quick`. */
export async function evidenceSection(quick: boolean, store: StoreKind) {
  process.stderr.write(`bench (${store}): the evidence path\n`);
  const results = await evidenceBench({ runs: quick ? 40 : 100, store });
  const targets = judgeEvidence(results);
  const lines = targets.map((t) => `  [${t.met ? "met" : "NOT MET"}] ${t.target}\n        ${t.detail}`);
  return {
    json: { evidence: results, evidenceTargets: targets },
    text: [renderEvidence(results), "", "Evidence targets:", ...lines].join("\n"),
  };
}
