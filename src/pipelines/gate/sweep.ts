// The gate's timer work: what no delivery will ever trigger. Dispatches no run claimed expire,
// runs no dispatch joined are refused, leases run out, and check runs that failed to write are
// written again. Every step is recorded in the audit log.
import type { Probot } from "probot";
import type { Octokit } from "../../adapters/github/client.ts";
import { describe, statusOf } from "../../adapters/github/client.ts";
import { readRun } from "../../adapters/github/gate.ts";
import * as gate from "../../adapters/store/gate.ts";
import * as store from "../../adapters/store/lanes.ts";
import { type Decision, decisionTitle } from "../../core/gate/decision.ts";
import { JOIN_WINDOW_MS } from "../../core/gate/join.ts";
import { refOf } from "../lanes/sync.ts";
import { type GateDeps, roles, type Target } from "./context.ts";
import { evaluate } from "./evaluate.ts";
import { answerPendingProtection, cancelRefused, publishDecision } from "./publish.ts";

/** How long a run may wait for its dispatch before it is refused as unjoinable. */
export const UNJOINED_RUN_GRACE_MS = 2 * 60_000;

/** The repository as a delivery would name it, from what the store remembers of it. */
function targetOf(deps: GateDeps, repo: string): Target {
  return {
    ref: refOf(repo),
    installationId: store.installationOf(deps.db, repo),
    defaultBranch: store.defaultBranchOf(deps.db, repo) ?? "",
  };
}

export async function gateSweep(deps: GateDeps, app: Probot): Promise<void> {
  const now = deps.now();
  const at = now.toISOString();
  store.transaction(deps.db, (q) => {
    for (const d of gate.expireDispatches(q, new Date(now.getTime() - JOIN_WINDOW_MS).toISOString(), at)) {
      const change = `dispatch by ${d.actor} expired: no run claimed it (${JSON.stringify(d.inputs)})`;
      store.appendAudit(q, {
        repo: d.repo,
        deliveryId: d.deliveryId,
        event: "gate sweep",
        actor: d.actor,
        subject: d.workflowPath,
        change,
        at,
      });
    }
    for (const op of gate.expireLeases(q, now)) {
      const change = `operation ${op.id} (run ${op.runId}) outlived its lease; the lane stays blocked until reconciled`;
      store.appendAudit(q, {
        repo: op.repo,
        deliveryId: null,
        event: "gate sweep",
        actor: null,
        subject: op.lane,
        change,
        at,
      });
    }
  });
  const octokits = new Map<string, Octokit>();
  const octokitFor = async (repo: string) => {
    const installationId = store.installationOf(deps.db, repo);
    if (installationId === null) return null;
    const cached = octokits.get(repo) ?? (await app.auth(installationId));
    octokits.set(repo, cached);
    return cached;
  };
  const cutoff = new Date(now.getTime() - UNJOINED_RUN_GRACE_MS).toISOString();
  for (const run of gate.undecidedRuns(deps.db, cutoff)) {
    const octokit = await octokitFor(run.repo);
    if (!octokit || !gatedWorkflow(deps, run)) continue;
    const target = targetOf(deps, run.repo);
    await evaluate(deps, octokit, target, run, false).catch((e: unknown) =>
      deps.log.warn(`sweep: ${describe(e)}`),
    );
  }
  // Protection answers that failed, or that waited for a decision, are tried again.
  const unanswered = gate.allUnansweredProtection(deps.db);
  for (const repo of new Set(unanswered.map((r) => r.repo))) {
    const octokit = await octokitFor(repo);
    if (!octokit) continue;
    const target = targetOf(deps, repo);
    const config = store.configFor(deps.db, repo);
    for (const runId of new Set(unanswered.filter((r) => r.repo === repo).map((r) => r.runId))) {
      await answerPendingProtection(deps, octokit, target, runId, config);
    }
  }
  for (const row of gate.unwrittenDecisions(deps.db)) {
    const octokit = await octokitFor(row.repo);
    const run = gate.getRun(deps.db, row.repo, row.runId);
    if (!octokit || !run) continue;
    const target = targetOf(deps, row.repo);
    const decision = storedDecision(row);
    const config = store.configFor(deps.db, row.repo);
    await publishDecision(deps, octokit, target, { ...run, attempt: row.attempt }, row, decision, config);
  }
  // A refused run whose cancel failed is still running: cancel it again.
  for (const run of gate.refusedStillRunning(deps.db)) {
    const octokit = await octokitFor(run.repo);
    if (!octokit || !store.configFor(deps.db, run.repo).gate.cancel_refused_runs) continue;
    await cancelRefused(deps, octokit, run.repo, run.runId);
  }
}

function gatedWorkflow(deps: GateDeps, run: gate.RunRow): boolean {
  return roles(store.configFor(deps.db, run.repo), run.workflowPath).gated;
}

/** Rebuilds a decision from its stored row, so a retried write says exactly what was decided. */
function storedDecision(row: gate.DecisionRow): Decision {
  const checks = row.checks as Decision["checks"];
  const request = (row.request as { inputs: Decision["request"] }).inputs;
  const title = decisionTitle(row.allowed, request, row.issueNumber, checks);
  return { allowed: row.allowed, request, checks, grant: null, title };
}

/** Asks GitHub for the real state of each operation whose lease ran out, and ends finished ones. */
export async function reconcileOperations(deps: GateDeps, octokit: Octokit, repo: string): Promise<number> {
  let ended = 0;
  for (const op of gate.staleOperations(deps.db).filter((o) => o.repo === repo)) {
    let run: { status: string; conclusion: string | null };
    try {
      run = await readRun(octokit, refOf(repo), op.runId);
    } catch (error) {
      // GitHub no longer has the run (deleted, or its repository moved): nothing is running.
      if (statusOf(error) !== 404) throw error;
      run = { status: "completed", conclusion: "run not found" };
    }
    if (run.status !== "completed") continue;
    store.transaction(deps.db, (q) => {
      gate.endOperation(q, op.id, "completed", run.conclusion, "reconcile", deps.now().toISOString());
      store.appendAudit(q, {
        repo,
        deliveryId: null,
        event: "reconcile",
        actor: null,
        subject: op.lane,
        change: `operation ${op.id} (run ${op.runId}) ended: the run had completed (${run.conclusion ?? "no conclusion"})`,
        at: deps.now().toISOString(),
      });
    });
    ended += 1;
  }
  return ended;
}
