// Evidence of a finished run: decide whether lanegate may read its result artifact, fetch and
// validate it, move the lane's inventory by the contract's table in one transaction, then publish.
import { fetchResultArtifact } from "../../adapters/github/artifacts.ts";
import type { Octokit } from "../../adapters/github/client.ts";
import { type Q, transaction } from "../../adapters/store/db.ts";
import * as evidence from "../../adapters/store/evidence.ts";
import { laneGrants } from "../../adapters/store/grants.ts";
import { operationsForRun } from "../../adapters/store/operations.ts";
import { configFor } from "../../adapters/store/repositories.ts";
import { decisionsForRun } from "../../adapters/store/runs.ts";
import { baselineOf, type LanegateConfig } from "../../core/config/schema.ts";
import {
  ARTIFACT_NAME,
  checkProvenance,
  type EvidenceError,
  parseResultArtifact,
  type ResultArtifact,
} from "../../core/evidence/artifact.ts";
import { nextInventory } from "../../core/evidence/inventory.ts";
import { readResultZip } from "../../core/evidence/zip.ts";
import { workflowFile } from "../../core/gate/request.ts";
import { configForIntake, type GateDeps, type Target } from "../gate/context.ts";
import { refOf, repoKey } from "../lanes/sync.ts";
import { publishEvidence } from "./publish.ts";

/** How long after its run completes an artifact may take to appear before it counts as missing. */
export const ARTIFACT_WAIT_MS = 2 * 60_000;

export interface CompletedRun {
  runId: number;
  attempt: number;
  workflowPath: string;
  headSha: string;
  htmlUrl: string;
  conclusion: string | null;
  completedAt: string;
}

/** Whose evidence a run is: an allowed run's, a deploy workflow's, or a gated run lanegate refused. */
function subjectOf(q: Q, repo: string, run: CompletedRun, config: LanegateConfig) {
  const file = workflowFile(run.workflowPath);
  const op = operationsForRun(q, repo, run.runId).find((o) => o.attempt === run.attempt);
  if (op) return { kind: "bootstrap" as const, operationId: op.id, lane: op.lane };
  if (config.evidence.deploy_workflows.includes(file))
    return { kind: "deployment" as const, operationId: null, lane: null };
  if (!config.gate.workflows.includes(file)) return null;
  // Refused (or never decided): its artifact is never believed, but that it exists is news.
  const decision = decisionsForRun(q, repo, run.runId)
    .filter((d) => d.attempt === run.attempt)
    .at(-1);
  return { kind: "bootstrap" as const, operationId: null, lane: decision?.lane ?? null };
}

export async function onRunCompleted(deps: GateDeps, octokit: Octokit, target: Target, run: CompletedRun) {
  const repo = repoKey(target.ref);
  const config = await configForIntake(deps, octokit, target);
  const row = transaction(deps.db, (q) => {
    const subject = subjectOf(q, repo, run, config);
    return subject
      ? evidence.openEvidence(q, { repo, ...run, ...subject, installationId: target.installationId })
      : null;
  });
  // A redelivery finds the record already made: one effect.
  if (row?.status === "awaiting_artifact") await collect(deps, octokit, row);
}

/** Fetches and records the artifact; leaves the record waiting while the artifact may still come. */
export async function collect(deps: GateDeps, octokit: Octokit, row: evidence.EvidenceRow): Promise<void> {
  const fetched = await fetchResultArtifact(octokit, refOf(row.repo), row.runId);
  const now = deps.now();
  const overdue = now.getTime() - Date.parse(row.completedAt) >= ARTIFACT_WAIT_MS;
  if ((fetched.kind === "absent" || fetched.kind === "unavailable") && !overdue) return;
  const at = now.toISOString();
  const allowed = row.kind === "deployment" || row.operationId !== null;
  if (!allowed && fetched.kind === "absent") {
    transaction(deps.db, (q) =>
      evidence.ignoreEvidence(q, row.id, "a refused run that left no artifact", at),
    );
    return;
  }
  const read =
    fetched.kind === "zip"
      ? readArtifact(fetched.bytes, row)
      : {
          artifact: null,
          claimedLane: null,
          error:
            fetched.kind === "refused"
              ? fetched.error
              : fetched.kind === "unavailable"
                ? { code: "github_unavailable" as const, message: fetched.error }
                : {
                    code: "artifact_missing" as const,
                    message: `no ${ARTIFACT_NAME} artifact within ${ARTIFACT_WAIT_MS / 60_000} minutes of completion`,
                  },
        };
  const error: EvidenceError | null = allowed
    ? read.error
    : { code: "run_not_allowed", message: "an artifact from a run lanegate did not allow is never believed" };
  const artifact = allowed ? read.artifact : null;
  // A deployment run's lane is its artifact's; a stale mark on a lane it merely claims fails closed.
  const lane = row.lane ?? read.claimedLane;
  const recorded = transaction(deps.db, (q) => {
    const current = evidence.evidenceOf(q, row.repo, row.runId, row.attempt);
    if (current?.status !== "awaiting_artifact") return false; // the sweep and a delivery raced
    const step = lane
      ? nextInventory(evidence.inventoryOf(q, row.repo, lane), {
          kind: row.kind,
          runId: row.runId,
          attempt: row.attempt,
          conclusion: row.conclusion,
          leaseExpired: leaseExpired(q, row),
          artifact,
          error,
          requiresRuntimeIdentity: requiresIdentity(q, row.repo, lane),
        })
      : null;
    evidence.recordEvidence(q, { row, lane, artifact, error, step, at });
    return true;
  });
  if (recorded) await publishEvidence(deps, octokit, row.repo, row.runId, row.attempt);
}

function readArtifact(bytes: Uint8Array, row: evidence.EvidenceRow) {
  const text = readResultZip(bytes);
  if (!text.ok) return { artifact: null, claimedLane: null, error: text.error };
  const parsed = parseResultArtifact(text.value);
  if (!parsed.ok) return { artifact: null, claimedLane: null, error: parsed.error };
  const wrong = checkProvenance(parsed.value, {
    kind: row.kind,
    runId: row.runId,
    attempt: row.attempt,
    lane: row.lane,
  });
  return {
    artifact: wrong ? null : (parsed.value as ResultArtifact),
    claimedLane: parsed.value.lane,
    error: wrong,
  };
}

/** Judged by time as well as state: the gate may have ended the stale operation already. */
function leaseExpired(q: Q, row: evidence.EvidenceRow): boolean {
  const op = operationsForRun(q, row.repo, row.runId).find((o) => o.id === row.operationId);
  return op !== undefined && (op.state === "stale" || op.leaseExpiresAt < row.completedAt);
}

/** The reviewed config or the granting issue may require it; either is enough. */
export function requiresIdentity(q: Q, repo: string, lane: string): boolean {
  const declared = baselineOf(configFor(q, repo))[lane]?.requires_runtime_identity === true;
  return declared || laneGrants(q, repo, lane).some((g) => g.policy?.requires_runtime_identity);
}
