// A lease that runs out before its run completes: the contract's first inventory row, applied in
// the operation's own transaction so the lane is never left `ready` on a run nobody heard from.
import type { Q } from "../../adapters/store/db.ts";
import * as evidence from "../../adapters/store/evidence.ts";
import type { OperationRow } from "../../adapters/store/operations.ts";
import { getRun } from "../../adapters/store/runs.ts";
import { nextInventory } from "../../core/evidence/inventory.ts";
import { requiresIdentity } from "./collect.ts";

export function staleOnLeaseExpiry(q: Q, op: OperationRow, at: string): void {
  const step = nextInventory(evidence.inventoryOf(q, op.repo, op.lane), {
    kind: "bootstrap",
    runId: op.runId,
    attempt: op.attempt,
    conclusion: null,
    leaseExpired: true,
    artifact: null,
    error: null,
    requiresRuntimeIdentity: requiresIdentity(q, op.repo, op.lane),
  });
  // The run row is stored before any operation opens on it; were it gone, the lane still goes
  // stale, and the evidence check's failed write stays visible to the sweep.
  const run = getRun(q, op.repo, op.runId);
  evidence.recordLeaseExpiry(
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
    step,
    at,
  );
}
