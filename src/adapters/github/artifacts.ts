// GitHub calls for operation evidence: list a run's artifacts, download the result artifact, and
// write the evidence check run. The download answers 302 to a short-lived storage URL, which is
// fetched with plain fetch and no headers: the App's token must never leave for another host.
import { ARTIFACT_NAME, type EvidenceError } from "../../core/evidence/artifact.ts";
import { MAX_ZIPPED_BYTES } from "../../core/evidence/zip.ts";
import { describe, type Octokit, type RepoRef } from "./client.ts";

export type ArtifactFetch =
  | { kind: "zip"; bytes: Uint8Array }
  /** No `lanegate-result` artifact (yet). */
  | { kind: "absent" }
  /** The artifact is there but can never be read: it is evidence of nothing. */
  | { kind: "refused"; error: EvidenceError }
  /** GitHub did not answer as it should: worth asking again. */
  | { kind: "unavailable"; error: string };

const tooLarge = (bytes: number): ArtifactFetch => ({
  kind: "refused",
  error: {
    code: "artifact_too_large",
    message: `the artifact is ${bytes} bytes zipped; the limit is ${MAX_ZIPPED_BYTES}`,
  },
});

export async function fetchResultArtifact(
  octokit: Octokit,
  ref: RepoRef,
  runId: number,
): Promise<ArtifactFetch> {
  let artifactId: number;
  try {
    const { data } = await octokit.rest.actions.listWorkflowRunArtifacts({
      ...ref,
      run_id: runId,
      name: ARTIFACT_NAME,
      per_page: 100,
    });
    const named = data.artifacts.filter((a) => a.name === ARTIFACT_NAME);
    const live = named.filter((a) => !a.expired).sort((a, b) => b.id - a.id)[0];
    if (!live)
      return named.length
        ? { kind: "refused", error: { code: "artifact_expired", message: "the result artifact has expired" } }
        : { kind: "absent" };
    if (live.size_in_bytes > MAX_ZIPPED_BYTES) return tooLarge(live.size_in_bytes);
    artifactId = live.id;
  } catch (error) {
    return { kind: "unavailable", error: `listing the run's artifacts: ${describe(error)}` };
  }
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
async function downloadZip(url: string): Promise<ArtifactFetch> {
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
