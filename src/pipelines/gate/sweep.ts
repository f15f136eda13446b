// The gate's timer work: what no delivery will ever trigger. Dispatches no run claimed expire,
// runs no dispatch joined are refused, leases run out, and check runs that failed to write are
// written again. Every step is recorded in the audit log.
import type { Probot } from "probot";
import type { Octokit } from "../../adapters/github/client.ts";
import { describe } from "../../adapters/github/client.ts";
import * as auditStore from "../../adapters/store/audit.ts";
import { read, transaction } from "../../adapters/store/db.ts";
import { pastLease } from "../../adapters/store/operations.ts";
import * as repoStore from "../../adapters/store/repositories.ts";
import * as runStore from "../../adapters/store/runs.ts";
import { DELIVERY_CLAIM_MS } from "../../core/deliveries.ts";
import { JOIN_WINDOW_MS } from "../../core/gate/join.ts";
import { cancelsRun } from "../../core/gate/runs.ts";
import { storedTarget } from "../config.ts";
import type { GateDeps } from "../deps.ts";
import { moveOperation } from "../operations.ts";
import { evaluate } from "./evaluate.ts";
import { answerPendingProtection, cancelRefused, publishDecision } from "./publish.ts";

/** How long a run may wait for its dispatch before it is refused as unjoinable. */
export const UNJOINED_RUN_GRACE_MS = 2 * 60_000;

export async function gateSweep(deps: GateDeps, app: Probot): Promise<void> {
  const now = deps.now();
  const at = now.toISOString();
  await transaction(deps.db, async (q) => {
    for (const d of await runStore.expireDispatches(
      q,
      new Date(now.getTime() - JOIN_WINDOW_MS).toISOString(),
      at,
    )) {
      const change = `dispatch by ${d.actor} expired: no run claimed it (${JSON.stringify(d.inputs)})`;
      await auditStore.appendAudit(q, {
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
    for (const op of await pastLease(q, now))
      await moveOperation(q, op, { kind: "lease_expired" }, cause, at);
  });
  const octokits = new Map<string, Octokit>();
  const octokitFor = async (repo: string) => {
    const installationId = await read(deps.db, (q) => repoStore.installationOf(q, repo));
    if (installationId === null) return null;
    const cached = octokits.get(repo) ?? (await app.auth(installationId));
    octokits.set(repo, cached);
    return cached;
  };
  const cutoff = new Date(now.getTime() - UNJOINED_RUN_GRACE_MS).toISOString();
  for (const run of await read(deps.db, (q) => runStore.undecidedRuns(q, cutoff))) {
    const octokit = await octokitFor(run.repo);
    if (!octokit) continue;
    const target = await storedTarget(deps.db, run.repo);
    await evaluate(deps, octokit, target, run, "github").catch((e: unknown) =>
      deps.log.warn(`sweep: ${describe(e)}`),
    );
  }
  // Protection answers that failed, or that waited for a decision, are tried again.
  const unanswered = await read(deps.db, (q) => runStore.allUnansweredProtection(q));
  for (const repo of new Set(unanswered.map((r) => r.repo))) {
    const octokit = await octokitFor(repo);
    if (!octokit) continue;
    const target = await storedTarget(deps.db, repo);
    for (const runId of new Set(unanswered.filter((r) => r.repo === repo).map((r) => r.runId))) {
      await answerPendingProtection(deps, octokit, target, runId);
    }
  }
  // A decision younger than a delivery's claim may still be on its way to GitHub (write pacing
  // queues check runs under a burst): writing it here too would spend a request on a duplicate.
  // One whose write failed, or whose replica died, is written again.
  const decidedBefore = new Date(now.getTime() - DELIVERY_CLAIM_MS).toISOString();
  for (const row of await read(deps.db, (q) => runStore.unwrittenDecisions(q, decidedBefore))) {
    const octokit = await octokitFor(row.repo);
    const run = await read(deps.db, (q) => runStore.getRun(q, row.repo, row.runId));
    if (!octokit || !run) continue;
    const target = await storedTarget(deps.db, row.repo);
    const decision = row.stored;
    if (!decision) {
      deps.log.warn(`${row.repo} run ${row.runId}: decision ${row.id} has no stored decision to write`, {
        repository: row.repo,
        run_id: row.runId,
      });
      continue;
    }
    const config = await read(deps.db, (q) => repoStore.configFor(q, row.repo));
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
  for (const { run, allowed, operations } of await read(deps.db, (q) => runStore.unfinishedDecidedRuns(q))) {
    const config = await read(deps.db, (q) => repoStore.configFor(q, run.repo));
    const cancelRefusedRuns = config.gate.cancel_refused_runs;
    if (!cancelsRun({ cancelRefusedRuns, status: run.status, allowed, operations })) continue;
    const octokit = await octokitFor(run.repo);
    if (octokit) await cancelRefused(deps, octokit, run.repo, run.runId);
  }
}
