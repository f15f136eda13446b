// The decision of one run attempt: facts gathered from the store in one immediate transaction,
// the pure core applied, and the operation row (the single-flight lock) opened with it.

import { describe, type Octokit } from "../../adapters/github/client.ts";
import * as gate from "../../adapters/store/gate.ts";
import * as store from "../../adapters/store/lanes.ts";
import { baselineOf, type LanegateConfig } from "../../core/config/schema.ts";
import type { DeclaredLane } from "../../core/domain.ts";
import { type Decision, decide, type GateFacts, type GrantFact } from "../../core/gate/decision.ts";
import { parseRequest } from "../../core/gate/request.ts";
import { underBaseline } from "../../core/policy/baseline.ts";
import { repoKey } from "../lanes/sync.ts";
import { currentConfig, type GateDeps, type Target } from "./context.ts";
import { publishDecision } from "./publish.ts";

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
  const known = new Set(lane && (gate.laneKnown(q, repo, lane) || lane in baselineOf(config)) ? [lane] : []);
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
