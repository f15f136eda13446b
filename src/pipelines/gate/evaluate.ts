// The decision of one run attempt: facts gathered (GitHub first, then the store inside one
// immediate transaction), the pure core applied, and the operation row (the single-flight lock)
// opened with it. Every path that decides a run comes through here.
import type { Octokit } from "../../adapters/github/client.ts";
import * as auditStore from "../../adapters/store/audit.ts";
import { exclusive, type Q, read, transaction } from "../../adapters/store/db.ts";
import * as ops from "../../adapters/store/operations.ts";
import * as runStore from "../../adapters/store/runs.ts";
import type { LanegateConfig } from "../../core/config/schema.ts";
import { type Decision, decide, reasonOf } from "../../core/gate/decision.ts";
import { roleOf } from "../../core/gate/roles.ts";
import { openedState } from "../../core/operations.ts";
import { repoKey, type Target } from "../../core/repository.ts";
import type { CurrentConfig } from "../config.ts";
import type { GateDeps } from "../deps.ts";
import { gateScope } from "./context.ts";
import { type GatherMode, gather } from "./gather.ts";
import { publishDecision } from "./publish.ts";

export interface EvaluateOptions {
  /** A re-request: decides an attempt that was decided already. */
  rerequested?: boolean;
  /**
   * From the delivery's intake: `run` is the row as its transaction left it (not read again),
   * `config` what the intake was told of the config (see `gather`), and `firstReport` whether
   * that transaction stored the run's first report (so nothing can have decided it yet).
   */
  intake?: { run: runStore.RunRow; config: CurrentConfig; firstReport: boolean };
}

/**
 * Decides one attempt of one run, stores the decision (and operation), then writes to GitHub.
 * An attempt is decided once; only a re-request decides it again. Returns null when skipped.
 */
export async function evaluate(
  deps: GateDeps,
  octokit: Octokit,
  target: Target,
  run: runStore.RunRow,
  mode: GatherMode,
  { rerequested = false, intake }: EvaluateOptions = {},
): Promise<Decision | null> {
  const repo = repoKey(target.ref);
  // The delivery's view of the run: an attempt other than the newest one stored has finished.
  // (A newer attempt stored after this read is seen inside the deciding transaction.)
  const current = intake?.run ?? (await read(deps.db, (q) => runStore.getRun(q, repo, run.runId))) ?? run;
  const status = current.attempt === run.attempt ? current.status : "completed";
  // Most deliveries of a run come after its decision (in progress, a redelivery): a plain read
  // says so without gathering or taking the gate's lock. The transaction below checks again.
  if (!rerequested && !intake?.firstReport) {
    const decisions = await read(deps.db, (q) => runStore.decisionsForRun(q, repo, run.runId));
    if (decisions.some((d) => d.attempt === run.attempt)) return null;
  }
  const asked = { ...current, attempt: run.attempt, status };
  const gathered = await gather(deps, octokit, target, asked, mode, intake?.config);
  // The config just read decides whether the workflow is gated now: a proof workflow is never
  // gated, and one no longer listed (or an invalid config) gates nothing. Only when the config
  // could not be read is the run decided, and then refused.
  if (!gathered.error && roleOf(gathered.config, run.workflowPath) !== "gated") return null;
  const now = deps.now();
  const result = await transaction(deps.db, async (q) => {
    // Checked inside the transaction, which runs alone among the repository's gate transactions
    // on every replica: two deliveries of one run racing here decide it once.
    await exclusive(q, gateScope(repo));
    const decisions = await runStore.decisionsForRun(q, repo, run.runId);
    const decided = decisions.some((d) => d.attempt === run.attempt);
    if (decided && !rerequested) return null;
    const facts = await gathered.facts(q, now, decisions);
    let decision = decide(facts);
    let operation: ops.OperationRow | undefined;
    if (decision.allowed && decision.request) {
      const mine = (await ops.operationsForRun(q, repo, run.runId)).some((o) => o.attempt === run.attempt);
      const lane = decision.request.lane;
      // Lost the race in the database itself: decided again with the winner in view. A winner
      // that let go in between (the reconcile, `lanegate clear`) leaves the lane free to try again;
      // an allow never goes out without its operation.
      for (let attempt = 1; !mine && !operation && decision.allowed; attempt++) {
        if (attempt > 3) throw new Error(`lane ${lane}: no operation could be opened for an allowed run`);
        try {
          operation = await openOperationFor(q, repo, run, gathered.status, decision, gathered.config, now);
        } catch (e) {
          if (!(e instanceof ops.LaneBusy)) throw e;
          const holder = await ops.holderOf(q, repo, lane);
          if (holder) decision = decide({ ...facts, inFlight: holder });
        }
      }
    }
    const row = await runStore.insertDecision(q, {
      repo,
      runId: run.runId,
      attempt: run.attempt,
      lane: decision.request?.lane ?? null,
      request: {
        dispatchId: current.dispatchId,
        inputs: decision.request,
        event: run.event,
        branch: run.headBranch,
      },
      checks: decision.checks,
      allowed: decision.allowed,
      reason: reasonOf(decision),
      decision,
      issueNumber: decision.grant?.issueNumber ?? null,
      blockSha: decision.grant?.blockSha ?? null,
      decidedAt: now.toISOString(),
      checkRunId: null,
    });
    if (operation) await ops.linkDecision(q, operation.id, row.id);
    await auditStore.appendAudit(q, {
      repo,
      deliveryId: null,
      event: rerequested ? "gate (re-requested)" : "gate",
      actor: run.actor,
      subject: `run ${run.runId} attempt ${run.attempt}`,
      change: `${decision.title} [${reasonOf(decision)}]`,
      at: now.toISOString(),
    });
    return { decision, row };
  });
  if (!result) return null;
  deps.log.info(result.decision.title, {
    repository: repo,
    run_id: run.runId,
    lane: result.decision.request?.lane,
    decision: result.decision.allowed ? "allowed" : "refused",
    reason: reasonOf(result.decision),
  });
  const published = { ...current, attempt: run.attempt, status: gathered.status };
  await publishDecision(deps, octokit, target, published, result.row, result.decision, gathered.config);
  deps.onDecided?.(target.ref, target.installationId);
  return result.decision;
}

function openOperationFor(
  q: Q,
  repo: string,
  run: runStore.RunRow,
  status: string,
  decision: Decision,
  config: LanegateConfig,
  now: Date,
) {
  const request = decision.request;
  if (!request) return undefined;
  return ops.openOperation(q, {
    repo,
    lane: request.lane,
    runId: run.runId,
    attempt: run.attempt,
    decisionId: 0,
    source: request.source,
    issueNumber: decision.grant?.issueNumber ?? null,
    blockSha: decision.grant?.blockSha ?? null,
    state: openedState(status),
    leaseExpiresAt: new Date(now.getTime() + config.gate.lease_minutes * 60_000).toISOString(),
    startedAt: now.toISOString(),
  });
}
