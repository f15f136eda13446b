// Evidence recorded in the caller's transaction, with its audit lines: the pipeline that judged a
// run writes what it decided and why; the store only keeps the rows.
import { appendAudit } from "../../adapters/store/audit.ts";
import type { Q } from "../../adapters/store/db.ts";
import * as evidence from "../../adapters/store/evidence.ts";
import type { InventoryStep } from "../../core/evidence/inventory.ts";
import { describeEvidenceError, describeInventoryMove } from "../../core/evidence/render.ts";

/** Records the outcome, moves the lane's inventory and writes every transition to the audit log. */
export async function recordOutcome(q: Q, o: evidence.EvidenceOutcome): Promise<void> {
  const { row, step, lane } = o;
  await evidence.recordEvidence(q, o);
  if (o.error)
    await appendAudit(q, {
      repo: row.repo,
      deliveryId: null,
      event: "evidence",
      actor: null,
      subject: lane ?? `run ${row.runId}`,
      change: describeEvidenceError(o.error, row),
      at: o.at,
    });
  if (step && lane) await moveLane(q, row, lane, step, o.at);
}

/** Sets the lane's inventory to the step and audits the transition with the run that caused it. */
export async function moveLane(
  q: Q,
  row: evidence.EvidenceRow,
  lane: string,
  step: InventoryStep,
  at: string,
) {
  const before = await evidence.inventoryOf(q, row.repo, lane);
  await evidence.moveInventory(q, row, lane, step, at);
  await appendAudit(q, {
    repo: row.repo,
    deliveryId: null,
    event: "evidence",
    actor: null,
    subject: lane,
    change: describeInventoryMove(before, step, row),
    at,
  });
}
