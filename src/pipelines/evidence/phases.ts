// Phases while a run goes: a workflow_job delivery updates its phase of an allowed run. A job of a
// run lanegate never allowed changes nothing and is recorded as an evidence error.
import type { Octokit } from "../../adapters/github/client.ts";
import { appendAudit } from "../../adapters/store/audit.ts";
import { transaction } from "../../adapters/store/db.ts";
import * as evidence from "../../adapters/store/evidence.ts";
import { operationsForRun } from "../../adapters/store/operations.ts";
import { mergePhase, type PhaseRecord, phaseOfJob, samePhase } from "../../core/evidence/phases.ts";
import { repoKey, type Target } from "../../core/repository.ts";
import { configForIntake } from "../config.ts";
import type { GateDeps } from "../deps.ts";

export interface JobReport {
  deliveryId: string;
  runId: number;
  attempt: number;
  name: string;
  status: PhaseRecord["status"];
  conclusion: string | null;
  startedAt: string | null;
  completedAt: string | null;
}

export async function onWorkflowJob(deps: GateDeps, octokit: Octokit, target: Target, job: JobReport) {
  const repo = repoKey(target.ref);
  const { config } = await configForIntake(deps, octokit, target);
  const phase = phaseOfJob(config.evidence.jobs, job.name);
  if (!phase) return; // not a job lanegate tracks: every CI job of the repository arrives here
  const update: PhaseRecord = {
    phase,
    job: job.name,
    status: job.status,
    conclusion: job.conclusion,
    // Only started jobs have a meaningful start: GitHub fills started_at in for queued ones too.
    started_at: job.status === "queued" || job.status === "waiting" ? null : job.startedAt,
    completed_at: job.status === "completed" ? job.completedAt : null,
  };
  const at = deps.now().toISOString();
  await transaction(deps.db, async (q) => {
    const op = (await operationsForRun(q, repo, job.runId)).find((o) => o.attempt === job.attempt);
    if (!op) {
      await appendAudit(q, {
        repo,
        deliveryId: job.deliveryId,
        event: "workflow_job",
        actor: null,
        subject: `run ${job.runId}`,
        change: `evidence error unknown_run: job ${JSON.stringify(job.name)} (${phase}) of run ${job.runId} attempt ${job.attempt}, which lanegate never allowed; ignored`,
        at,
      });
      return;
    }
    const stored =
      (await evidence.phasesOf(q, repo, job.runId, job.attempt)).find((p) => p.phase === phase) ?? null;
    const merged = mergePhase(stored, update);
    if (!samePhase(stored, merged)) await evidence.savePhase(q, repo, job.runId, job.attempt, merged);
  });
}
