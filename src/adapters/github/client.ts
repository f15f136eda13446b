// The only code that calls GitHub's API. Each function gathers facts or writes one thing; none
// decides anything. Errors other than the ones that are themselves facts (404, 410) propagate,
// so the caller can keep the state as it was and record the failure.
import type { Context } from "probot";
import { type ConfigLoad, parseConfig } from "../../core/config/load.ts";
import type { LanegateConfig } from "../../core/config/schema.ts";
import { type ApproverFacts, effectiveRole, judgeApprover } from "../../core/lanes/approver.ts";
import type { ApproverVerdict, IssueFacts } from "../../core/lanes/facts.ts";
import { STATUS_MARKER } from "../../core/lanes/status-comment.ts";

export type Octokit = Context["octokit"];
export interface RepoRef {
  owner: string;
  repo: string;
}

export const CONFIG_PATH = ".github/lanegate.yml";

export function statusOf(error: unknown): number | null {
  if (typeof error === "object" && error !== null && "status" in error && typeof error.status === "number") {
    return error.status;
  }
  return null;
}

/** "Could not load" (an API fault) and "loaded but invalid" are separate outcomes. */
export async function loadConfig(octokit: Octokit, ref: RepoRef): Promise<ConfigLoad> {
  try {
    const { config, files } = await octokit.config.get({ ...ref, path: CONFIG_PATH });
    if (files.every((f) => f.config === null)) return { status: "missing", config: null, errors: [] };
    return parseConfig(config);
  } catch (error) {
    if (statusOf(error) !== null) return { status: "unreadable", errors: [describe(error)] };
    return { status: "invalid", config: null, errors: [describe(error)] };
  }
}

/** The web address of the server an Octokit talks to: `https://ghe.example` for `.../api/v3`. */
export function webBaseOf(octokit: Octokit): string {
  const api = octokit.request.endpoint.DEFAULTS.baseUrl.replace(/\/+$/, "");
  if (api === "https://api.github.com") return "https://github.com";
  return api.replace(/\/api\/v3$/, "");
}

export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

interface IssueEvent {
  id: number;
  event: string;
  created_at: string;
  actor?: { login: string; type?: string } | null;
  label?: { name: string } | null;
}

/** Reads the issue, its events and its labeler's standing: everything the lifecycle needs. */
export async function readIssueFacts(
  octokit: Octokit,
  ref: RepoRef,
  number: number,
  config: LanegateConfig,
  now: Date,
): Promise<IssueFacts> {
  // GitHub gives an issue's page with the issue; one it no longer shows gets the same shape of
  // link on the server lanegate talks to (GitHub Enterprise Server included), never github.com.
  const url = `${webBaseOf(octokit)}/${ref.owner}/${ref.repo}/issues/${number}`;
  const gone = (presence: IssueFacts["presence"]): IssueFacts => ({
    number,
    url,
    author: "",
    presence,
    presenceActor: null,
    body: "",
    hasLabel: false,
    lastLabeled: null,
    lastUnlabeled: null,
    closedSinceLabeled: false,
    labeler: null,
    readAt: now.toISOString(),
  });
  let issue: Awaited<ReturnType<Octokit["rest"]["issues"]["get"]>>["data"];
  try {
    issue = (await octokit.rest.issues.get({ ...ref, issue_number: number })).data;
  } catch (error) {
    if (statusOf(error) === 404 || statusOf(error) === 410) return gone("deleted");
    throw error;
  }
  const home = `/repos/${ref.owner}/${ref.repo}`.toLowerCase();
  if (!issue.repository_url.toLowerCase().endsWith(home)) return gone("transferred");

  const events: IssueEvent[] = await octokit.paginate(octokit.rest.issues.listEvents, {
    ...ref,
    issue_number: number,
    per_page: 100,
  });
  const ours = (e: IssueEvent) => e.label?.name.toLowerCase() === config.label.toLowerCase();
  const last = (pred: (e: IssueEvent) => boolean) => events.filter(pred).at(-1);
  const asLabelEvent = (e: IssueEvent | undefined) =>
    e ? { eventId: String(e.id), actor: e.actor?.login ?? "ghost", at: e.created_at } : null;
  const labeled = last((e) => e.event === "labeled" && ours(e));
  const closed = last((e) => e.event === "closed");
  const hasLabel = issue.labels.some(
    (l) => (typeof l === "string" ? l : (l.name ?? "")).toLowerCase() === config.label.toLowerCase(),
  );
  const author = issue.user?.login ?? "ghost";
  const labeler =
    hasLabel && labeled?.actor
      ? await verifyApprover(octokit, ref, labeled.actor.login, labeled.actor.type === "Bot", author, config)
      : null;
  return {
    number,
    url: issue.html_url,
    author,
    presence: issue.state === "closed" ? "closed" : "open",
    presenceActor: issue.state === "closed" ? (closed?.actor?.login ?? issue.closed_by?.login ?? null) : null,
    body: issue.body ?? "",
    hasLabel,
    lastLabeled: asLabelEvent(labeled),
    lastUnlabeled: asLabelEvent(last((e) => e.event === "unlabeled" && ours(e))),
    closedSinceLabeled:
      closed !== undefined && labeled !== undefined && events.indexOf(closed) > events.indexOf(labeled),
    labeler,
    readAt: now.toISOString(),
  };
}

/** Checks a user's role on the repository and, if that falls short, the configured teams. */
export async function verifyApprover(
  octokit: Octokit,
  ref: RepoRef,
  login: string,
  isBot: boolean,
  author: string,
  config: LanegateConfig,
): Promise<ApproverVerdict> {
  const facts: ApproverFacts = { login, isBot, author, role: null, teams: [] };
  if (isBot) return judgeApprover(facts, config.approvers);
  try {
    const { data } = await octokit.rest.repos.getCollaboratorPermissionLevel({ ...ref, username: login });
    facts.role = effectiveRole(data.role_name, data.permission);
  } catch (error) {
    if (statusOf(error) !== 404) throw error;
  }
  const verdict = judgeApprover(facts, config.approvers);
  const selfRefused = !config.approvers.allow_self_approval && login.toLowerCase() === author.toLowerCase();
  if (verdict.approver || selfRefused) return verdict;
  for (const team of config.approvers.teams) {
    if (await isTeamMember(octokit, ref.owner, team, login)) {
      facts.teams.push(team);
      break;
    }
  }
  return judgeApprover(facts, config.approvers);
}

async function isTeamMember(octokit: Octokit, org: string, team: string, login: string): Promise<boolean> {
  try {
    const { data } = await octokit.rest.teams.getMembershipForUserInOrg({
      org,
      team_slug: team,
      username: login,
    });
    return data.state === "active";
  } catch (error) {
    if (statusOf(error) === 404) return false;
    throw error;
  }
}

/** Open issues carrying the label, for the reconcile. */
export async function listLabelledIssues(octokit: Octokit, ref: RepoRef, label: string): Promise<number[]> {
  const issues = await octokit.paginate(octokit.rest.issues.listForRepo, {
    ...ref,
    labels: label,
    state: "open",
    per_page: 100,
  });
  return issues.filter((i) => !i.pull_request).map((i) => i.number);
}

/**
 * Edits the app's one status comment in place, found by its stored id or else by the marker and
 * the app as author, so a comment someone else wrote with the marker is never taken over.
 */
export async function upsertStatusComment(
  octokit: Octokit,
  ref: RepoRef,
  number: number,
  knownId: number | null,
  body: string,
  appId: number,
): Promise<number> {
  let id = knownId;
  if (id === null) {
    const comments = await octokit.paginate(octokit.rest.issues.listComments, {
      ...ref,
      issue_number: number,
      per_page: 100,
    });
    id =
      comments.find((c) => c.body?.includes(STATUS_MARKER) && c.performed_via_github_app?.id === appId)?.id ??
      null;
  }
  if (id !== null) {
    try {
      await octokit.rest.issues.updateComment({ ...ref, comment_id: id, body });
      return id;
    } catch (error) {
      if (statusOf(error) !== 404) throw error;
    }
  }
  const { data } = await octokit.rest.issues.createComment({ ...ref, issue_number: number, body });
  return data.id;
}
