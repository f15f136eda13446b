// A grant of cm/testing as the gate reads it (active, approved by mia, empty source) and the facts
// of a run that asks for it with everything in order. Pure data for the decision's tests.
import type { GateFacts, GrantFact } from "../../src/core/gate/decision.ts";

export const NOW = new Date("2026-11-23T10:00:00Z");

export const cmGrant = (
  over: Partial<GrantFact> = {},
  policy: Partial<NonNullable<GrantFact["policy"]>> = {},
) =>
  ({
    issueNumber: 7,
    url: "https://github.com/acme/platform/issues/7",
    state: "active",
    reason: "approved by mia",
    expiresAt: "2027-03-31T00:00:00.000Z",
    blockSha: "abc",
    policy: {
      lane: "cm/testing",
      data_authority: "resettable",
      allowed_rebuild_sources: ["empty"],
      upstream_source: null,
      confirmation: null,
      requires_backup_before_destroy: false,
      requires_restore_proof: false,
      requires_runtime_identity: false,
      approvals_required: 1,
      ...policy,
    },
    approvals: { required: 1, by: ["mia"] },
    ...over,
  }) satisfies GrantFact;

/** A dispatched run of cm/testing on main that every check passes; `over` breaks one fact. */
export const gateFacts = (over: Partial<GateFacts> = {}): GateFacts => ({
  gatherError: null,
  declaredInputs: [],
  run: { runId: 1, attempt: 1, event: "workflow_dispatch", headBranch: "main", finished: false },
  dispatch: {
    branch: "main",
    inputs: { context: "cm", instance: "testing", source: "empty", confirmation: "bootstrap cm testing" },
  },
  joinProblem: null,
  allowedBranches: ["main"],
  knownLanes: new Set(["cm/testing"]),
  grants: [cmGrant()],
  backup: null,
  restore: null,
  inFlight: null,
  earlierAttempts: [],
  now: NOW,
  ...over,
});
