// The Actions slice of the stand-in that evidence needs: a run's artifacts (listed and downloaded
// through a 302 to a separate storage URL that refuses an Authorization header, as GitHub's does)
// and workflow_job deliveries.
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Model, Repo, WorkflowRun } from "./model.ts";
import { iso, type Json } from "./shapes.ts";
import { type Delivery, delivery, envelope } from "./webhooks.ts";

export interface Artifact {
  id: number;
  name: string;
  bytes: Uint8Array;
  expired: boolean;
  createdAt: Date;
}

export type JobStatus = "queued" | "waiting" | "in_progress" | "completed";

/** Where downloads are served from: not under the API prefix, so no API route can answer it. */
export const BLOB_PREFIX = "/_blobs/";

export function artifactJson(s: Model, repo: Repo, run: WorkflowRun, a: Artifact): Json {
  const url = `${s.apiUrl}/repos/${repo.fullName}/actions/artifacts/${a.id}`;
  const expires = new Date(a.createdAt.getTime() + 90 * 86_400_000);
  return {
    id: a.id,
    node_id: `MDg6QXJ0aWZhY3Q${a.id}`,
    name: a.name,
    size_in_bytes: a.bytes.length,
    url,
    archive_download_url: `${url}/zip`,
    expired: a.expired,
    created_at: iso(a.createdAt),
    expires_at: iso(expires),
    updated_at: iso(a.createdAt),
    digest: null,
    workflow_run: {
      id: run.id,
      repository_id: repo.id,
      head_repository_id: repo.id,
      head_branch: run.headBranch,
      head_sha: run.headSha,
    },
  };
}

/** A download link that works once and only without credentials, like GitHub's storage. */
export function blobUrl(s: Model, bytes: Uint8Array): string {
  const token = randomBytes(12).toString("hex");
  s.blobs.set(token, bytes);
  return `${s.htmlUrl}${BLOB_PREFIX}${token}`;
}

/** Answers a storage download; false when the path is not one. */
export function serveBlob(s: Model, req: IncomingMessage, res: ServerResponse, path: string): boolean {
  if (!path.startsWith(BLOB_PREFIX)) return false;
  const token = path.slice(BLOB_PREFIX.length);
  const bytes = s.blobs.get(token);
  if (req.headers.authorization) {
    // The app's token must never reach storage; failing loudly makes a leak a test failure.
    s.leakedAuthorization.push(req.headers.authorization);
    res.writeHead(400, { "content-type": "text/plain" }).end("Authorization header is not accepted here");
  } else if (!bytes) {
    res.writeHead(404, { "content-type": "text/plain" }).end("no such blob");
  } else {
    s.blobs.delete(token);
    res.writeHead(200, { "content-type": "application/zip", "content-length": String(bytes.length) });
    res.end(Buffer.from(bytes));
  }
  return true;
}

export function jobDelivery(
  s: Model,
  repo: Repo,
  run: WorkflowRun,
  job: {
    id: number;
    name: string;
    status: JobStatus;
    conclusion: string | null;
    startedAt: Date;
    completedAt: Date | null;
  },
): Delivery {
  const url = `${s.apiUrl}/repos/${repo.fullName}/actions/jobs/${job.id}`;
  return delivery("workflow_job", {
    action: job.status,
    workflow_job: {
      id: job.id,
      run_id: run.id,
      run_url: `${s.apiUrl}/repos/${repo.fullName}/actions/runs/${run.id}`,
      run_attempt: run.runAttempt,
      node_id: `CR_${job.id}`,
      head_sha: run.headSha,
      head_branch: run.headBranch,
      url,
      html_url: `${s.htmlUrl}/${repo.fullName}/actions/runs/${run.id}/job/${job.id}`,
      status: job.status,
      conclusion: job.conclusion,
      created_at: iso(run.createdAt),
      started_at: iso(job.startedAt),
      completed_at: job.completedAt ? iso(job.completedAt) : null,
      name: job.name,
      workflow_name: run.name,
      steps: [],
      check_run_url: `${s.apiUrl}/repos/${repo.fullName}/check-runs/${job.id}`,
      labels: ["ubuntu-latest"],
      runner_id: job.status === "queued" || job.status === "waiting" ? null : 1,
      runner_name: job.status === "queued" || job.status === "waiting" ? null : "GitHub Actions 1",
      runner_group_id: job.status === "queued" || job.status === "waiting" ? null : 2,
      runner_group_name: job.status === "queued" || job.status === "waiting" ? null : "GitHub Actions",
    },
    ...envelope(s, repo, run.triggeringActor),
  });
}
