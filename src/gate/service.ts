// The gate pipeline: record what a delivery says, join dispatches to runs, decide with the pure
// core on stored facts in one transaction (the operation row is the single-flight lock), then
// write the check run, cancel a refused run and answer protection rules.

import { configInForce } from "../config/load.ts";
import { baselineOf, type LanegateConfig } from "../config/schema.ts";
import { type DeclaredLane, parseLaneId } from "../domain.ts";
import { describe, loadConfig, type Octokit, type RepoRef } from "../github/client.ts";
import { answerProtectionRule, cancelRun, readRun, writeCheckRun } from "../github/gate.ts";
import { repoKey, type SyncDeps } from "../lanes/sync.ts";
import { underBaseline } from "../policy/baseline.ts";
import * as gate from "../store/gate.ts";
import * as store from "../store/lanes.ts";
import { type Decision, decide, type GateFacts, type GrantFact } from "./decision.ts";
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
  for (const run of joined) await evaluateIfGated(deps, octokit, target, run, false);
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
        // A late completion of an earlier attempt must not end a later attempt's operation.
        if ((op.state !== "in_flight" && op.state !== "stale") || op.attempt !== r.attempt) continue;
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
  await evaluateIfGated(deps, octokit, target, { ...run, attempt: r.attempt }, false);
}

async function evaluateIfGated(
  deps: GateDeps,
  octokit: Octokit,
  target: Target,
  run: gate.RunRow,
  rerequested: boolean,
) {
  const ready = run.dispatchId !== null || run.joinProblem !== null || run.event !== "workflow_dispatch";
  if (ready || rerequested) await evaluate(deps, octokit, target, run, rerequested);
}

/**
 * Decides one attempt of one run, stores the decision (and operation), then writes to GitHub.
 * An attempt is decided once; only a re-request decides it again. Returns null when skipped.
 */
export async function evaluate(
  deps: GateDeps,
  octokit: Octokit,
  target: Target,
  run: gate.RunRow,
  rerequested: boolean,
): Promise<Decision | null> {
  const repo = repoKey(target.ref);
  const { config, error } = await currentConfig(deps, octokit, target).catch((e: unknown) => ({
    config: null,
    error: describe(e),
  }));
  const effective = config ?? store.configFor(deps.db, repo);
  const now = deps.now();
  const result = store.transaction(deps.db, (q) => {
    // Checked inside the transaction: two deliveries of one run racing here decide it once.
    const decided = gate.decisionsForRun(q, repo, run.runId).some((d) => d.attempt === run.attempt);
    if (decided && !rerequested) return null;
    const current = gate.getRun(q, repo, run.runId) ?? run;
    const stored = current.dispatchId === null ? undefined : gate.dispatchById(q, current.dispatchId);
    const dispatch = stored ? { branch: stored.branch, inputs: stored.inputs } : null;
    const finished = current.status === "completed" && current.attempt === run.attempt;
    const facts = gatherFacts(
      q,
      repo,
      { ...current, attempt: run.attempt, finished },
      dispatch,
      effective,
      target.defaultBranch,
      error,
      now,
    );
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
      checkRunId: null,
    });
    if (operation) gate.linkDecision(q, operation.id, row.id);
    store.appendAudit(q, {
      repo,
      deliveryId: null,
      event: rerequested ? "gate (re-requested)" : "gate",
      actor: run.actor,
      subject: `run ${run.runId} attempt ${run.attempt}`,
      change: decision.title,
      at: now.toISOString(),
    });
    return { decision, row };
  });
  if (!result) return null;
  await publishDecision(deps, octokit, target, run, result.row, result.decision, effective);
  deps.onDecided?.(target.ref, target.installationId);
  return result.decision;
}

/** Reads everything the decision needs from the store; simulation calls it with a made-up run. */
export function gatherFacts(
  q: store.Q,
  repo: string,
  run: Pick<gate.RunRow, "runId" | "attempt" | "event" | "headBranch" | "joinProblem"> & {
    finished: boolean;
  },
  dispatch: GateFacts["dispatch"],
  config: LanegateConfig,
  defaultBranch: string,
  gatherError: string | null,
  now: Date,
): GateFacts {
  const allowedBranches = config.gate.branches ?? [defaultBranch];
  const parsed = dispatch ? parseRequest(dispatch.inputs) : null;
  const lane = parsed?.ok ? parsed.request.lane : undefined;
  const proof = (p: LanegateConfig["proofs"]["backup"]) =>
    p && lane
      ? {
          workflow: p.workflow,
          maxAgeHours: p.max_age_hours,
          runs: gate.proofRuns(q, repo, p.workflow, lane, allowedBranches),
        }
      : null;
  const holder = lane ? gate.inFlightOn(q, repo, lane) : undefined;
  const known = gate.knownLanes(q, repo);
  for (const declared of Object.keys(baselineOf(config))) known.add(declared);
  return {
    gatherError,
    run: {
      runId: run.runId,
      attempt: run.attempt,
      event: run.event,
      headBranch: run.headBranch,
      finished: run.finished,
    },
    dispatch,
    joinProblem: run.joinProblem,
    allowedBranches,
    knownLanes: known,
    grants: lane
      ? gate.laneGrants(q, repo, lane).map((g) => checkedAgainst(g, baselineOf(config)[lane]))
      : [],
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

/** A grant the current baseline makes too weak counts as invalid; otherwise it takes the baseline's flags. */
function checkedAgainst(grant: GrantFact, declared: DeclaredLane | undefined): GrantFact {
  const policy = underBaseline(grant.policy, declared);
  return typeof policy === "string" ? { ...grant, state: "invalid", reason: policy } : { ...grant, policy };
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
    try {
      await cancelRun(octokit, target.ref, run.runId);
      // lanegate ended it: a later re-request must see a finished run, not one to allow.
      gate.markRunCancelled(deps.db, repo, run.runId, deps.now().toISOString());
    } catch (e) {
      deps.log.warn(`${repo} run ${run.runId}: cancel failed: ${describe(e)}`);
    }
  }
  await answerPendingProtection(deps, octokit, target, run.runId, config);
}

/** How long a protection request may wait for a decision before it is rejected as undecidable. */
export const PROTECTION_GRACE_MS = 5 * 60_000;

/**
 * Answers the run's deployment protection requests with the decision for the run's current
 * attempt (asked of GitHub: a re-run's jobs may ask before its delivery arrives). With no
 * decision yet the request waits; past the grace period it is rejected.
 */
export async function answerPendingProtection(
  deps: GateDeps,
  octokit: Octokit,
  target: Target,
  runId: number,
  config: LanegateConfig,
) {
  const repo = repoKey(target.ref);
  const pending = gate.unansweredProtection(deps.db, repo, runId);
  if (pending.length === 0) return;
  let attempt: number;
  try {
    attempt = (await readRun(octokit, target.ref, runId)).attempt;
  } catch (error) {
    deps.log.warn(
      `${repo} run ${runId}: cannot read its attempt, protection rule left pending: ${describe(error)}`,
    );
    return;
  }
  const latest = gate
    .decisionsForRun(deps.db, repo, runId)
    .filter((d) => d.attempt === attempt)
    .at(-1);
  const now = deps.now();
  for (const request of pending) {
    const overdue = now.getTime() - Date.parse(request.receivedAt) > PROTECTION_GRACE_MS;
    if (!latest && !overdue) continue;
    const lane =
      config.gate.environments[request.environment] ?? parseLaneId(request.environment)?.id ?? null;
    const approved = latest?.allowed === true && lane !== null && lane === latest.lane;
    const comment = !latest
      ? `lanegate has no decision for attempt ${attempt} of this run`
      : !lane
        ? `environment ${request.environment} maps to no lane`
        : approved
          ? `lanegate allowed this run for ${lane}`
          : lane !== latest.lane
            ? `this run was decided for ${latest.lane ?? "no lane"}, not ${lane}`
            : `lanegate refused this run for ${lane}`;
    try {
      await answerProtectionRule(octokit, target.ref, runId, request.environment, approved, comment);
      gate.answerProtection(deps.db, request.id, approved ? "approved" : "rejected", now.toISOString());
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
  const repo = repoKey(target.ref);
  const stored = gate.getRun(deps.db, repo, runId);
  if (!stored) return;
  // Ask GitHub where the run is now: a re-request of a finished run must not open an operation.
  const live = await readRun(octokit, target.ref, runId).catch(() => null);
  const run = live ? { ...stored, status: live.status, conclusion: live.conclusion } : stored;
  if (live)
    store.transaction(deps.db, (q) => gate.setRunStatus(q, repo, runId, live.status, live.conclusion));
  // A new check run, not an update of the old one: the newest check run carries the decision.
  await evaluate(deps, octokit, target, { ...run, attempt }, true);
}
