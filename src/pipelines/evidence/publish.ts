// Telling GitHub what a run's evidence says: the evidence check run on the run's head SHA, and a
// refresh of the status comments that list the run. A failed write is retried by the sweep.

import { describe, type Octokit } from "../../adapters/github/client.ts";
import { writeCheckRun } from "../../adapters/github/gate.ts";
import { read, single } from "../../adapters/store/db.ts";
import * as evidence from "../../adapters/store/evidence.ts";
import { installationOf } from "../../adapters/store/repositories.ts";
import { resultArtifactSchema } from "../../core/evidence/artifact.ts";
import { RUN_OUTCOMES } from "../../core/evidence/inventory.ts";
import { evidenceCheckName, renderEvidenceCheck } from "../../core/evidence/render.ts";
import { refOf } from "../../core/repository.ts";
import type { GateDeps } from "../deps.ts";

export async function publishEvidence(
  deps: GateDeps,
  octokit: Octokit,
  repo: string,
  runId: number,
  attempt: number,
) {
  const row = await read(deps.db, (q) => evidence.evidenceOf(q, repo, runId, attempt));
  const outcome = RUN_OUTCOMES.find((s) => s === row?.laneState);
  if (!row?.lane || !outcome) return;
  const lane = row.lane;
  const { inventory, phases } = await read(deps.db, async (q) => ({
    inventory: await evidence.inventoryOf(q, repo, lane),
    phases: await evidence.phasesOf(q, repo, runId, attempt),
  }));
  const artifact = resultArtifactSchema.safeParse(row.artifact);
  const text = renderEvidenceCheck({
    lane: row.lane,
    step: { row: row.row ?? "", outcome, reason: row.reason ?? "" },
    inventory,
    artifact: artifact.success ? artifact.data : null,
    error: evidence.errorOf(row),
    phases,
    runUrl: row.htmlUrl,
  });
  const detailsUrl =
    deps.publicUrl && row.operationId !== null
      ? `${deps.publicUrl.replace(/\/$/, "")}/lanegate/repos/${repo}/operations/${row.operationId}`
      : null;
  try {
    const id = await writeCheckRun(octokit, refOf(repo), {
      existingId: null,
      name: evidenceCheckName(row.lane),
      headSha: row.headSha,
      // Not `<run_id>:<attempt>`: a re-request of this check must not look like the gate's.
      externalId: `evidence:${runId}:${attempt}`,
      ...text,
      detailsUrl,
      completedAt: deps.now(),
    });
    await single(deps.db, (q) => evidence.markEvidenceCheck(q, row.id, id, deps.now().toISOString()));
  } catch (error) {
    await single(deps.db, (q) => evidence.markEvidenceCheckError(q, row.id, describe(error)));
    deps.log.warn(`${repo} run ${runId}: evidence check run not written yet: ${describe(error)}`, {
      repository: repo,
      run_id: runId,
    });
  }
  const installationId = row.installationId ?? (await read(deps.db, (q) => installationOf(q, repo)));
  deps.onDecided?.(refOf(repo), installationId);
}
