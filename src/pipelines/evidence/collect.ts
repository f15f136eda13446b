// Evidence of a finished run: decide whether lanegate may read its result artifact, fetch and
// validate it, move the lane's inventory by the contract's table in one transaction, then publish.
import type { Octokit } from "../../adapters/github/client.ts";
import { appendAudit } from "../../adapters/store/audit.ts";
import { type Q, transaction } from "../../adapters/store/db.ts";
import * as evidence from "../../adapters/store/evidence.ts";
import { laneGrants } from "../../adapters/store/grants.ts";
import { operationsForRun } from "../../adapters/store/operations.ts";
import { configFor, defaultBranchOf as recordedBranchOf } from "../../adapters/store/repositories.ts";
import { decisionsForRun, getRun } from "../../adapters/store/runs.ts";
import { baselineOf, type LanegateConfig } from "../../core/config/schema.ts";
import {
  ARTIFACT_NAME,
  checkProvenance,
  type EvidenceError,
  parseResultArtifact,
  type ResultArtifact,
} from "../../core/evidence/artifact.ts";
import { nextInventory } from "../../core/evidence/inventory.ts";
import { evidenceSubject, type FinishedRun } from "../../core/evidence/subject.ts";
import { readResultZip } from "../../core/evidence/zip.ts";
import { workflowFile } from "../../core/gate/request.ts";
import { defaultBranchOf, repoKey, type Target } from "../../core/repository.ts";
import { configForIntake } from "../config.ts";
import type { GateDeps } from "../deps.ts";
import { type ArtifactFetch, fetchAttemptArtifact } from "./fetch.ts";
import { publishEvidence } from "./publish.ts";
import { recordOutcome } from "./record.ts";

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
  /** Only for judging whether a deploy run is trusted; not recorded. */
  headBranch: string | null;
  event: string;
}

/** Whose evidence a run is: the gate's verdict on it first, then the config's deploy list. */
async function whoseRun(
  q: Q,
  repo: string,
  run: CompletedRun,
  config: LanegateConfig,
  defaultBranch: string | null,
) {
  const op = (await operationsForRun(q, repo, run.runId)).find((o) => o.attempt === run.attempt);
  const decisions = await decisionsForRun(q, repo, run.runId);
  const facts: FinishedRun = {
    file: workflowFile(run.workflowPath),
    headBranch: run.headBranch,
    event: run.event,
    operation: op ? { id: op.id, lane: op.lane } : null,
    gateKnowsRun: decisions.length > 0 || (await getRun(q, repo, run.runId))?.role === "gated",
    decidedLane: decisions.filter((d) => d.attempt === run.attempt).at(-1)?.lane ?? null,
  };
  return evidenceSubject(facts, config, defaultBranch);
}

export async function onRunCompleted(deps: GateDeps, octokit: Octokit, target: Target, run: CompletedRun) {
  const repo = repoKey(target.ref);
  const { config } = await configForIntake(deps, octokit, target);
  const { headBranch: _branch, event: _event, ...recorded } = run;
  const row = await transaction(deps.db, async (q) => {
    const whose = await whoseRun(
      q,
      repo,
      run,
      config,
      defaultBranchOf(target.defaultBranch, await recordedBranchOf(q, repo)),
    );
    const opened = { repo, ...recorded, installationId: target.installationId };
    if (whose.subject) return evidence.openEvidence(q, { ...opened, ...whose.subject });
    if (whose.untrusted) await untrustedDeployment(q, opened, whose.untrusted, deps.now().toISOString());
    return null;
  });
  // A redelivery finds the record already made: one effect.
  if (row?.status === "awaiting_artifact") await collect(deps, octokit, row);
}

/** A deploy run lanegate does not trust is never read: recorded once as ignored, and audited. */
async function untrustedDeployment(
  q: Q,
  run: Omit<evidence.NewEvidence, "kind" | "operationId" | "lane">,
  why: string,
  at: string,
) {
  if (await evidence.evidenceOf(q, run.repo, run.runId, run.attempt)) return;
  const row = await evidence.openEvidence(q, { ...run, kind: "deployment", operationId: null, lane: null });
  await evidence.ignoreEvidence(q, row.id, why, at);
  await appendAudit(q, {
    repo: run.repo,
    deliveryId: null,
    event: "evidence",
    actor: null,
    subject: `run ${run.runId}`,
    change: `deployment run ${run.runId} attempt ${run.attempt} not read: ${why}`,
    at,
  });
}

/** Fetches and records the artifact; leaves the record waiting while the artifact may still come. */
export async function collect(deps: GateDeps, octokit: Octokit, row: evidence.EvidenceRow): Promise<void> {
  const allowed = row.kind === "deployment" || row.operationId !== null;
  // A run lanegate did not allow is never believed, so its artifact is not even downloaded.
  const fetched = await fetchAttemptArtifact(octokit, row, allowed);
  const now = deps.now();
  const overdue = now.getTime() - Date.parse(row.completedAt) >= ARTIFACT_WAIT_MS;
  if ((fetched.kind === "absent" || fetched.kind === "unavailable") && !overdue) return;
  const at = now.toISOString();
  if (!allowed && fetched.kind === "absent") {
    await transaction(deps.db, (q) =>
      evidence.ignoreEvidence(q, row.id, "a refused run that left no artifact", at),
    );
    return;
  }
  const unpacked =
    fetched.kind === "zip"
      ? readArtifact(fetched.bytes, row)
      : { artifact: null, claimedLane: null, error: fetchError(fetched) };
  const error: EvidenceError | null = allowed
    ? unpacked.error
    : { code: "run_not_allowed", message: "an artifact from a run lanegate did not allow is never believed" };
  const artifact = allowed ? unpacked.artifact : null;
  // A deployment run's lane is its artifact's; a stale mark on a lane it merely claims fails closed.
  const lane = row.lane ?? unpacked.claimedLane;
  const recorded = await transaction(deps.db, async (q) => {
    const current = await evidence.evidenceOf(q, row.repo, row.runId, row.attempt);
    if (current?.status !== "awaiting_artifact") return false; // the sweep and a delivery raced
    const step = lane
      ? nextInventory(await evidence.inventoryOf(q, row.repo, lane), {
          kind: row.kind,
          runId: row.runId,
          attempt: row.attempt,
          conclusion: row.conclusion,
          leaseExpired: await leaseExpired(q, row),
          artifact,
          error,
          requiresRuntimeIdentity: await requiresIdentity(q, row.repo, lane),
        })
      : null;
    await recordOutcome(q, { row, lane, artifact, error, step, at });
    return true;
  });
  if (recorded) await publishEvidence(deps, octokit, row.repo, row.runId, row.attempt);
}

function fetchError(fetched: Exclude<ArtifactFetch, { kind: "zip" }>): EvidenceError | null {
  switch (fetched.kind) {
    case "refused":
      return fetched.error;
    case "unavailable":
      return { code: "github_unavailable", message: fetched.error };
    case "absent":
      return {
        code: "artifact_missing",
        message: `no ${ARTIFACT_NAME} artifact within ${ARTIFACT_WAIT_MS / 60_000} minutes of completion`,
      };
    case "present":
      return null; // only a run lanegate did not allow leaves it unread, and that is its error
  }
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
async function leaseExpired(q: Q, row: evidence.EvidenceRow): Promise<boolean> {
  const op = (await operationsForRun(q, row.repo, row.runId)).find((o) => o.id === row.operationId);
  return op !== undefined && (op.state === "stale" || op.leaseExpiresAt < row.completedAt);
}

/** The reviewed config or the granting issue may require it; either is enough. */
export async function requiresIdentity(q: Q, repo: string, lane: string): Promise<boolean> {
  const declared = baselineOf(await configFor(q, repo))[lane]?.requires_runtime_identity === true;
  return declared || (await laneGrants(q, repo, lane)).some((g) => g.policy?.requires_runtime_identity);
}
