// The gate's timer work: what no delivery will ever trigger. Dispatches no run claimed expire,
// runs no dispatch joined are refused, leases run out, and check runs that failed to write are
// written again. Every step is recorded in the audit log.
import type { Probot } from "probot";
import type { Octokit } from "../../adapters/github/client.ts";
import { describe, statusOf } from "../../adapters/github/client.ts";
import { readRun } from "../../adapters/github/gate.ts";
import * as auditStore from "../../adapters/store/audit.ts";
import { transaction } from "../../adapters/store/db.ts";
import { holdingOperations, pastLease } from "../../adapters/store/operations.ts";
import * as repoStore from "../../adapters/store/repositories.ts";
import * as runStore from "../../adapters/store/runs.ts";
import { JOIN_WINDOW_MS } from "../../core/gate/join.ts";
import type { OperationEvent } from "../../core/operations.ts";
import { onRunCompleted } from "../evidence/collect.ts";
import { refOf } from "../lanes/sync.ts";
import { moveOperation } from "../operations.ts";
import type { GateDeps, Target } from "./context.ts";
import { evaluate } from "./evaluate.ts";
import { answerPendingProtection, cancelRefused, publishDecision } from "./publish.ts";

/** How long a run may wait for its dispatch before it is refused as unjoinable. */
export const UNJOINED_RUN_GRACE_MS = 2 * 60_000;

/** The repository as a delivery would name it, from what the store remembers of it. */
function targetOf(deps: GateDeps, repo: string): Target {
  return {
    ref: refOf(repo),
    installationId: repoStore.installationOf(deps.db, repo),
    // Never recorded: the decision reads it from GitHub, and refuses if it cannot.
    defaultBranch: repoStore.defaultBranchOf(deps.db, repo),
  };
}

export async function gateSweep(deps: GateDeps, app: Probot): Promise<void> {
  const now = deps.now();
  const at = now.toISOString();
  transaction(deps.db, (q) => {
    for (const d of runStore.expireDispatches(
      q,
      new Date(now.getTime() - JOIN_WINDOW_MS).toISOString(),
      at,
    )) {
      const change = `dispatch by ${d.actor} expired: no run claimed it (${JSON.stringify(d.inputs)})`;
      auditStore.appendAudit(q, {
        repo: d.repo,
        deliveryId: d.deliveryId,
        event: "gate sweep",
        actor: d.actor,
        subject: d.workflowPath,
        change,
        at,
      });
    }
    const cause = { by: "gate sweep", event: "gate sweep", actor: null, deliveryId: null };
    for (const op of pastLease(q, now)) moveOperation(q, op, { kind: "lease_expired" }, cause, at);
  });
  const octokits = new Map<string, Octokit>();
  const octokitFor = async (repo: string) => {
    const installationId = repoStore.installationOf(deps.db, repo);
    if (installationId === null) return null;
    const cached = octokits.get(repo) ?? (await app.auth(installationId));
    octokits.set(repo, cached);
    return cached;
  };
  const cutoff = new Date(now.getTime() - UNJOINED_RUN_GRACE_MS).toISOString();
  for (const run of runStore.undecidedRuns(deps.db, cutoff)) {
    const octokit = await octokitFor(run.repo);
    if (!octokit) continue;
    const target = targetOf(deps, run.repo);
    await evaluate(deps, octokit, target, run, "github").catch((e: unknown) =>
      deps.log.warn(`sweep: ${describe(e)}`),
    );
  }
  // Protection answers that failed, or that waited for a decision, are tried again.
  const unanswered = runStore.allUnansweredProtection(deps.db);
  for (const repo of new Set(unanswered.map((r) => r.repo))) {
    const octokit = await octokitFor(repo);
    if (!octokit) continue;
    const target = targetOf(deps, repo);
    for (const runId of new Set(unanswered.filter((r) => r.repo === repo).map((r) => r.runId))) {
      await answerPendingProtection(deps, octokit, target, runId);
    }
  }
  for (const row of runStore.unwrittenDecisions(deps.db)) {
    const octokit = await octokitFor(row.repo);
    const run = runStore.getRun(deps.db, row.repo, row.runId);
    if (!octokit || !run) continue;
    const target = targetOf(deps, row.repo);
    const decision = row.stored;
    if (!decision) {
      deps.log.warn(`${row.repo} run ${row.runId}: decision ${row.id} has no stored decision to write`, {
        repository: row.repo,
        run_id: row.runId,
      });
      continue;
    }
    const config = repoStore.configFor(deps.db, row.repo);
    // The stored run row is its newest attempt: an older attempt being written again has finished.
    const status = run.attempt === row.attempt ? run.status : "completed";
    await publishDecision(
      deps,
      octokit,
      target,
      { ...run, attempt: row.attempt, status },
      row,
      decision,
      config,
    );
  }
  // A refused run whose cancel failed is still running: cancel it again.
  for (const run of runStore.refusedStillRunning(deps.db)) {
    const octokit = await octokitFor(run.repo);
    if (!octokit || !repoStore.configFor(deps.db, run.repo).gate.cancel_refused_runs) continue;
    await cancelRefused(deps, octokit, run.repo, run.runId);
  }
}

/**
 * Asks GitHub about every operation still holding a lane, not only those past their lease: a
 * missed `completed` delivery then frees the lane at the next reconcile (every 15 minutes).
 * Returns the failures; one operation GitHub cannot tell about does not stop the others.
 */
export async function reconcileOperations(deps: GateDeps, octokit: Octokit, repo: string): Promise<string[]> {
  const failures: string[] = [];
  for (const op of holdingOperations(deps.db, repo)) {
    let event: OperationEvent;
    try {
      const run = await readRun(octokit, refOf(repo), op.runId);
      // Only a newer attempt supersedes this one; an older or equal one must have completed.
      if (run.attempt > op.attempt) event = { kind: "run_completed", conclusion: "superseded" };
      else if (run.attempt === op.attempt && run.status === "completed")
        event = { kind: "run_completed", conclusion: run.conclusion };
      else continue;
    } catch (error) {
      if (statusOf(error) !== 404) {
        failures.push(`${repo}: operation ${op.id} (run ${op.runId}) not reconciled: ${describe(error)}`);
        continue;
      }
      event = { kind: "run_gone" };
    }
    const cause = { by: "reconcile", event: "reconcile", actor: null, deliveryId: null };
    const at = deps.now().toISOString();
    if (!transaction(deps.db, (q) => moveOperation(q, op, event, cause, at))) continue;
    // The completed delivery was missed, so its evidence was never collected: collect it now, so
    // the lane's inventory says what the run did (or goes stale when it left no artifact).
    const run = runStore.getRun(deps.db, repo, op.runId);
    if (run && event.kind === "run_completed") {
      const completed = { ...run, attempt: op.attempt, conclusion: event.conclusion, completedAt: at };
      await onRunCompleted(deps, octokit, targetOf(deps, repo), completed).catch((e: unknown) =>
        failures.push(`${repo}: evidence of run ${op.runId} not collected: ${describe(e)}`),
      );
    }
  }
  return failures;
}
