// Turns workflow_run.completed and workflow_job deliveries into plain requests for the evidence
// pipeline. It keeps its own idempotency (one record per run attempt, phases merged by rank)
// rather than the gate's delivery table, so neither handler can hide the other's delivery.
import type { Context } from "probot";
import { JOB_STATUSES } from "../core/evidence/phases.ts";
import { type Target, targetOf } from "../core/repository.ts";
import type { GateDeps } from "../pipelines/deps.ts";
import { onRunCompleted } from "../pipelines/evidence/collect.ts";
import { onWorkflowJob } from "../pipelines/evidence/phases.ts";

function target(payload: Context<"workflow_run" | "workflow_job">["payload"]): Target {
  return targetOf(
    { owner: payload.repository.owner.login, repo: payload.repository.name },
    payload.installation?.id ?? null,
    { delivered: payload.repository.default_branch },
  );
}

export function evidenceHandlers(deps: GateDeps) {
  return {
    async completed({ payload, octokit }: Context<"workflow_run.completed">) {
      const r = payload.workflow_run;
      await onRunCompleted(deps, octokit, target(payload), {
        runId: r.id,
        attempt: r.run_attempt,
        workflowPath: r.path,
        headSha: r.head_sha,
        htmlUrl: r.html_url,
        conclusion: r.conclusion,
        completedAt: r.updated_at,
        headBranch: r.head_branch,
        event: r.event,
      });
    },
    async job({ payload, octokit, id }: Context<"workflow_job">) {
      const j = payload.workflow_job;
      const status = JOB_STATUSES.find((s) => s === j.status);
      if (!status) return;
      await onWorkflowJob(deps, octokit, target(payload), {
        deliveryId: id,
        runId: j.run_id,
        attempt: j.run_attempt,
        name: j.name,
        status,
        conclusion: j.conclusion,
        startedAt: j.started_at,
        completedAt: j.completed_at,
      });
    },
  };
}
