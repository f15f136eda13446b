// The lane's inventory after a run: the contract's table, first match wins. Pure: the run's
// evidence and the lane's previous inventory in, the next inventory and the row that set it out.
import type { EvidenceError, ResultArtifact } from "./artifact.ts";
import { believedIdentity } from "./identity.ts";

export const INVENTORY_STATES = [
  "unknown",
  "stale",
  "partially_bootstrapped",
  "verification_failed",
  "identity_unproven",
  "ready",
] as const;
export type InventoryState = (typeof INVENTORY_STATES)[number];

/**
 * What a run's evidence says, in the contract table's words: the state it set, or `unchanged`
 * when it left the lane as it was (a run whose bootstrap never started).
 */
export const RUN_OUTCOMES = [
  "stale",
  "unchanged",
  "partially_bootstrapped",
  "verification_failed",
  "identity_unproven",
  "ready",
] as const;
export type RunOutcome = (typeof RUN_OUTCOMES)[number];

/** Which artifact runs on the lane, and the deployment run (or observed identity) that says so. */
export interface Deployment {
  artifact_id: string;
  source_git_ref: string | null;
  run_id: number;
  run_attempt: number;
  /** False once a later run may have changed the lane without proving what runs. */
  verified: boolean;
}

export interface Inventory {
  state: InventoryState;
  current_deployment: Deployment | null;
}

export const UNKNOWN_INVENTORY: Inventory = { state: "unknown", current_deployment: null };

/** What lanegate learned about one finished run. */
export interface RunEvidence {
  kind: "bootstrap" | "deployment";
  runId: number;
  attempt: number;
  /** The workflow run's conclusion: success, failure, cancelled, timed_out, ... */
  conclusion: string | null;
  leaseExpired: boolean;
  /** The validated artifact, or null when there is none or it could not be believed. */
  artifact: ResultArtifact | null;
  error: EvidenceError | null;
  requiresRuntimeIdentity: boolean;
}

type DeploymentEffect = "kept" | "kept_unverified" | "advance_if_observed" | "advance";

interface Row {
  name: string;
  when(e: RunEvidence, a: ResultArtifact): boolean;
  /** null keeps the lane's previous state: the run's outcome is `unchanged`. */
  state: Exclude<InventoryState, "unknown"> | null;
  deployment: DeploymentEffect;
  reason(e: RunEvidence, a: ResultArtifact): string;
}

const passOrSkipped = (s: string) => s === "pass" || s === "skipped";
const identityOf = (a: ResultArtifact) => believedIdentity(a.runtime_identity).status;

/** The rows after the first (which needs no artifact), in the contract's order. */
export const INVENTORY_TABLE: readonly Row[] = [
  {
    name: "not_started",
    when: (_e, a) => a.bootstrap_run_status === "not_started",
    state: null,
    deployment: "kept",
    reason: () => "the run failed before it changed anything",
  },
  {
    name: "bootstrap_failed",
    when: (_e, a) => a.bootstrap_run_status === "fail",
    state: "stale",
    deployment: "kept_unverified",
    reason: (_e, a) => `the ${a.kind} failed part-way: ${a.error_message ?? "no message"}`,
  },
  {
    name: "post_deploy_failed",
    when: (_e, a) => a.bootstrap_run_status === "pass" && a.post_deploy_status === "fail",
    state: "partially_bootstrapped",
    deployment: "kept_unverified",
    reason: () => "the data bootstrap passed, post-deploy failed",
  },
  {
    name: "verification_failed",
    when: (_e, a) => a.readiness_status === "fail" || a.readiness_status === "verification_failed",
    state: "verification_failed",
    deployment: "kept_unverified",
    reason: (_e, a) => {
      const failed = a.probes
        .filter((p) => p.status === "fail")
        .map((p) => `${p.probe} ${p.status_code ?? ""}`.trim());
      return `readiness ${a.readiness_status}${failed.length ? `: ${failed.join(", ")}` : ""}`;
    },
  },
  {
    name: "identity_unproven",
    when: (e, a) => identityOf(a) === "mismatch" || (e.requiresRuntimeIdentity && identityOf(a) !== "match"),
    state: "identity_unproven",
    deployment: "kept_unverified",
    reason: (e, a) => {
      const { status, overruled } = believedIdentity(a.runtime_identity);
      const where = e.requiresRuntimeIdentity ? " on a lane that requires it" : "";
      return `runtime identity ${status}${where}${overruled ? ` (${overruled})` : ""}`;
    },
  },
  {
    name: "ready",
    when: (_e, a) =>
      a.bootstrap_run_status === "pass" &&
      [a.post_deploy_status, a.health_status, a.canonical_status, a.logo_status, a.readiness_status].every(
        passOrSkipped,
      ) &&
      a.probes.every((p) => passOrSkipped(p.status)) &&
      (identityOf(a) === "match" || identityOf(a) === "unchecked"),
    state: "ready",
    deployment: "advance_if_observed",
    reason: () => "every check passed",
  },
];

export interface InventoryStep extends Inventory {
  /** The table row that matched: `untrusted` is the first row, `inconsistent` means none did. */
  row: string;
  /** The table's word for the run; `state` is the lane's state after it. */
  outcome: RunOutcome;
  reason: string;
}

/** The first row: allowed, then cancelled, timed out, lease expired, no artifact, or invalid. */
function untrusted(e: RunEvidence): string | null {
  if (e.conclusion === "cancelled" || e.conclusion === "timed_out")
    return `the run was ${e.conclusion.replace("_", " ")}`;
  if (e.leaseExpired) return "the operation's lease expired before the run completed";
  if (e.error) return `evidence error ${e.error.code}: ${e.error.message}`;
  if (!e.artifact) return "the run left no result artifact";
  return null;
}

export function nextInventory(previous: Inventory, e: RunEvidence): InventoryStep {
  const unverified = previous.current_deployment && { ...previous.current_deployment, verified: false };
  const why = untrusted(e);
  if (why !== null || !e.artifact)
    return {
      row: "untrusted",
      outcome: "stale",
      state: "stale",
      current_deployment: unverified,
      reason: `the truth is unknown: ${why}`,
    };
  const a = e.artifact;
  // A deploy run's success is its own row: it says which artifact runs.
  const rows =
    e.kind === "deployment"
      ? INVENTORY_TABLE.map((r) =>
          r.name === "ready"
            ? {
                ...r,
                when: (_e: RunEvidence, x: ResultArtifact) => x.readiness_status === "pass" && r.when(_e, x),
                deployment: "advance" as const,
              }
            : r,
        )
      : INVENTORY_TABLE;
  const row = rows.find((r) => r.when(e, a));
  if (!row)
    // Nothing in the table vouches for the lane (a failing probe with readiness pass, say): fail closed.
    return {
      row: "inconsistent",
      outcome: "stale",
      state: "stale",
      current_deployment: unverified,
      reason: "the evidence contradicts itself",
    };
  return {
    row: row.name,
    outcome: row.state ?? "unchanged",
    state: row.state ?? previous.state,
    current_deployment: deploymentAfter(row.deployment, previous.current_deployment, unverified, e, a),
    reason: row.reason(e, a),
  };
}

function deploymentAfter(
  effect: DeploymentEffect,
  current: Deployment | null,
  unverified: Deployment | null,
  e: RunEvidence,
  a: ResultArtifact,
): Deployment | null {
  const fromArtifact = (id: string): Deployment => ({
    artifact_id: id,
    source_git_ref: a.source_git_ref ?? null,
    run_id: e.runId,
    run_attempt: e.attempt,
    verified: true,
  });
  if (effect === "kept") return current;
  if (effect === "kept_unverified") return unverified;
  if (effect === "advance") return a.artifact_id ? fromArtifact(a.artifact_id) : unverified;
  // A bootstrap never claims a deployment: only an observed identity naming the artifact does.
  const observed = a.runtime_identity.observed?.artifact_id;
  const named = identityOf(a) === "match" && observed !== undefined && observed === a.artifact_id;
  return named ? fromArtifact(observed) : current;
}
