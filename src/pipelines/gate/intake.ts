// The gate's intake: what each delivery says is recorded, dispatches are joined to runs, and a
// run that is ready is handed to the decision.

import type { Octokit } from "../../adapters/github/client.ts";
import * as auditStore from "../../adapters/store/audit.ts";
import { exclusive, type Q, read, single, transaction } from "../../adapters/store/db.ts";
import { operationsForRun } from "../../adapters/store/operations.ts";
import * as runStore from "../../adapters/store/runs.ts";
import { joinRun } from "../../core/gate/join.ts";
import { laneOfInputs, parseRequest, workflowFile } from "../../core/gate/request.ts";
import { roleOf } from "../../core/gate/roles.ts";
import { replacesReport } from "../../core/gate/runs.ts";
import { eventOfReport } from "../../core/operations.ts";
import { repoKey, type Target } from "../../core/repository.ts";
import { configForIntake } from "../config.ts";
import type { GateDeps } from "../deps.ts";
import { moveOperation } from "../operations.ts";
import type { RunFacts } from "./context.ts";
import { gateScope } from "./context.ts";
import { type EvaluateOptions, evaluate } from "./evaluate.ts";
import { answerPendingProtection } from "./publish.ts";

export async function onDispatch(
  deps: GateDeps,
  octokit: Octokit,
  target: Target,
  d: {
    deliveryId: string;
    workflowPath: string;
    ref: string;
    actor: string;
    inputs: Record<string, unknown>;
  },
) {
  const repo = repoKey(target.ref);
  const intake = await configForIntake(deps, octokit, target);
  const role = roleOf(intake.config, d.workflowPath);
  if (!role) return;
  const parsed = parseRequest(d.inputs);
  const now = deps.now().toISOString();
  const joined = await transaction(deps.db, async (q) => {
    await exclusive(q, gateScope(repo));
    const id = await runStore.recordDispatch(q, {
      role,
      lane: laneOfInputs(d.inputs),
      source: parsed.ok ? parsed.request.source : null,
      repo,
      deliveryId: d.deliveryId,
      workflowPath: d.workflowPath,
      branch: d.ref.replace(/^refs\/heads\//, ""),
      actor: d.actor,
      inputs: d.inputs,
      receivedAt: now,
    });
    if (id === null) {
      // Recorded already, yet the delivery was not marked applied: whoever recorded it stopped
      // (a replica killed) after joining a run and before deciding it. The run is decided now.
      const run = await runStore.runOfDispatchDelivery(q, repo, d.deliveryId);
      return run ? [run] : [];
    }
    await auditStore.appendAudit(q, {
      repo,
      deliveryId: d.deliveryId,
      event: "workflow_dispatch",
      actor: d.actor,
      subject: workflowFile(d.workflowPath),
      change: `dispatch recorded: ${JSON.stringify(d.inputs)}`,
      at: now,
    });
    return joinWaitingRuns(q, repo);
  });
  for (const run of joined)
    await evaluateIfReady(deps, octokit, target, run, { run, config: intake.current, firstReport: false });
}

/** Gives runs that arrived before their dispatch their dispatch, now that it may be here. */
async function joinWaitingRuns(q: Q, repo: string): Promise<runStore.RunRow[]> {
  const joined: runStore.RunRow[] = [];
  for (const run of await runStore.unjoinedRuns(q, repo)) {
    if (run.event !== "workflow_dispatch") continue;
    const row = await tryJoin(q, repo, run);
    if (row) joined.push(row);
  }
  return joined;
}

/** The run as the join left it: with its dispatch or its join problem; null when nothing joins yet. */
async function tryJoin(q: Q, repo: string, run: runStore.RunRow): Promise<runStore.RunRow | null> {
  const result = joinRun(
    {
      workflowFile: workflowFile(run.workflowPath),
      headBranch: run.headBranch,
      actor: run.actor,
      createdAt: run.createdAt,
      displayTitle: run.displayTitle,
    },
    await runStore.unclaimedDispatches(q, repo),
  );
  if (result.kind === "joined") {
    await runStore.claimDispatch(q, repo, run.runId, result.dispatchId);
    return { ...run, dispatchId: result.dispatchId };
  }
  if (result.kind === "ambiguous") {
    await runStore.setJoinProblem(q, repo, run.runId, result.reason);
    return { ...run, joinProblem: result.reason };
  }
  return null;
}

export async function onWorkflowRun(
  deps: GateDeps,
  octokit: Octokit,
  target: Target,
  delivery: { id: string | null; action: string },
  r: RunFacts,
) {
  const { action } = delivery;
  const deliveryId = delivery.id;
  const repo = repoKey(target.ref);
  const intake = await configForIntake(deps, octokit, target);
  // A run keeps the role it was first seen with: a config that stopped listing its workflow
  // must not leave its operation holding the lane when the run reports completion.
  const role =
    roleOf(intake.config, r.workflowPath) ??
    (await read(deps.db, (q) => runStore.getRun(q, repo, r.runId)))?.role ??
    null;
  if (!role) return;
  const now = deps.now().toISOString();
  const { run, firstReport } = await transaction(deps.db, async (q) => {
    await exclusive(q, gateScope(repo));
    const { recorded, firstReport } = await recordReport(q, { repo, role, ...r });
    const unjoined =
      recorded.dispatchId === null && recorded.joinProblem === null && recorded.event === "workflow_dispatch";
    const row = (unjoined && (await tryJoin(q, repo, recorded))) || recorded;
    // A late report of an earlier attempt must not move a later attempt's operation.
    const event = eventOfReport(action, r.conclusion);
    const cause = {
      by: `workflow_run.${action}`,
      event: `workflow_run.${action}`,
      actor: r.actor,
      deliveryId,
    };
    for (const op of event ? await operationsForRun(q, repo, r.runId) : [])
      if (op.attempt === r.attempt && event) await moveOperation(q, op, event, cause, now);
    return { run: row, firstReport };
  });
  if (run.role !== "gated" || action === "completed") {
    deps.onDecided?.(target.ref, target.installationId);
    return;
  }
  const attempt = { ...run, attempt: r.attempt };
  await evaluateIfReady(deps, octokit, target, attempt, { run, config: intake.current, firstReport });
}

/** Records a run's report: the first one, or one that replaces the recorded report. */
async function recordReport(
  q: Q,
  run: runStore.ReportedRun,
): Promise<{ recorded: runStore.RunRow; firstReport: boolean }> {
  const stored = await runStore.getRun(q, run.repo, run.runId);
  if (!stored) return { recorded: await runStore.insertRun(q, run), firstReport: true };
  const recorded = replacesReport(run, stored) ? await runStore.updateRunReport(q, run) : stored;
  return { recorded, firstReport: false };
}

/** Decides a gated run once it has its dispatch, a join problem, or was not dispatched at all. */
async function evaluateIfReady(
  deps: GateDeps,
  octokit: Octokit,
  target: Target,
  run: runStore.RunRow,
  intake: NonNullable<EvaluateOptions["intake"]>,
) {
  if (run.role !== "gated") return; // proof runs are never gated
  const ready = run.dispatchId !== null || run.joinProblem !== null || run.event !== "workflow_dispatch";
  if (ready) await evaluate(deps, octokit, target, run, "delivery", { intake });
}

export async function onProtectionRule(
  deps: GateDeps,
  octokit: Octokit,
  target: Target,
  p: { callbackUrl: string; environment: string },
) {
  const runId = Number(/\/actions\/runs\/(\d+)\//.exec(p.callbackUrl)?.[1]);
  if (!Number.isInteger(runId) || runId <= 0) {
    deps.log.warn(`deployment protection request without a run id: ${p.callbackUrl}`);
    return;
  }
  const repo = repoKey(target.ref);
  await single(deps.db, (q) =>
    runStore.recordProtectionRequest(q, repo, runId, p.environment, deps.now().toISOString()),
  );
  await answerPendingProtection(deps, octokit, target, runId);
}

export async function onCheckRerequested(
  deps: GateDeps,
  octokit: Octokit,
  target: Target,
  c: { checkRunId: number; externalId: string | null; appId: number | null },
) {
  if (c.appId !== deps.appId) return; // another app's check
  const [runId, attempt] = (c.externalId ?? "").split(":").map(Number);
  if (!runId || !attempt) return;
  const repo = repoKey(target.ref);
  const stored = await read(deps.db, (q) => runStore.getRun(q, repo, runId));
  if (stored?.role !== "gated") return;
  // GitHub is asked where the run is now: a re-request of a finished run must not open an
  // operation, and if GitHub cannot say, the run is refused. A new check run, not an update of
  // the old one: the newest check run carries the decision.
  await evaluate(deps, octokit, target, { ...stored, attempt }, "github", { rerequested: true });
}
