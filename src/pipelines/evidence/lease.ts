// An operation that ends with no run to read: its lease runs out before the run completes, or the
// reconcile finds GitHub no longer has the run (its artifacts went with it). Either way the
// contract's first inventory row applies, in the operation's own transaction, so the lane is never
// left `ready` on a run nobody can hear from.
import type { Q } from "../../adapters/store/db.ts";
import * as evidence from "../../adapters/store/evidence.ts";
import type { OperationRow } from "../../adapters/store/operations.ts";
import { getRun } from "../../adapters/store/runs.ts";
import type { EvidenceError } from "../../core/evidence/artifact.ts";
import { nextInventory } from "../../core/evidence/inventory.ts";
import { requiresIdentity } from "./collect.ts";
import { moveLane } from "./record.ts";

export const staleOnLeaseExpiry = (q: Q, op: OperationRow, at: string) => staleWithoutRun(q, op, at, null);

export const staleOnRunGone = (q: Q, op: OperationRow, at: string) =>
  staleWithoutRun(q, op, at, {
    code: "run_not_found",
    message: "GitHub no longer has the run, so it has no artifact to read",
  });

/** `gone` is null for a lease that ran out (the run may still report), else why nothing can. */
async function staleWithoutRun(
  q: Q,
  op: OperationRow,
  at: string,
  gone: EvidenceError | null,
): Promise<void> {
  const step = nextInventory(await evidence.inventoryOf(q, op.repo, op.lane), {
    kind: "bootstrap",
    runId: op.runId,
    attempt: op.attempt,
    conclusion: null,
    leaseExpired: gone === null,
    artifact: null,
    error: gone,
    requiresRuntimeIdentity: await requiresIdentity(q, op.repo, op.lane),
  });
  // The run row is stored before any operation opens on it; were it gone, the lane still goes
  // stale, and the evidence check's failed write stays visible to the sweep.
  const run = await getRun(q, op.repo, op.runId);
  const made = await evidence.recordWithoutRun(
    q,
    {
      repo: op.repo,
      runId: op.runId,
      attempt: op.attempt,
      kind: "bootstrap",
      operationId: op.id,
      lane: op.lane,
      workflowPath: run?.workflowPath ?? "",
      headSha: run?.headSha ?? "",
      htmlUrl: run?.htmlUrl ?? "",
      conclusion: null,
      completedAt: at,
    },
    { step, error: gone, at },
  );
  // A run that already has a record keeps its lane where its evidence put it.
  if (made) await moveLane(q, made, op.lane, step, at);
}
