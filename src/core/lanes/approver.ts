// Who may approve: a pure verdict over the standing the GitHub module read, judged against the
// approvers config in force. The standing is a stored fact; the verdict is never stored.
import type { LanegateConfig } from "../config/schema.ts";
import type { ApproverVerdict, IssueEvent, IssueFacts, Standing } from "./facts.ts";

/** Repository roles from weakest to strongest, as the permission API names them in role_name. */
export const ROLE_RANK: Record<string, number> = { read: 0, triage: 1, write: 2, maintain: 3, admin: 4 };

type Approvers = LanegateConfig["approvers"];

export interface ApproverFacts {
  login: string;
  isBot: boolean;
  author: string;
  /** role_name from the permission API (custom roles fall back to `permission`); null if not a collaborator. */
  role: string | null;
  /** Configured approver teams the user is an active member of. */
  teams: string[];
}

/** GitHub logins are case-insensitive. */
export const sameLogin = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

export function judgeApprover(f: ApproverFacts, approvers: Approvers): ApproverVerdict {
  if (f.isBot) return { approver: false, reason: `${f.login} is a bot` };
  if (isSelfApproval(f.login, f.author, approvers)) {
    return { approver: false, reason: `${f.login} opened the issue and self-approval is off` };
  }
  if (roleSuffices(f.role, approvers)) return { approver: true, reason: `${f.login} has the ${f.role} role` };
  const team = f.teams.find((t) => approvers.teams.some((c) => sameLogin(c, t)));
  if (team) return { approver: true, reason: `${f.login} is a member of team ${team}` };
  const role = f.role === null ? "is not a collaborator" : `has the ${f.role} role`;
  return {
    approver: false,
    reason: `${f.login} ${role}, below ${approvers.min_permission}, and is in no approver team`,
  };
}

function isSelfApproval(login: string, author: string, approvers: Approvers): boolean {
  return !approvers.allow_self_approval && sameLogin(login, author);
}

function roleSuffices(role: string | null, approvers: Approvers): boolean {
  const rank = role === null ? -1 : (ROLE_RANK[role] ?? -1);
  return rank >= (ROLE_RANK[approvers.min_permission] ?? Number.POSITIVE_INFINITY);
}

/**
 * The approver teams still to ask about before a person with this role can be judged: none when
 * the role, the self-approval rule or being a bot settles it, else every configured team not yet
 * asked about.
 */
export function teamsToAsk(
  standing: Pick<Standing, "login" | "isBot" | "role" | "teamsChecked" | "teams">,
  author: string,
  approvers: Approvers,
): string[] {
  if (standing.isBot || isSelfApproval(standing.login, author, approvers)) return [];
  if (roleSuffices(standing.role, approvers)) return [];
  if (standing.teams.some((t) => approvers.teams.some((c) => sameLogin(c, t)))) return [];
  return approvers.teams.filter((t) => !standing.teamsChecked.some((c) => sameLogin(c, t)));
}

/**
 * The verdict on a person under the config in force, from their stored standing; null when the
 * stored facts cannot tell (no standing read, or an approver team never asked about).
 */
export function judgeStanding(
  standing: Standing | undefined,
  author: string,
  approvers: Approvers,
): ApproverVerdict | null {
  if (!standing || teamsToAsk(standing, author, approvers).length > 0) return null;
  return judgeApprover({ ...standing, author }, approvers);
}

export function standingOf(facts: IssueFacts, login: string): Standing | undefined {
  return facts.standings.find((s) => sameLogin(s.login, login));
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

/** The approval label's history on an issue, read for the label the config names now. */
export interface LabelView {
  hasLabel: boolean;
  lastLabeled: IssueEvent | null;
  lastUnlabeled: IssueEvent | null;
  /** The issue was closed after the label went on (events order, not timestamps, decides). */
  closedSinceLabeled: boolean;
}

export function labelView(facts: IssueFacts, label: string): LabelView {
  const ours = (e: IssueEvent) => e.label !== null && sameLogin(e.label, label);
  const lastIndex = (pred: (e: IssueEvent) => boolean) => facts.events.findLastIndex(pred);
  const labeled = lastIndex((e) => e.kind === "labeled" && ours(e));
  const unlabeled = lastIndex((e) => e.kind === "unlabeled" && ours(e));
  const closed = lastIndex((e) => e.kind === "closed");
  return {
    hasLabel: facts.labels.some((l) => sameLogin(l, label)),
    lastLabeled: facts.events[labeled] ?? null,
    lastUnlabeled: facts.events[unlabeled] ?? null,
    closedSinceLabeled: labeled >= 0 && closed > labeled,
  };
}

/**
 * Whose standing a sync must read for an issue: the person who last applied the approval label
 * (while the issue is open and carries it), and whoever approved the block version on the issue.
 */
export function peopleToJudge(facts: IssueFacts, label: string, approvers: readonly string[]): string[] {
  if (facts.presence !== "open") return []; // a closed issue grants nothing, whoever approved it
  const view = labelView(facts, label);
  const labeller = view.hasLabel ? view.lastLabeled?.actor : undefined;
  const people = [...(labeller ? [labeller] : []), ...approvers];
  return people.filter((p, i) => people.findIndex((q) => sameLogin(p, q)) === i);
}
