// How a lane reads to an operator: of its grant rows, the one that says most about it, and
// where each part of the answer comes from. Pure; the read models and the CLI show it.
import type { DataAuthority, LanePolicy, LaneState } from "../domain.ts";

/** A grant row as the view needs it. */
export interface GrantRecord {
  issueNumber: number;
  /** The issue's page, as GitHub gave it when lanegate read the issue. */
  url: string | null;
  state: string;
  reason: string;
  policy: LanePolicy | null;
  approver: string | null;
  approvedAt: string | null;
  /** The distinct approvers the grant needs and who counted; null until counted. */
  approvals: { required: number; by: string[] } | null;
  expiresAt: string | null;
  blockSha: string | null;
  endedAt: string | null;
}

export interface LaneView {
  lane: string;
  data_authority: DataAuthority;
  allowed_rebuild_sources: string[];
  upstream_source: string | null;
  state: LaneState;
  reason: string;
  grant: {
    issue: number;
    url: string | null;
    approver: string | null;
    approved_at: string | null;
    approvals: { required: number; by: string[] } | null;
    expires_at: string | null;
    block_sha256: string | null;
  } | null;
  /** Where each part of the answer comes from: the reviewed config, an approval issue, or nowhere. */
  from: Record<
    "data_authority" | "allowed_rebuild_sources" | "expires_at" | "approval_issue",
    "config" | "issue" | "none"
  >;
}

// Of a lane's open rows, the one that says most about it.
const PRECEDENCE: LaneState[] = ["active", "suspended", "conflict", "pending", "invalid"];

/** `rows` are the lane's grant rows, newest first; `declared` its authority in the config, if any. */
export function viewLane(lane: string, declared: DataAuthority | null, rows: GrantRecord[]): LaneView {
  const open = rows.filter((r) => r.endedAt === null);
  const row =
    PRECEDENCE.map((s) => open.find((r) => r.state === s)).find((r) => r !== undefined) ?? open[0] ?? rows[0];
  const policy = row?.policy ?? null;
  const fromIssue = row !== undefined && row.endedAt === null;
  const issuePolicy = fromIssue ? policy : null;
  return {
    lane,
    data_authority: issuePolicy ? issuePolicy.data_authority : (declared ?? "unknown"),
    allowed_rebuild_sources: issuePolicy ? issuePolicy.allowed_rebuild_sources : [],
    upstream_source: issuePolicy ? issuePolicy.upstream_source : null,
    state: row ? (row.state as LaneState) : declared ? "pending" : "unknown",
    reason: row
      ? row.reason
      : declared
        ? "declared in .github/lanegate.yml; no approval issue grants it"
        : "no approval issue or config names this lane",
    grant: row
      ? {
          issue: row.issueNumber,
          url: row.url,
          approver: row.approver,
          approved_at: row.approvedAt,
          approvals: row.approvals,
          expires_at: row.expiresAt,
          block_sha256: row.blockSha,
        }
      : null,
    from: {
      data_authority: issuePolicy ? "issue" : declared ? "config" : "none",
      allowed_rebuild_sources: issuePolicy ? "issue" : "none",
      expires_at: fromIssue && row?.expiresAt ? "issue" : "none",
      approval_issue: row ? "issue" : "none",
    },
  };
}
