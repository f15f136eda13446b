// The result artifact a gated or deploy run uploads: one zod schema, and the provenance rules
// that decide whether lanegate may believe it.
import { z } from "zod";
import { LANE_PART, rebuildSourceSchema } from "../domain.ts";

export const ARTIFACT_NAME = "lanegate-result";
export const ARTIFACT_FILE = "lanegate-result.json";

const stepStatus = z.enum(["pass", "fail", "skipped"]);
export const IDENTITY_STATUSES = [
  "unchecked",
  "match",
  "mismatch",
  "missing",
  "malformed",
  "unverifiable",
] as const;

const laneId = z
  .string()
  .refine(
    (id) => id.split("/").length === 2 && id.split("/").every((p) => LANE_PART.test(p)),
    "is not a lane id",
  );

const probe = z.strictObject({
  probe: z.string().min(1).max(100),
  url: z.string().max(2000).nullable().optional(),
  status: stepStatus,
  status_code: z.number().int().nullable().optional(),
  detail: z.string().max(2000).nullable().optional(),
});

export const resultArtifactSchema = z.strictObject({
  schema_version: z.literal(1),
  kind: z.enum(["bootstrap", "deployment"]),
  lane: laneId,
  run_id: z.number().int().positive(),
  run_attempt: z.number().int().positive(),
  source: rebuildSourceSchema.nullable().optional(),
  bootstrap_run_status: z.enum(["not_started", "pass", "fail"]),
  post_deploy_status: stepStatus,
  health_status: stepStatus,
  canonical_status: stepStatus,
  logo_status: stepStatus,
  readiness_status: z.enum(["pass", "fail", "verification_failed", "skipped"]),
  runtime_identity: z.strictObject({
    status: z.enum(IDENTITY_STATUSES),
    expected: z.record(z.string(), z.string()).nullable().optional(),
    observed: z.record(z.string(), z.string()).nullable().optional(),
  }),
  artifact_id: z.string().max(200).nullable().optional(),
  source_git_ref: z.string().max(200).nullable().optional(),
  target_name: z.string().max(200).nullable().optional(),
  probes: z.array(probe).max(100).default([]),
  error_message: z.string().max(4000).nullable().optional(),
});

export type ResultArtifact = z.infer<typeof resultArtifactSchema>;
export type ArtifactKind = ResultArtifact["kind"];

/** Why a run's evidence could not be believed; every code is an evidence error. */
export const EVIDENCE_ERRORS = [
  "artifact_missing",
  "artifact_expired",
  "artifact_too_large",
  "unzipped_too_large",
  "zip_invalid",
  "zip_entries",
  "zip_path",
  "json_invalid",
  "schema_version",
  "schema_invalid",
  "run_mismatch",
  "lane_mismatch",
  "kind_mismatch",
  "run_not_allowed",
  "workflow_not_listed",
  "github_unavailable",
  "unknown_run",
  "run_not_found",
] as const;
export type EvidenceErrorCode = (typeof EVIDENCE_ERRORS)[number];

export interface EvidenceError {
  code: EvidenceErrorCode;
  message: string;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: EvidenceError };

/** Validates the JSON text of `lanegate-result.json`. */
export function parseResultArtifact(text: string): Parsed<ResultArtifact> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return { ok: false, error: { code: "json_invalid", message: `not JSON: ${(e as Error).message}` } };
  }
  const version = typeof json === "object" && json !== null ? Reflect.get(json, "schema_version") : undefined;
  if (version !== 1)
    return {
      ok: false,
      error: { code: "schema_version", message: `schema_version ${JSON.stringify(version)} is not 1` },
    };
  const parsed = resultArtifactSchema.safeParse(json);
  if (parsed.success) return { ok: true, value: parsed.data };
  const first = parsed.error.issues
    .slice(0, 5)
    .map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
    .join("; ");
  return { ok: false, error: { code: "schema_invalid", message: first } };
}

/** What lanegate knows about the run that uploaded the artifact. */
export interface Provenance {
  kind: ArtifactKind;
  runId: number;
  attempt: number;
  /** The operation's lane for a gated run; null for a deployment run, whose lane is the artifact's. */
  lane: string | null;
}

/** An artifact is believed only when it names the run that uploaded it, its lane and kind. */
export function checkProvenance(a: ResultArtifact, p: Provenance): EvidenceError | null {
  if (a.run_id !== p.runId || a.run_attempt !== p.attempt)
    return {
      code: "run_mismatch",
      message: `the artifact names run ${a.run_id} attempt ${a.run_attempt}, but run ${p.runId} attempt ${p.attempt} uploaded it`,
    };
  if (a.kind !== p.kind)
    return p.kind === "bootstrap"
      ? {
          code: "workflow_not_listed",
          message: `a ${a.kind} artifact from a gated run: only workflows in evidence.deploy_workflows report deployments`,
        }
      : { code: "kind_mismatch", message: `a ${a.kind} artifact from a deploy workflow` };
  if (p.lane !== null && a.lane !== p.lane)
    return {
      code: "lane_mismatch",
      message: `the artifact names ${a.lane}, but the run was allowed for ${p.lane}`,
    };
  return null;
}
