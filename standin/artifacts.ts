// Result artifacts as gated and deploy runs upload them: the contract's example, its logo-404
// variation, and zips of them. Shared by the tests, the demo and the benchmark.
import { strToU8, zipSync } from "fflate";
import type { ResultArtifact } from "../src/core/evidence/artifact.ts";

export function result(over: Partial<ResultArtifact> = {}): ResultArtifact {
  return {
    schema_version: 1,
    kind: "bootstrap",
    lane: "cm/testing",
    run_id: 123,
    run_attempt: 1,
    source: "empty",
    bootstrap_run_status: "pass",
    post_deploy_status: "pass",
    health_status: "pass",
    canonical_status: "pass",
    logo_status: "pass",
    readiness_status: "pass",
    runtime_identity: { status: "match", expected: { artifact_id: "a1" }, observed: { artifact_id: "a1" } },
    artifact_id: "a1",
    source_git_ref: "d86025a0",
    target_name: "cm-testing",
    probes: [
      {
        probe: "logo",
        url: "https://cm.example/web/image/website/1/logo",
        status: "pass",
        status_code: 200,
        detail: null,
      },
    ],
    error_message: null,
    ...over,
  };
}

/** The logo probe answers 404: the bootstrap passed, verification did not. */
export function logo404(over: Partial<ResultArtifact> = {}): ResultArtifact {
  return result({
    logo_status: "fail",
    readiness_status: "verification_failed",
    probes: [
      {
        probe: "logo",
        url: "https://cm.example/web/image/website/1/logo",
        status: "fail",
        status_code: 404,
        detail: "not found",
      },
    ],
    ...over,
  });
}

export const zipOf = (files: Record<string, string | Uint8Array>) =>
  zipSync(
    Object.fromEntries(Object.entries(files).map(([k, v]) => [k, typeof v === "string" ? strToU8(v) : v])),
  );

export const resultZip = (a: unknown) => zipOf({ "lanegate-result.json": JSON.stringify(a) });
