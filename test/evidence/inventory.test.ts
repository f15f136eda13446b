import { describe, expect, it } from "vitest";
import type { ResultArtifact } from "../../src/core/evidence/artifact.ts";
import {
  type Deployment,
  type Inventory,
  nextInventory,
  type RunEvidence,
  UNKNOWN_INVENTORY,
} from "../../src/core/evidence/inventory.ts";
import { logo404, result } from "../../standin/artifacts.ts";

const deployed: Deployment = {
  artifact_id: "a0",
  source_git_ref: "old",
  run_id: 7,
  run_attempt: 1,
  verified: true,
};
const before: Inventory = { state: "ready", current_deployment: deployed };
const unverified = { ...deployed, verified: false };

function evidence(artifact: ResultArtifact | null, over: Partial<RunEvidence> = {}): RunEvidence {
  return {
    kind: "bootstrap",
    runId: 123,
    attempt: 1,
    conclusion: "success",
    leaseExpired: false,
    artifact,
    error: null,
    requiresRuntimeIdentity: false,
    ...over,
  };
}

const observedOther = {
  status: "match" as const,
  expected: { artifact_id: "a1" },
  observed: { artifact_id: "other" },
};

// One line per row of the contract's table, plus the cases that test the order between rows.
const TABLE: [string, RunEvidence, string, string, Deployment | null][] = [
  ["cancelled", evidence(result(), { conclusion: "cancelled" }), "untrusted", "stale", unverified],
  ["timed out", evidence(result(), { conclusion: "timed_out" }), "untrusted", "stale", unverified],
  ["lease expired", evidence(result(), { leaseExpired: true }), "untrusted", "stale", unverified],
  ["no artifact", evidence(null), "untrusted", "stale", unverified],
  [
    "invalid artifact",
    evidence(null, { error: { code: "schema_invalid", message: "x" } }),
    "untrusted",
    "stale",
    unverified,
  ],
  [
    "not started",
    evidence(result({ bootstrap_run_status: "not_started" })),
    "not_started",
    "ready",
    deployed,
  ],
  [
    "bootstrap failed",
    evidence(result({ bootstrap_run_status: "fail" })),
    "bootstrap_failed",
    "stale",
    unverified,
  ],
  [
    "post-deploy failed",
    evidence(result({ post_deploy_status: "fail" })),
    "post_deploy_failed",
    "partially_bootstrapped",
    unverified,
  ],
  [
    "readiness fail",
    evidence(result({ readiness_status: "fail" })),
    "verification_failed",
    "verification_failed",
    unverified,
  ],
  ["logo 404", evidence(logo404()), "verification_failed", "verification_failed", unverified],
  [
    "identity mismatch",
    evidence(result({ runtime_identity: { status: "mismatch" } })),
    "identity_unproven",
    "identity_unproven",
    unverified,
  ],
  [
    "identity unchecked on a lane that requires it",
    evidence(result({ runtime_identity: { status: "unchecked" } }), { requiresRuntimeIdentity: true }),
    "identity_unproven",
    "identity_unproven",
    unverified,
  ],
  [
    "identity unverifiable on a lane that requires it",
    evidence(result({ runtime_identity: { status: "unverifiable" } }), { requiresRuntimeIdentity: true }),
    "identity_unproven",
    "identity_unproven",
    unverified,
  ],
  [
    "everything passes, identity names the artifact: advanced",
    evidence(result()),
    "ready",
    "ready",
    { artifact_id: "a1", source_git_ref: "d86025a0", run_id: 123, run_attempt: 1, verified: true },
  ],
  [
    "everything passes, identity unchecked where allowed: kept",
    evidence(result({ runtime_identity: { status: "unchecked" } })),
    "ready",
    "ready",
    deployed,
  ],
  [
    "identity says match while expected and observed differ: a mismatch",
    evidence(result({ runtime_identity: observedOther })),
    "identity_unproven",
    "identity_unproven",
    unverified,
  ],
  [
    "identity says match but shows nothing observed: malformed, never ready",
    evidence(result({ runtime_identity: { status: "match", expected: { artifact_id: "a1" } } })),
    "inconsistent",
    "stale",
    unverified,
  ],
  [
    "identity says match and observes more than expected: believed",
    evidence(
      result({
        runtime_identity: {
          status: "match",
          expected: { artifact_id: "a1" },
          observed: { artifact_id: "a1", image: "registry/cm@sha256:1" },
        },
      }),
    ),
    "ready",
    "ready",
    { artifact_id: "a1", source_git_ref: "d86025a0", run_id: 123, run_attempt: 1, verified: true },
  ],
  [
    "skipped checks are allowed",
    evidence(result({ canonical_status: "skipped", readiness_status: "skipped" })),
    "ready",
    "ready",
    { artifact_id: "a1", source_git_ref: "d86025a0", run_id: 123, run_attempt: 1, verified: true },
  ],
  [
    "a failing probe under readiness pass fails closed",
    evidence(result({ health_status: "fail" })),
    "inconsistent",
    "stale",
    unverified,
  ],
  // First match wins: each of these satisfies two rows and must take the earlier one.
  [
    "cancelled beats not started",
    evidence(result({ bootstrap_run_status: "not_started" }), { conclusion: "cancelled" }),
    "untrusted",
    "stale",
    unverified,
  ],
  [
    "not started beats readiness fail",
    evidence(result({ bootstrap_run_status: "not_started", readiness_status: "fail" })),
    "not_started",
    "ready",
    deployed,
  ],
  [
    "bootstrap fail beats post-deploy fail",
    evidence(result({ bootstrap_run_status: "fail", post_deploy_status: "fail" })),
    "bootstrap_failed",
    "stale",
    unverified,
  ],
  [
    "post-deploy fail beats verification",
    evidence(logo404({ post_deploy_status: "fail" })),
    "post_deploy_failed",
    "partially_bootstrapped",
    unverified,
  ],
  [
    "verification beats identity",
    evidence(logo404({ runtime_identity: { status: "mismatch" } })),
    "verification_failed",
    "verification_failed",
    unverified,
  ],
];

describe("the lane's inventory follows the contract's table, first match wins", () => {
  it.each(TABLE)("%s", (_name, e, row, state, deployment) => {
    const step = nextInventory(before, e);
    expect(step.row).toBe(row);
    expect(step.state).toBe(state);
    expect(step.current_deployment).toEqual(deployment);
  });

  it("a run that did not start is `unchanged`, and leaves a lane with no evidence unknown", () => {
    const step = nextInventory(UNKNOWN_INVENTORY, evidence(result({ bootstrap_run_status: "not_started" })));
    expect(step).toMatchObject({ outcome: "unchanged", state: "unknown", current_deployment: null });
    expect(nextInventory(before, evidence(logo404())).outcome).toBe("verification_failed");
  });

  it("a match whose values differ is never believed, even where identity is not required, and says why", () => {
    const step = nextInventory(before, evidence(result({ runtime_identity: observedOther })));
    expect(step.reason).toBe(
      "runtime identity mismatch (the result says match but expected and observed differ in artifact_id)",
    );
    const required = nextInventory(
      before,
      evidence(result({ runtime_identity: { status: "match", observed: { artifact_id: "a1" } } }), {
        requiresRuntimeIdentity: true,
      }),
    );
    expect(required).toMatchObject({ state: "identity_unproven", current_deployment: unverified });
    expect(required.reason).toContain("runtime identity malformed on a lane that requires it");
  });

  it("a bootstrap never claims a deployment when no identity was observed", () => {
    const step = nextInventory(
      UNKNOWN_INVENTORY,
      evidence(result({ runtime_identity: { status: "unchecked" } })),
    );
    expect(step).toMatchObject({ state: "ready", current_deployment: null });
  });

  it("a deployment run with readiness pass makes its artifact current and the lane ready", () => {
    const a = result({ kind: "deployment", artifact_id: "a2", runtime_identity: { status: "unchecked" } });
    const step = nextInventory(before, evidence(a, { kind: "deployment" }));
    expect(step.state).toBe("ready");
    expect(step.current_deployment).toMatchObject({ artifact_id: "a2", verified: true, run_id: 123 });
  });

  it("a deployment run that fails readiness keeps the deployment, unverified", () => {
    const step = nextInventory(
      before,
      evidence(logo404({ kind: "deployment", artifact_id: "a2" }), { kind: "deployment" }),
    );
    expect(step).toMatchObject({ state: "verification_failed", current_deployment: unverified });
  });

  it("a deployment with skipped readiness does not become ready", () => {
    const a = result({ kind: "deployment", readiness_status: "skipped" });
    expect(nextInventory(before, evidence(a, { kind: "deployment" })).state).not.toBe("ready");
  });
});

// What a step says besides its row: the outcome code, and the facts an operator reads in its
// reason (which probe failed, which error, why the run is not believed). Sentences are not pinned.
describe("the inventory step's outcome and the facts in its reason", () => {
  const probe = (name: string, status: "pass" | "fail", code: number | null) => ({
    probe: name,
    url: `https://cm.example/${name}`,
    status,
    status_code: code,
    detail: null,
  });
  const step = (artifact: ResultArtifact | null, over: Partial<RunEvidence> = {}) =>
    nextInventory(before, evidence(artifact, over));

  it.each<[string, RunEvidence, string]>([
    ["cancelled", evidence(result(), { conclusion: "cancelled" }), "untrusted"],
    ["no artifact", evidence(null), "untrusted"],
    ["a failing probe under readiness pass", evidence(result({ health_status: "fail" })), "inconsistent"],
  ])("a run not believed (%s) is a stale outcome", (_, e, row) => {
    expect(nextInventory(before, e)).toMatchObject({ row, outcome: "stale", state: "stale" });
  });

  it.each<[string, Partial<RunEvidence>, string]>([
    ["cancelled", { conclusion: "cancelled" }, "cancelled"],
    ["timed out", { conclusion: "timed_out" }, "timed out"],
    ["past its lease", { leaseExpired: true }, "lease"],
    [
      "with an evidence error",
      { error: { code: "run_mismatch", message: "run 9 uploaded it" } },
      "run_mismatch",
    ],
  ])("a run %s says why its truth is unknown", (_, over, fact) => {
    expect(step(result(), over)).toMatchObject({ row: "untrusted", state: "stale" });
    expect(step(result(), over).reason).toContain(fact);
  });

  it("a run with no artifact says that it left none", () => {
    expect(step(null).reason).toContain("artifact");
  });

  it("a failed bootstrap passes on the workflow's own error message", () => {
    const s = step(result({ bootstrap_run_status: "fail", error_message: "pg_restore exited 1" }));
    expect(s.reason).toContain("pg_restore exited 1");
  });

  it("a failed verification names each failing probe with its code, and no passing one", () => {
    const probes = [
      probe("health", "pass", 200),
      probe("logo", "fail", 404),
      probe("canonical", "fail", null),
    ];
    const s = step(result({ readiness_status: "fail", probes }));
    expect(s.row).toBe("verification_failed");
    expect(s.reason).toMatch(/\bfail\b/);
    expect(s.reason).toMatch(/\blogo 404\b/);
    expect(s.reason).toMatch(/\bcanonical\b/);
    expect(s.reason).not.toContain("health");
  });

  it("a failed verification with no failing probe still names its readiness status", () => {
    const s = step(result({ readiness_status: "verification_failed", probes: [] }));
    expect(s.reason).toMatch(/\bverification_failed$/);
  });

  it("an identity mismatch the workflow reported names its status", () => {
    const s = step(result({ runtime_identity: { status: "mismatch" } }));
    expect(s.reason).toMatch(/\bmismatch$/);
  });

  it("a failing probe under readiness pass is never ready", () => {
    const probes = [probe("logo", "pass", 200), probe("canonical", "fail", 500)];
    expect(step(result({ probes }))).toMatchObject({ row: "inconsistent", state: "stale" });
  });
});

describe("what a ready bootstrap does to the deployment", () => {
  it("is ready on a lane that requires an identity when the identity matches", () => {
    expect(nextInventory(before, evidence(result(), { requiresRuntimeIdentity: true }))).toMatchObject({
      row: "ready",
      current_deployment: { artifact_id: "a1", run_id: 123, verified: true },
    });
  });

  it.each<[string, ResultArtifact]>([
    [
      "an unchecked identity, whatever it shows as observed",
      result({ runtime_identity: { status: "unchecked", observed: { artifact_id: "a1" } } }),
    ],
    [
      "a match on other keys, for an artifact with no id",
      result({
        artifact_id: undefined,
        runtime_identity: { status: "match", expected: { image: "i" }, observed: { image: "i" } },
      }),
    ],
    [
      "a match on another artifact than the result names",
      result({
        runtime_identity: {
          status: "match",
          expected: { artifact_id: "a9" },
          observed: { artifact_id: "a9" },
        },
      }),
    ],
  ])("keeps the deployment it had on %s", (_, a) => {
    expect(nextInventory(before, evidence(a))).toMatchObject({ row: "ready", current_deployment: deployed });
  });
});
