// A grant checked against the baseline in force now. The block was validated against the config
// of its day; when a reviewed config later declares a lane stronger, the gate must not act on
// the older, weaker grant. Pure.
import { AUTHORITY_STRENGTH, type DeclaredLane, type LanePolicy } from "../domain.ts";

export function underBaseline(policy: LanePolicy, declared: DeclaredLane | undefined): LanePolicy | string {
  if (declared && AUTHORITY_STRENGTH[policy.data_authority] < AUTHORITY_STRENGTH[declared.data_authority]) {
    return `.github/lanegate.yml now declares ${policy.lane} ${declared.data_authority}, stronger than this grant's ${policy.data_authority}`;
  }
  const authoritative = policy.data_authority === "authoritative";
  return {
    ...policy,
    requires_backup_before_destroy:
      authoritative ||
      policy.requires_backup_before_destroy ||
      declared?.requires_backup_before_destroy === true,
    requires_restore_proof:
      authoritative || policy.requires_restore_proof || declared?.requires_restore_proof === true,
    requires_runtime_identity:
      policy.requires_runtime_identity || declared?.requires_runtime_identity === true,
  };
}
