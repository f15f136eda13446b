// Finding a run attempt's own result artifact: list the run's artifacts (every attempt's), ask
// GitHub when the attempt started when there is something to place, let the core choose, and
// download only what lanegate may believe.
import { attemptStartedAt, downloadArtifact, listRunArtifacts } from "../../adapters/github/artifacts.ts";
import { describe, type Octokit } from "../../adapters/github/client.ts";
import type { EvidenceRow } from "../../adapters/store/evidence.ts";
import { ARTIFACT_NAME, type EvidenceError } from "../../core/evidence/artifact.ts";
import {
  type AttemptSpan,
  chooseAttemptArtifact,
  needsAttemptStart,
  resultArtifactsOf,
} from "../../core/evidence/attempt.ts";
import { refOf } from "../../core/repository.ts";

export type ArtifactFetch =
  | { kind: "zip"; bytes: Uint8Array }
  /** The attempt has its artifact, left unread: lanegate would not believe it. */
  | { kind: "present" }
  /** No `lanegate-result` artifact of this attempt (yet). */
  | { kind: "absent" }
  /** The artifact is there but can never be read: it is evidence of nothing. */
  | { kind: "refused"; error: EvidenceError }
  /** GitHub did not answer as it should: worth asking again. */
  | { kind: "unavailable"; error: string };

export async function fetchAttemptArtifact(
  octokit: Octokit,
  row: EvidenceRow,
  download: boolean,
): Promise<ArtifactFetch> {
  const ref = refOf(row.repo);
  const span: AttemptSpan = {
    runId: row.runId,
    attempt: row.attempt,
    headSha: row.headSha,
    startedAt: null,
    completedAt: row.completedAt,
  };
  let results: ReturnType<typeof resultArtifactsOf>;
  try {
    results = resultArtifactsOf(await listRunArtifacts(octokit, ref, row.runId, ARTIFACT_NAME), span);
  } catch (error) {
    return { kind: "unavailable", error: `listing the run's artifacts: ${describe(error)}` };
  }
  if (needsAttemptStart(span, results)) {
    try {
      span.startedAt = await attemptStartedAt(octokit, ref, row.runId, row.attempt);
    } catch (error) {
      return { kind: "unavailable", error: `asking when attempt ${row.attempt} started: ${describe(error)}` };
    }
    if (span.startedAt === null)
      return { kind: "unavailable", error: `GitHub gave no start time for attempt ${row.attempt}` };
  }
  const choice = chooseAttemptArtifact(results, span);
  if (choice.kind !== "chosen") return choice;
  if (!download) return { kind: "present" };
  return downloadArtifact(octokit, ref, choice.id);
}
