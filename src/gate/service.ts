// The gate pipeline: record what a delivery says, join dispatches to runs, decide with the pure
// core on stored facts in one transaction (the operation row is the single-flight lock), then
// write the check run, cancel a refused run and answer protection rules.

import { configInForce } from "../config/load.ts";
import { baselineOf, type LanegateConfig } from "../config/schema.ts";
import { parseLaneId } from "../domain.ts";
import { describe, loadConfig, type Octokit, type RepoRef } from "../github/client.ts";
import { answerProtectionRule, cancelRun, writeCheckRun } from "../github/gate.ts";
import { repoKey, type SyncDeps } from "../lanes/sync.ts";
import * as gate from "../store/gate.ts";
import * as store from "../store/lanes.ts";
import { type Decision, decide, type GateFacts } from "./decision.ts";
import { joinRun } from "./join.ts";
import { checkName, renderCheckSummary } from "./render.ts";
import { parseRequest, workflowFile } from "./request.ts";

export interface GateDeps extends SyncDeps {
  /** Public base URL of the app, for links to the read models in check runs. */
  publicUrl?: string;
  /** Called after decisions, so the approval issues' status comments can be refreshed in a batch. */
  onDecided?: (ref: RepoRef, installationId: number | null) => void;
}

export interface RunFacts {
  runId: number;
  attempt: number;
  workflowPath: string;
  headSha: string;
  headBranch: string | null;
  event: string;
  actor: string;
  displayTitle: string;
  htmlUrl: string;
  status: string;
  conclusion: string | null;
  createdAt: string;
  updatedAt: string;
}

interface Target {
  ref: RepoRef;
  installationId: number | null;
  /** The repository's default branch, from the delivery: the allowed branch when the config names none. */
  defaultBranch: string;
}

/** Which workflows the gate cares about: gated ones get decisions, proof ones become proofs. */
function roles(config: LanegateConfig | null, path: string) {
  const file = workflowFile(path);
  const gated = config?.gate.workflows.includes(file) ?? false;
  const proof = config
    ? [config.proofs.backup?.workflow, config.proofs.restore?.workflow].includes(file)
    : false;
  return { file, gated, proof };
}

/** The stored config decides whether a delivery matters; a fresh load backs every decision. */
function storedConfig(deps: GateDeps, repo: string): LanegateConfig | null {
  return store.hasRepository(deps.db, repo) ? store.configFor(deps.db, repo) : null;
}

async function currentConfig(deps: GateDeps, octokit: Octokit, target: Target) {
  const repo = repoKey(target.ref);
  const load = await loadConfig(octokit, target.ref);
  store.transaction(deps.db, (q) => store.recordConfig(q, repo, target.installationId, load, deps.now()));
  return { config: configInForce(load), error: load.status === "unreadable" ? load.errors.join("; ") : null };
}

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
  const known = storedConfig(deps, repo) ?? (await currentConfig(deps, octokit, target)).config;
  const { gated, proof } = roles(known, d.workflowPath);
  if (!gated && !proof) return;
  const now = deps.now().toISOString();
  const joined = store.transaction(deps.db, (q) => {
    const id = gate.recordDispatch(q, {
      repo,
      deliveryId: d.deliveryId,
      workflowPath: d.workflowPath,
      branch: d.ref.replace(/^refs\/heads\//, ""),
      actor: d.actor,
      inputs: d.inputs,
      receivedAt: now,
    });
    if (id === null) return [];
    store.appendAudit(q, {
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
  for (const run of joined) await evaluateIfGated(deps, octokit, target, run, null);
}

/** Gives runs that arrived before their dispatch their dispatch, now that it may be here. */
function joinWaitingRuns(q: store.Q, repo: string): gate.RunRow[] {
  const joined: gate.RunRow[] = [];
  for (const run of gate.unjoinedRuns(q, repo)) {
    if (run.event !== "workflow_dispatch") continue;
    if (tryJoin(q, repo, run)) joined.push(gate.getRun(q, repo, run.runId) as gate.RunRow);
  }
  return joined;
}

function tryJoin(q: store.Q, repo: string, run: gate.RunRow): boolean {
  const result = joinRun(
    {
      workflowFile: workflowFile(run.workflowPath),
      headBranch: run.headBranch,
      actor: run.actor,
      createdAt: run.createdAt,
      displayTitle: run.displayTitle,
    },
    gate.unclaimedDispatches(q, repo),
  );
  if (result.kind === "joined") gate.claimDispatch(q, repo, run.runId, result.dispatchId);
  if (result.kind === "ambiguous") gate.setJoinProblem(q, repo, run.runId, result.reason);
  return result.kind !== "none";
}

export async function onWorkflowRun(
  deps: GateDeps,
  octokit: Octokit,
  target: Target,
  action: string,
  r: RunFacts,
) {
  const repo = repoKey(target.ref);
  const known = storedConfig(deps, repo) ?? (await currentConfig(deps, octokit, target)).config;
  const { gated, proof } = roles(known, r.workflowPath);
  if (!gated && !proof) return;
  const now = deps.now().toISOString();
  const run = store.transaction(deps.db, (q) => {
    const row = gate.upsertRun(q, { repo, ...r });
    if (row.dispatchId === null && row.joinProblem === null && row.event === "workflow_dispatch")
      tryJoin(q, repo, row);
    if (action === "completed") {
      for (const op of gate.operationsForRun(q, repo, r.runId)) {
        if (op.state !== "in_flight" && op.state !== "stale") continue;
        gate.endOperation(q, op.id, "completed", r.conclusion, "workflow_run.completed", now);
        store.appendAudit(q, {
          repo,
          deliveryId: null,
          event: "workflow_run.completed",
          actor: r.actor,
          subject: op.lane,
          change: `operation ${op.id} (run ${r.runId}) ended: ${r.conclusion ?? "no conclusion"}`,
          at: now,
        });
      }
    }
    return gate.getRun(q, repo, r.runId) as gate.RunRow;
  });
  if (!gated || action === "completed") {
    deps.onDecided?.(target.ref, target.installationId);
    return;
  }
  await evaluateIfGated(deps, octokit, target, { ...run, attempt: r.attempt }, null);
}

async function evaluateIfGated(
  deps: GateDeps,
  octokit: Octokit,
  target: Target,
  run: gate.RunRow,
  rerequested: number | null,
) {
  const repo = repoKey(target.ref);
  const decided = gate.decisionsForRun(deps.db, repo, run.runId).some((d) => d.attempt === run.attempt);
  const ready = run.dispatchId !== null || run.joinProblem !== null || run.event !== "workflow_dispatch";
  if ((decided && rerequested === null) || (!ready && rerequested === null)) return;
  await evaluate(deps, octokit, target, run, rerequested);
}

/** Decides one attempt of one run, stores the decision (and operation), then writes to GitHub. */
export async function evaluate(
  deps: GateDeps,
  octokit: Octokit,
  target: Target,
  run: gate.RunRow,
  rerequested: number | null,
): Promise<Decision> {
  const repo = repoKey(target.ref);
  const { config, error } = await currentConfig(deps, octokit, target).catch((e: unknown) => ({
    config: null,
    error: describe(e),
  }));
  const effective = config ?? store.configFor(deps.db, repo);
  const now = deps.now();
  const { decision, row } = store.transaction(deps.db, (q) => {
    const stored = run.dispatchId === null ? undefined : gate.dispatchById(q, run.dispatchId);
    const dispatch = stored ? { branch: stored.branch, inputs: stored.inputs } : null;
    const facts = gatherFacts(q, repo, run, dispatch, effective, target.defaultBranch, error, now);
    let decision = decide(facts);
    let operation: gate.OperationRow | undefined;
    if (decision.allowed && decision.request) {
      const mine = gate.operationsForRun(q, repo, run.runId).some((o) => o.attempt === run.attempt);
      if (!mine) {
        try {
          operation = openOperationFor(q, repo, run, decision, effective, now);
        } catch (e) {
          if (!(e instanceof gate.LaneBusy)) throw e;
          // Lost the race in the database itself: decide again with the winner in view.
          decision = decide({ ...facts, inFlight: gate.inFlightOn(q, repo, decision.request.lane) ?? null });
        }
      }
    }
    const row = gate.insertDecision(q, {
      repo,
      runId: run.runId,
      attempt: run.attempt,
      lane: decision.request?.lane ?? null,
      request: {
        dispatchId: run.dispatchId,
        inputs: decision.request,
        event: run.event,
        branch: run.headBranch,
      },
      checks: decision.checks,
      allowed: decision.allowed,
      issueNumber: decision.grant?.issueNumber ?? null,
      blockSha: decision.grant?.blockSha ?? null,
      decidedAt: now.toISOString(),
      checkRunId: rerequested,
    });
    if (operation) gate.linkDecision(q, operation.id, row.id);
    store.appendAudit(q, {
      repo,
      deliveryId: null,
      event: rerequested === null ? "gate" : "gate (re-requested)",
      actor: run.actor,
      subject: `run ${run.runId} attempt ${run.attempt}`,
      change: decision.title,
      at: now.toISOString(),
    });
    return { decision, row };
  });
  await publishDecision(deps, octokit, target, run, row, decision, effective);
  deps.onDecided?.(target.ref, target.installationId);
  return decision;
}

/** Reads everything the decision needs from the store; simulation calls it with a made-up run. */
export function gatherFacts(
  q: store.Q,
  repo: string,
  run: Pick<gate.RunRow, "runId" | "attempt" | "event" | "headBranch" | "joinProblem">,
  dispatch: GateFacts["dispatch"],
  config: LanegateConfig,
  defaultBranch: string,
  gatherError: string | null,
  now: Date,
): GateFacts {
  const parsed = dispatch ? parseRequest(dispatch.inputs) : null;
  const lane = parsed?.ok ? parsed.request.lane : undefined;
  const proof = (p: LanegateConfig["proofs"]["backup"]) =>
    p && lane
      ? {
          workflow: p.workflow,
          maxAgeHours: p.max_age_hours,
          runs: gate.proofRuns(q, repo, p.workflow, lane),
        }
      : null;
  const holder = lane ? gate.inFlightOn(q, repo, lane) : undefined;
  const known = gate.knownLanes(q, repo);
  for (const declared of Object.keys(baselineOf(config))) known.add(declared);
  return {
    gatherError,
    run: { runId: run.runId, attempt: run.attempt, event: run.event, headBranch: run.headBranch },
    dispatch,
    joinProblem: run.joinProblem,
    allowedBranches: config.gate.branches ?? [defaultBranch],
    knownLanes: known,
    grants: lane ? gate.laneGrants(q, repo, lane) : [],
    backup: proof(config.proofs.backup),
    restore: proof(config.proofs.restore),
    inFlight: holder && holder.runId !== run.runId ? { runId: holder.runId, attempt: holder.attempt } : null,
    earlierAttempts: gate
      .decisionsForRun(q, repo, run.runId)
      .filter((d) => d.attempt < run.attempt)
      .map((d) => ({ attempt: d.attempt, allowed: d.allowed })),
    now,
  };
}

function openOperationFor(
  q: store.Q,
  repo: string,
  run: gate.RunRow,
  decision: Decision,
  config: LanegateConfig,
  now: Date,
) {
  const request = decision.request;
  if (!request) return undefined;
  return gate.openOperation(q, {
    repo,
    lane: request.lane,
    runId: run.runId,
    attempt: run.attempt,
    decisionId: 0,
    source: request.source,
    issueNumber: decision.grant?.issueNumber ?? null,
    blockSha: decision.grant?.blockSha ?? null,
    state: "in_flight",
    leaseExpiresAt: new Date(now.getTime() + config.gate.lease_minutes * 60_000).toISOString(),
    startedAt: now.toISOString(),
  });
}

/** The decision is stored; now GitHub hears it. A failed write is retried by the sweep. */
export async function publishDecision(
  deps: GateDeps,
  octokit: Octokit,
  target: Target,
  run: gate.RunRow,
  row: gate.DecisionRow,
  decision: Decision,
  config: LanegateConfig,
) {
  const repo = repoKey(target.ref);
  const operationUrl = deps.publicUrl
    ? `${deps.publicUrl.replace(/\/$/, "")}/lanegate/api/repos/${repo}/runs/${run.runId}`
    : null;
  try {
    const id = await writeCheckRun(octokit, target.ref, {
      existingId: row.checkRunId,
      name: checkName(decision.request?.lane ?? null),
      headSha: run.headSha,
      externalId: `${run.runId}:${run.attempt}`,
      conclusion: decision.allowed ? "success" : "failure",
      title: decision.title.slice(0, 250),
      summary: renderCheckSummary(decision, run.htmlUrl, operationUrl),
      detailsUrl: operationUrl,
    });
    gate.markCheckWritten(deps.db, row.id, id, deps.now().toISOString());
  } catch (error) {
    gate.markWriteError(deps.db, row.id, describe(error));
    deps.log.warn(`${repo} run ${run.runId}: check run not written yet: ${describe(error)}`);
  }
  if (!decision.allowed && config.gate.cancel_refused_runs && run.status !== "completed") {
    await cancelRun(octokit, target.ref, run.runId).catch((e: unknown) =>
      deps.log.warn(`${repo} run ${run.runId}: cancel failed: ${describe(e)}`),
    );
  }
  await answerPendingProtection(deps, octokit, target, run.runId, config);
}

/** Answers the run's deployment protection requests with the same decision, once there is one. */
export async function answerPendingProtection(
  deps: GateDeps,
  octokit: Octokit,
  target: Target,
  runId: number,
  config: LanegateConfig,
) {
  const repo = repoKey(target.ref);
  const latest = gate.decisionsForRun(deps.db, repo, runId).at(-1);
  if (!latest) return;
  for (const request of gate.unansweredProtection(deps.db, repo, runId)) {
    const lane =
      config.gate.environments[request.environment] ?? parseLaneId(request.environment)?.id ?? null;
    const approved = latest.allowed && lane !== null && lane === latest.lane;
    const comment = !lane
      ? `environment ${request.environment} maps to no lane`
      : approved
        ? `lanegate allowed this run for ${lane}`
        : lane !== latest.lane
          ? `this run was decided for ${latest.lane ?? "no lane"}, not ${lane}`
          : `lanegate refused this run for ${lane}`;
    try {
      await answerProtectionRule(octokit, target.ref, runId, request.environment, approved, comment);
      gate.answerProtection(
        deps.db,
        request.id,
        approved ? "approved" : "rejected",
        deps.now().toISOString(),
      );
    } catch (error) {
      deps.log.warn(`${repo} run ${runId}: protection rule not answered yet: ${describe(error)}`);
    }
  }
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
  store.transaction(deps.db, (q) =>
    gate.recordProtectionRequest(q, repo, runId, p.environment, deps.now().toISOString()),
  );
  const { config } = await currentConfig(deps, octokit, target);
  await answerPendingProtection(deps, octokit, target, runId, config ?? store.configFor(deps.db, repo));
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
  const run = gate.getRun(deps.db, repoKey(target.ref), runId);
  if (!run) return;
  await evaluate(deps, octokit, target, { ...run, attempt }, c.checkRunId);
}
