// GitHub calls for operation evidence: list a run's artifacts, ask when an attempt started, and
// download an artifact. The download answers 302 to a short-lived storage URL, which is fetched
// with plain fetch and no headers: the App's token must never leave for another host.
import type { EvidenceError } from "../../core/evidence/artifact.ts";
import type { ListedArtifact } from "../../core/evidence/attempt.ts";
import { MAX_ZIPPED_BYTES } from "../../core/evidence/zip.ts";
import type { RepoRef } from "../../core/repository.ts";
import { describe, type Octokit } from "./client.ts";

export type ArtifactDownload =
  | { kind: "zip"; bytes: Uint8Array }
  /** The bytes are over the limit, whatever the listing said: evidence of nothing. */
  | { kind: "refused"; error: EvidenceError }
  /** GitHub or its storage did not answer as it should: worth asking again. */
  | { kind: "unavailable"; error: string };

const tooLarge = (bytes: number): ArtifactDownload => ({
  kind: "refused",
  error: {
    code: "artifact_too_large",
    message: `the artifact is ${bytes} bytes zipped; the limit is ${MAX_ZIPPED_BYTES}`,
  },
});

/** The run's artifacts named `name`, from every attempt (GitHub does not say which). */
export async function listRunArtifacts(
  octokit: Octokit,
  ref: RepoRef,
  runId: number,
  name: string,
): Promise<ListedArtifact[]> {
  const { data } = await octokit.rest.actions.listWorkflowRunArtifacts({
    ...ref,
    run_id: runId,
    name,
    per_page: 100,
  });
  return data.artifacts;
}

/** When the attempt started, as GitHub records it (`run_started_at`), or null if it does not say. */
export async function attemptStartedAt(
  octokit: Octokit,
  ref: RepoRef,
  runId: number,
  attempt: number,
): Promise<string | null> {
  const { data } = await octokit.rest.actions.getWorkflowRunAttempt({
    ...ref,
    run_id: runId,
    attempt_number: attempt,
    exclude_pull_requests: true,
  });
  return data.run_started_at ?? null;
}

export async function downloadArtifact(
  octokit: Octokit,
  ref: RepoRef,
  artifactId: number,
): Promise<ArtifactDownload> {
  let location: string | undefined;
  try {
    const response = await octokit.rest.actions.downloadArtifact({
      ...ref,
      artifact_id: artifactId,
      archive_format: "zip",
      request: { redirect: "manual" },
    });
    location = response.headers.location;
  } catch (error) {
    return { kind: "unavailable", error: `asking for the artifact's download URL: ${describe(error)}` };
  }
  if (!location) return { kind: "unavailable", error: "the artifact download gave no redirect" };
  return downloadZip(location);
}

/** Reads at most MAX_ZIPPED_BYTES from the storage URL, whatever its Content-Length says. */
async function downloadZip(url: string): Promise<ArtifactDownload> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(30_000) });
    if (!response.ok || !response.body) {
      await response.body?.cancel();
      return { kind: "unavailable", error: `the artifact download answered ${response.status}` };
    }
    const declared = Number(response.headers.get("content-length"));
    if (declared > MAX_ZIPPED_BYTES) {
      await response.body.cancel();
      return tooLarge(declared);
    }
    const chunks: Uint8Array[] = [];
    let total = 0;
    for await (const chunk of response.body) {
      total += chunk.length;
      if (total > MAX_ZIPPED_BYTES) return tooLarge(total);
      chunks.push(chunk);
    }
    return { kind: "zip", bytes: Buffer.concat(chunks, total) };
  } catch (error) {
    return { kind: "unavailable", error: `downloading the artifact: ${describe(error)}` };
  }
}
