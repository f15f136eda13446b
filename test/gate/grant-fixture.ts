// A grant of cm/testing as the gate reads it: active, approved by mia, empty source. Pure data for
// the decision's tests.
import type { GrantFact } from "../../src/core/gate/decision.ts";

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
