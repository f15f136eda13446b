// Telling GitHub: the check run, the cancel of a refused run, and the answers to deployment
// protection rules. The decision is already stored when this runs; failures are retried.

import { describe, type Octokit, statusOf } from "../../adapters/github/client.ts";
import { answerProtectionRule, cancelRun, writeCheckRun } from "../../adapters/github/gate.ts";
import { type Q, read, single } from "../../adapters/store/db.ts";
import * as ops from "../../adapters/store/operations.ts";
import * as runStore from "../../adapters/store/runs.ts";
import type { LanegateConfig } from "../../core/config/schema.ts";
import type { Decision } from "../../core/gate/decision.ts";
import { protectionAnswer } from "../../core/gate/protection.ts";
import { checkName, renderCheckSummary } from "../../core/gate/render.ts";
import { cancelsRun } from "../../core/gate/runs.ts";
import { refOf, repoKey, type Target } from "../../core/repository.ts";
import type { GateDeps } from "../deps.ts";
import { gather } from "./gather.ts";

/** The decision is stored; now GitHub hears it. A failed write is retried by the sweep. */
export async function publishDecision(
  deps: GateDeps,
  octokit: Octokit,
  target: Target,
  run: runStore.RunRow,
  row: runStore.DecisionRow,
  decision: Decision,
  config: LanegateConfig,
) {
  const repo = repoKey(target.ref);
  const ofAttempt = async (q: Q) =>
    (await ops.operationsForRun(q, repo, run.runId)).filter((o) => o.attempt === run.attempt);
  // The console's page of the operation this attempt opened, or of the run when it was refused.
  const { operations, typed } = await read(deps.db, async (q) => ({
    operations: await ofAttempt(q),
    typed: decision.request ? null : await typedLane(q, run),
  }));
  const operationId = operations[0]?.id ?? null;
  const operationUrl = deps.publicUrl
    ? `${deps.publicUrl.replace(/\/$/, "")}/lanegate/repos/${repo}/${operationId === null ? `runs/${run.runId}` : `operations/${operationId}`}`
    : null;
  try {
    const id = await writeCheckRun(octokit, target.ref, {
      existingId: row.checkRunId,
      name: checkName(decision.request?.lane ?? typed),
      headSha: run.headSha,
      externalId: `${run.runId}:${run.attempt}`,
      conclusion: decision.allowed ? "success" : "failure",
      title: decision.title.slice(0, 250),
      summary: renderCheckSummary(decision, run.htmlUrl, operationUrl),
      detailsUrl: operationUrl,
      completedAt: deps.now(),
    });
    await single(deps.db, (q) => runStore.markCheckWritten(q, row.id, id, deps.now().toISOString()));
  } catch (error) {
    await single(deps.db, (q) => runStore.markWriteError(q, row.id, describe(error)));
    deps.log.warn(`${repo} run ${run.runId}: check run not written yet: ${describe(error)}`, {
      repository: repo,
      run_id: run.runId,
      lane: decision.request?.lane,
    });
  }
  const cancels = (opened: ops.OperationRow[]) =>
    cancelsRun({
      cancelRefusedRuns: config.gate.cancel_refused_runs,
      status: run.status,
      allowed: decision.allowed,
      operations: opened.map((o) => o.state),
    });
  // Asked again before cancelling: a re-request may have opened an operation meanwhile.
  if (cancels(operations) && cancels(await read(deps.db, ofAttempt)))
    await cancelRefused(deps, octokit, repo, run.runId);
  await answerPendingProtection(deps, octokit, target, run.runId);
}

/** Cancels a refused run; a failure is left for the sweep, which tries again. */
export async function cancelRefused(deps: GateDeps, octokit: Octokit, repo: string, runId: number) {
  try {
    await cancelRun(octokit, refOf(repo), runId);
    // lanegate ended it: a later re-request must see a finished run, not one to allow.
    await single(deps.db, (q) => runStore.markRunCancelled(q, repo, runId, deps.now().toISOString()));
  } catch (e) {
    deps.log.warn(`${repo} run ${runId}: cancel failed, the sweep tries again: ${describe(e)}`, {
      repository: repo,
      run_id: runId,
    });
  }
}

/**
 * The lane as the operator typed it, for a refused request that never parsed: the wait action
 * looks for `lanegate: <its lane>`, and should read the refusal rather than time out.
 */
async function typedLane(q: Q, run: runStore.RunRow): Promise<string | null> {
  const dispatch = run.dispatchId === null ? undefined : await runStore.dispatchById(q, run.dispatchId);
  const part = (v: unknown) => (typeof v === "string" ? v.trim().toLowerCase() : "");
  const typed = dispatch ? `${part(dispatch.inputs.context)}/${part(dispatch.inputs.instance)}` : "";
  // Only printable text without spaces goes into a check name.
  return /^[\x21-\x7e]{3,130}$/.test(typed) ? typed : null;
}

/**
 * Answers the run's deployment protection requests as `protectionAnswer` says, from the decision
 * for the run's current attempt (asked of GitHub through the gate's one gather: a re-run's jobs
 * may ask before its delivery arrives). A request the core leaves waiting is not sent.
 */
export async function answerPendingProtection(
  deps: GateDeps,
  octokit: Octokit,
  target: Target,
  runId: number,
) {
  const repo = repoKey(target.ref);
  const pending = await read(deps.db, (q) => runStore.unansweredProtection(q, repo, runId));
  if (pending.length === 0) return;
  const stored = await read(deps.db, (q) => runStore.getRun(q, repo, runId));
  const run = stored ?? {
    runId,
    attempt: 1,
    event: "workflow_dispatch",
    headBranch: null,
    joinProblem: null,
  };
  const gathered = await gather(
    deps,
    octokit,
    target,
    { ...run, dispatchId: null, status: stored?.status ?? "unknown" },
    "github",
  );
  const attempt = gathered.liveAttempt;
  const latest = (await read(deps.db, (q) => runStore.decisionsForRun(q, repo, runId)))
    .filter((d) => d.attempt === attempt)
    .at(-1);
  const now = deps.now();
  for (const request of pending) {
    const answer = protectionAnswer({
      gatherError: gathered.error,
      attempt,
      decision: latest ?? null,
      environment: request.environment,
      environments: gathered.config.gate.environments,
      receivedAt: request.receivedAt,
      now,
    });
    if (!answer) continue;
    const { approved, comment } = answer;
    try {
      await answerProtectionRule(octokit, target.ref, runId, request.environment, approved, comment);
      const recorded = approved ? "approved" : "rejected";
      await single(deps.db, (q) => runStore.answerProtection(q, request.id, recorded, now.toISOString()));
    } catch (error) {
      // 422: GitHub no longer takes an answer (the run was cancelled or finished); asking again
      // every minute would only spend the rate limit.
      if (statusOf(error) === 422)
        await single(deps.db, (q) =>
          runStore.answerProtection(q, request.id, "unanswerable", now.toISOString()),
        );
      deps.log.warn(`${repo} run ${runId}: protection rule not answered: ${describe(error)}`, {
        repository: repo,
        run_id: runId,
      });
    }
  }
}
