// The only code that calls GitHub's API. Each function gathers facts or writes one thing; none
// decides anything. Errors other than the ones that are themselves facts (404, 410) propagate,
// so the caller can keep the state as it was and record the failure.
import type { Context } from "probot";
import { effectiveRole } from "../../core/lanes/approver.ts";
import type { IssueEvent, IssueFacts } from "../../core/lanes/facts.ts";
import { STATUS_MARKER } from "../../core/lanes/status-comment.ts";

import type { RepoRef } from "../../core/repository.ts";

export type Octokit = Context["octokit"];

export function statusOf(error: unknown): number | null {
  if (typeof error === "object" && error !== null && "status" in error && typeof error.status === "number") {
    return error.status;
  }
  return null;
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

interface RawIssueEvent {
  id: number;
  event: string;
  created_at: string;
  actor?: { login: string; type?: string } | null;
  label?: { name: string } | null;
}

/**
 * Reads the issue, its labels and its label and close events: the facts the lifecycle judges.
 * The standings of the people involved are read separately (`readRole`, `readTeamMembership`).
 */
export async function readIssueFacts(
  octokit: Octokit,
  ref: RepoRef,
  number: number,
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
    labels: [],
    events: [],
    standings: [],
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

  const raw: RawIssueEvent[] = await octokit.paginate(octokit.rest.issues.listEvents, {
    ...ref,
    issue_number: number,
    per_page: 100,
  });
  const events: IssueEvent[] = raw.flatMap((e) => {
    const kind = e.event === "labeled" || e.event === "unlabeled" || e.event === "closed" ? e.event : null;
    if (!kind) return [];
    const actor = { actor: e.actor?.login ?? "ghost", actorIsBot: e.actor?.type === "Bot" };
    return [{ eventId: String(e.id), kind, label: e.label?.name ?? null, ...actor, at: e.created_at }];
  });
  const closed = events.findLast((e) => e.kind === "closed");
  return {
    number,
    url: issue.html_url,
    author: issue.user?.login ?? "ghost",
    presence: issue.state === "closed" ? "closed" : "open",
    presenceActor: issue.state === "closed" ? (closed?.actor ?? issue.closed_by?.login ?? null) : null,
    body: issue.body ?? "",
    labels: issue.labels.map((l) => (typeof l === "string" ? l : (l.name ?? ""))).filter((l) => l !== ""),
    events,
    standings: [],
    readAt: now.toISOString(),
  };
}

/** A user's role on the repository (custom roles as their base permission); null if not a collaborator. */
export async function readRole(octokit: Octokit, ref: RepoRef, login: string): Promise<string | null> {
  try {
    const { data } = await octokit.rest.repos.getCollaboratorPermissionLevel({ ...ref, username: login });
    return effectiveRole(data.role_name, data.permission);
  } catch (error) {
    if (statusOf(error) === 404) return null;
    throw error;
  }
}

/** Asks about each team in turn, stopping at the first the user is an active member of. */
export async function readTeamMembership(
  octokit: Octokit,
  org: string,
  teams: readonly string[],
  login: string,
): Promise<{ checked: string[]; memberOf: string[] }> {
  const checked: string[] = [];
  for (const team of teams) {
    checked.push(team);
    if (await isTeamMember(octokit, org, team, login)) return { checked, memberOf: [team] };
  }
  return { checked, memberOf: [] };
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
