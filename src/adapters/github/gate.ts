// GitHub writes and reads of the gate: check runs (the gate's and the evidence's), cancelling
// runs, deployment protection answers.
import type { RepoRef } from "../../core/repository.ts";
import type { Octokit } from "./client.ts";
import { statusOf } from "./client.ts";

export interface CheckRunWrite {
  existingId: number | null;
  name: string;
  headSha: string;
  externalId: string;
  conclusion: "success" | "failure";
  title: string;
  summary: string;
  detailsUrl: string | null;
  /** When the check completed, by the caller's injected clock, never the wall clock. */
  completedAt: Date;
}

/** Creates the check run completed in one call, or updates the one a re-request named. */
export async function writeCheckRun(octokit: Octokit, ref: RepoRef, c: CheckRunWrite): Promise<number> {
  const body = {
    status: "completed" as const,
    conclusion: c.conclusion,
    completed_at: c.completedAt.toISOString(),
    external_id: c.externalId,
    output: { title: c.title, summary: c.summary },
    ...(c.detailsUrl ? { details_url: c.detailsUrl } : {}),
  };
  if (c.existingId !== null) {
    await octokit.rest.checks.update({ ...ref, check_run_id: c.existingId, ...body });
    return c.existingId;
  }
  const { data } = await octokit.rest.checks.create({ ...ref, name: c.name, head_sha: c.headSha, ...body });
  return data.id;
}

/** Cancels a refused run; a run that already finished (409) needs nothing. */
export async function cancelRun(octokit: Octokit, ref: RepoRef, runId: number): Promise<void> {
  try {
    await octokit.rest.actions.cancelWorkflowRun({ ...ref, run_id: runId });
  } catch (error) {
    if (statusOf(error) !== 409) throw error;
  }
}

export async function answerProtectionRule(
  octokit: Octokit,
  ref: RepoRef,
  runId: number,
  environment: string,
  approved: boolean,
  comment: string,
): Promise<void> {
  await octokit.rest.actions.reviewCustomGatesForRun({
    ...ref,
    run_id: runId,
    environment_name: environment,
    state: approved ? "approved" : "rejected",
    comment: comment.slice(0, 1000),
  });
}

/** The run's real state, for reconciling an operation whose run never reported back. */
/** The repository's default branch, for a decision whose delivery did not name it. */
export async function readDefaultBranch(octokit: Octokit, ref: RepoRef): Promise<string> {
  const { data } = await octokit.rest.repos.get({ ...ref });
  return data.default_branch;
}

export async function readRun(octokit: Octokit, ref: RepoRef, runId: number) {
  const { data } = await octokit.rest.actions.getWorkflowRun({ ...ref, run_id: runId });
  return {
    status: data.status ?? "unknown",
    conclusion: data.conclusion ?? null,
    attempt: data.run_attempt ?? 1,
  };
}
