// Which listed artifact is a run attempt's own. GitHub lists a run's artifacts across every
// attempt, and its artifact object names the run (`workflow_run.id`, `head_sha`) but not the
// attempt. The attempts of a run never overlap (a re-run starts after the previous attempt
// completed), so an artifact belongs to the attempt during which GitHub created it: not before
// the attempt started, not after it completed. The result's own `run_attempt` is checked after
// the download (`checkProvenance`); the two must agree.
import { ARTIFACT_NAME, type EvidenceError } from "./artifact.ts";
import { MAX_ZIPPED_BYTES } from "./zip.ts";

/** An artifact as GitHub's "list workflow run artifacts" gives it (the fields lanegate reads). */
export interface ListedArtifact {
  id: number;
  name: string;
  size_in_bytes: number;
  expired: boolean;
  created_at: string | null;
  workflow_run?: { id?: number; head_sha?: string } | null;
}

/** The attempt whose evidence is being read, with the times GitHub gave for it. */
export interface AttemptSpan {
  runId: number;
  attempt: number;
  headSha: string;
  /** When the attempt started (`run_started_at`); not needed for attempt 1, which nothing precedes. */
  startedAt: string | null;
  /** When it completed (the completed run's `updated_at`). */
  completedAt: string;
}

export type ArtifactChoice =
  | { kind: "chosen"; id: number }
  /** No `lanegate-result` artifact of this attempt (yet). */
  | { kind: "absent" }
  /** The attempt's artifact is there but can never be read: it is evidence of nothing. */
  | { kind: "refused"; error: EvidenceError };

/** The run's result artifacts, as far as GitHub's own `workflow_run` says they are this run's. */
export function resultArtifactsOf(listed: ListedArtifact[], span: AttemptSpan): ListedArtifact[] {
  return listed.filter(
    (a) =>
      a.name === ARTIFACT_NAME &&
      (a.workflow_run?.id === undefined || a.workflow_run.id === span.runId) &&
      (a.workflow_run?.head_sha === undefined ||
        span.headSha === "" ||
        a.workflow_run.head_sha === span.headSha),
  );
}

/** Whether placing the run's artifacts needs the attempt's start from GitHub. */
export const needsAttemptStart = (span: Pick<AttemptSpan, "attempt">, results: ListedArtifact[]) =>
  span.attempt > 1 && results.length > 0;

const at = (iso: string) => Date.parse(iso);

/** Created within the attempt; an artifact GitHub gives no creation time for is no attempt's. */
function createdDuring(a: ListedArtifact, span: AttemptSpan): boolean {
  if (a.created_at === null || Number.isNaN(at(a.created_at))) return false;
  const created = at(a.created_at);
  if (span.attempt > 1 && (span.startedAt === null || created < at(span.startedAt))) return false;
  return created <= at(span.completedAt);
}

/** The attempt's own result artifact: the newest one it created, if it is readable at all. */
export function chooseAttemptArtifact(listed: ListedArtifact[], span: AttemptSpan): ArtifactChoice {
  const own = resultArtifactsOf(listed, span).filter((a) => createdDuring(a, span));
  const live = own.filter((a) => !a.expired).sort((a, b) => b.id - a.id)[0];
  if (!live)
    return own.length
      ? { kind: "refused", error: { code: "artifact_expired", message: "the result artifact has expired" } }
      : { kind: "absent" };
  if (live.size_in_bytes > MAX_ZIPPED_BYTES)
    return {
      kind: "refused",
      error: {
        code: "artifact_too_large",
        message: `the artifact is ${live.size_in_bytes} bytes zipped; the limit is ${MAX_ZIPPED_BYTES}`,
      },
    };
  return { kind: "chosen", id: live.id };
}
