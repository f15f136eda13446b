// Who may approve: a pure verdict over facts the GitHub module gathered.
import type { LanegateConfig } from "../config/schema.ts";
import type { ApproverVerdict } from "./facts.ts";

/** Repository roles from weakest to strongest, as the permission API names them in role_name. */
export const ROLE_RANK: Record<string, number> = { read: 0, triage: 1, write: 2, maintain: 3, admin: 4 };

export interface ApproverFacts {
  login: string;
  isBot: boolean;
  author: string;
  /** role_name from the permission API (custom roles fall back to `permission`); null if not a collaborator. */
  role: string | null;
  /** Configured approver teams the user is an active member of. */
  teams: string[];
}

export function judgeApprover(f: ApproverFacts, approvers: LanegateConfig["approvers"]): ApproverVerdict {
  if (f.isBot) return { approver: false, reason: `${f.login} is a bot` };
  if (!approvers.allow_self_approval && f.login.toLowerCase() === f.author.toLowerCase()) {
    return { approver: false, reason: `${f.login} opened the issue and self-approval is off` };
  }
  const rank = f.role === null ? -1 : (ROLE_RANK[f.role] ?? -1);
  if (rank >= (ROLE_RANK[approvers.min_permission] ?? Number.POSITIVE_INFINITY)) {
    return { approver: true, reason: `${f.login} has the ${f.role} role` };
  }
  const team = f.teams[0];
  if (team) return { approver: true, reason: `${f.login} is a member of team ${team}` };
  const role = f.role === null ? "is not a collaborator" : `has the ${f.role} role`;
  return {
    approver: false,
    reason: `${f.login} ${role}, below ${approvers.min_permission}, and is in no approver team`,
  };
}

/** The rank of a custom role is unknown, so it counts as the base permission it reports. */
export function effectiveRole(roleName: string, permission: string): string {
  return roleName in ROLE_RANK
    ? roleName
    : permission === "admin"
      ? "admin"
      : permission === "write"
        ? "write"
        : "read";
}
