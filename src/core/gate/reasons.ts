// Every reason the gate gives, as a closed set: a renamed code is a type error, and tests and
// metrics match on codes rather than on sentences.
export const REASON_CODES = [
  "ok",
  // gathering the facts
  "github_unavailable",
  "not_checked",
  // check 1: the dispatch
  "not_dispatched",
  "no_dispatch",
  "ambiguous_dispatch",
  "run_finished",
  "branch_mismatch",
  "branch_not_allowed",
  "bad_inputs",
  "undeclared_input",
  "bad_lane",
  "bad_source",
  "unknown_lane",
  "no_request",
  // checks 2 to 4: the grant
  "no_grant",
  "source_not_allowed",
  "grant_pending",
  "grant_suspended",
  "grant_expired",
  "grant_invalid",
  "grant_conflict",
  "approvals_missing",
  "wrong_confirmation",
  // check 5: proofs
  "no_backup_workflow",
  "no_fresh_backup",
  "no_restore_workflow",
  "no_restore_proof",
  // checks 6 and 7
  "lane_busy",
  "rerun_of_allowed",
] as const;
export type ReasonCode = (typeof REASON_CODES)[number];

/** The code a grant refuses with: its state's, or `approvals_missing` while it has too few approvers. */
export function grantStateReason(grant: {
  state: string;
  approvals: { required: number; by: string[] } | null;
}): ReasonCode {
  const short = grant.approvals !== null && grant.approvals.by.length < grant.approvals.required;
  if (short && (grant.state === "pending" || grant.state === "active")) return "approvals_missing";
  const code = `grant_${grant.state}`;
  return (REASON_CODES as readonly string[]).includes(code) ? (code as ReasonCode) : "no_grant";
}
