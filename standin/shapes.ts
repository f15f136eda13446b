// Model records rendered as GitHub's JSON (field names and types from GitHub's OpenAPI
// description). The same objects serve REST responses and webhook payloads, as on GitHub.
import { createHash } from "node:crypto";
import type {
  CheckRun,
  Comment,
  Installation,
  Issue,
  IssueEvent,
  Label,
  Model,
  Repo,
  Role,
  WorkflowRun,
} from "./model.ts";

export type Json = Record<string, unknown>;

export const iso = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, "Z");
const isoOrNull = (d: Date | null): string | null => (d ? iso(d) : null);
export const nodeId = (prefix: string, id: number): string =>
  `${prefix}_${Buffer.from(`${prefix}${id}`).toString("base64url")}`;

export const APP_PERMISSIONS = {
  actions: "write",
  checks: "write",
  contents: "read",
  deployments: "write",
  issues: "write",
  members: "read",
  metadata: "read",
  pull_requests: "read",
};
const APP_EVENTS = [
  "check_run",
  "deployment_protection_rule",
  "issues",
  "pull_request",
  "workflow_dispatch",
  "workflow_run",
];

export function userJson(s: Model, login: string): Json {
  const u = s.user(login);
  const api = `${s.apiUrl}/users/${encodeURIComponent(u.login)}`;
  const html =
    u.type === "Bot" ? `${s.htmlUrl}/apps/${u.login.replace(/\[bot\]$/, "")}` : `${s.htmlUrl}/${u.login}`;
  return {
    login: u.login,
    id: u.id,
    node_id: nodeId(u.type === "Organization" ? "O" : u.type === "Bot" ? "BOT" : "U", u.id),
    avatar_url: `https://avatars.githubusercontent.com/u/${u.id}?v=4`,
    gravatar_id: "",
    url: api,
    html_url: html,
    followers_url: `${api}/followers`,
    following_url: `${api}/following{/other_user}`,
    gists_url: `${api}/gists{/gist_id}`,
    starred_url: `${api}/starred{/owner}{/repo}`,
    subscriptions_url: `${api}/subscriptions`,
    organizations_url: `${api}/orgs`,
    repos_url: `${api}/repos`,
    events_url: `${api}/events{/privacy}`,
    received_events_url: `${api}/received_events`,
    type: u.type,
    user_view_type: "public",
    site_admin: false,
  };
}

const appHomepage = (s: Model): string => `${s.htmlUrl}/${s.app.owner}/${s.app.slug}`;

export function appJson(s: Model): Json {
  const { app } = s;
  return {
    id: app.id,
    slug: app.slug,
    node_id: nodeId("A", app.id),
    client_id: `Iv1.${createHash("sha1").update(app.slug).digest("hex").slice(0, 16)}`,
    owner: userJson(s, app.owner),
    name: app.name,
    description: "Gates destructive workflow runs on deployment lanes",
    external_url: appHomepage(s),
    html_url: `${s.htmlUrl}/apps/${app.slug}`,
    created_at: iso(app.createdAt),
    updated_at: iso(app.createdAt),
    permissions: APP_PERMISSIONS,
    events: APP_EVENTS,
  };
}

export function installationJson(s: Model, installation: Installation): Json {
  const account = s.user(installation.account);
  const settings = account.type === "Organization" ? `organizations/${account.login}/settings` : "settings";
  return {
    id: installation.id,
    // GET /app/installations describes the account as a user AND an enterprise (allOf), so it
    // carries the enterprise's required fields as well.
    account: {
      ...userJson(s, account.login),
      name: account.login,
      slug: account.login.toLowerCase(),
      created_at: iso(installation.createdAt),
      updated_at: iso(installation.createdAt),
    },
    repository_selection: "all",
    access_tokens_url: `${s.apiUrl}/app/installations/${installation.id}/access_tokens`,
    repositories_url: `${s.apiUrl}/installation/repositories`,
    html_url: `${s.htmlUrl}/${settings}/installations/${installation.id}`,
    app_id: s.app.id,
    app_slug: s.app.slug,
    target_id: account.id,
    target_type: account.type,
    permissions: APP_PERMISSIONS,
    events: APP_EVENTS,
    created_at: iso(installation.createdAt),
    updated_at: iso(installation.createdAt),
    single_file_name: null,
    has_multiple_single_files: false,
    single_file_paths: [],
    suspended_by: null,
    suspended_at: null,
  };
}

export function repoJson(s: Model, repo: Repo): Json {
  const api = `${s.apiUrl}/repos/${repo.fullName}`;
  const html = `${s.htmlUrl}/${repo.fullName}`;
  const host = new URL(s.htmlUrl).host;
  const open = [...repo.issues.values()].filter((i) => i.state === "open" && !i.deleted && !i.transferredTo);
  return {
    id: repo.id,
    node_id: nodeId("R", repo.id),
    name: repo.name,
    full_name: repo.fullName,
    private: repo.private,
    owner: userJson(s, repo.owner),
    html_url: html,
    description: null,
    fork: false,
    url: api,
    archive_url: `${api}/{archive_format}{/ref}`,
    assignees_url: `${api}/assignees{/user}`,
    blobs_url: `${api}/git/blobs{/sha}`,
    branches_url: `${api}/branches{/branch}`,
    collaborators_url: `${api}/collaborators{/collaborator}`,
    comments_url: `${api}/comments{/number}`,
    commits_url: `${api}/commits{/sha}`,
    compare_url: `${api}/compare/{base}...{head}`,
    contents_url: `${api}/contents/{+path}`,
    contributors_url: `${api}/contributors`,
    deployments_url: `${api}/deployments`,
    downloads_url: `${api}/downloads`,
    events_url: `${api}/events`,
    forks_url: `${api}/forks`,
    git_commits_url: `${api}/git/commits{/sha}`,
    git_refs_url: `${api}/git/refs{/sha}`,
    git_tags_url: `${api}/git/tags{/sha}`,
    git_url: `git://${host}/${repo.fullName}.git`,
    issue_comment_url: `${api}/issues/comments{/number}`,
    issue_events_url: `${api}/issues/events{/number}`,
    issues_url: `${api}/issues{/number}`,
    keys_url: `${api}/keys{/key_id}`,
    labels_url: `${api}/labels{/name}`,
    languages_url: `${api}/languages`,
    merges_url: `${api}/merges`,
    milestones_url: `${api}/milestones{/number}`,
    notifications_url: `${api}/notifications{?since,all,participating}`,
    pulls_url: `${api}/pulls{/number}`,
    releases_url: `${api}/releases{/id}`,
    ssh_url: `git@${host}:${repo.fullName}.git`,
    stargazers_url: `${api}/stargazers`,
    statuses_url: `${api}/statuses/{sha}`,
    subscribers_url: `${api}/subscribers`,
    subscription_url: `${api}/subscription`,
    tags_url: `${api}/tags`,
    teams_url: `${api}/teams`,
    trees_url: `${api}/git/trees{/sha}`,
    clone_url: `${html}.git`,
    mirror_url: null,
    hooks_url: `${api}/hooks`,
    svn_url: html,
    homepage: null,
    language: null,
    forks_count: 0,
    stargazers_count: 0,
    watchers_count: 0,
    size: 0,
    default_branch: repo.defaultBranch,
    open_issues_count: open.length,
    is_template: false,
    topics: [],
    has_issues: true,
    has_projects: true,
    has_wiki: true,
    has_pages: false,
    has_downloads: true,
    has_discussions: false,
    archived: false,
    disabled: false,
    visibility: repo.private ? "private" : "public",
    pushed_at: iso(repo.createdAt),
    created_at: iso(repo.createdAt),
    updated_at: iso(repo.createdAt),
    allow_forking: true,
    web_commit_signoff_required: false,
    license: null,
    forks: 0,
    open_issues: open.length,
    watchers: 0,
    subscribers_count: 0,
    network_count: 0,
  };
}

export function labelJson(s: Model, repo: Repo, label: Label): Json {
  return {
    id: label.id,
    node_id: nodeId("LA", label.id),
    url: `${s.apiUrl}/repos/${repo.fullName}/labels/${encodeURIComponent(label.name)}`,
    name: label.name,
    color: label.color,
    default: false,
    description: null,
  };
}

export function authorAssociation(s: Model, repo: Repo, login: string): string {
  if (login.toLowerCase() === repo.owner.toLowerCase()) return "OWNER";
  const member = [...s.teams.values()].some(
    (t) => t.org.toLowerCase() === repo.owner.toLowerCase() && t.members.has(login.toLowerCase()),
  );
  if (member) return "MEMBER";
  return repo.collaborators.has(login.toLowerCase()) ? "COLLABORATOR" : "NONE";
}

function reactions(url: string): Json {
  return {
    url: `${url}/reactions`,
    total_count: 0,
    "+1": 0,
    "-1": 0,
    laugh: 0,
    hooray: 0,
    confused: 0,
    heart: 0,
    rocket: 0,
    eyes: 0,
  };
}

export function issueUrl(s: Model, repo: Repo, number: number): string {
  return `${s.apiUrl}/repos/${repo.fullName}/issues/${number}`;
}

export function issueJson(s: Model, repo: Repo, issue: Issue): Json {
  const url = issueUrl(s, repo, issue.number);
  return {
    id: issue.id,
    node_id: nodeId("I", issue.id),
    url,
    repository_url: `${s.apiUrl}/repos/${repo.fullName}`,
    labels_url: `${url}/labels{/name}`,
    comments_url: `${url}/comments`,
    events_url: `${url}/events`,
    html_url: `${s.htmlUrl}/${repo.fullName}/issues/${issue.number}`,
    timeline_url: `${url}/timeline`,
    number: issue.number,
    state: issue.state,
    state_reason: issue.stateReason,
    title: issue.title,
    body: issue.body,
    user: userJson(s, issue.user),
    labels: issue.labels.map((name) => labelJson(s, repo, s.label(repo, name))),
    assignee: null,
    assignees: [],
    milestone: null,
    locked: false,
    active_lock_reason: null,
    comments: issue.comments.length,
    closed_at: isoOrNull(issue.closedAt),
    created_at: iso(issue.createdAt),
    updated_at: iso(issue.updatedAt),
    author_association: authorAssociation(s, repo, issue.user),
    reactions: reactions(url),
    performed_via_github_app: null,
  };
}

export function issueEventJson(s: Model, repo: Repo, event: IssueEvent): Json {
  const base: Json = {
    id: event.id,
    node_id: nodeId("IE", event.id),
    url: `${s.apiUrl}/repos/${repo.fullName}/issues/events/${event.id}`,
    actor: userJson(s, event.actor),
    event: event.event,
    commit_id: null,
    commit_url: null,
    created_at: iso(event.createdAt),
    performed_via_github_app: null,
  };
  if (event.label !== undefined) {
    const label = s.label(repo, event.label);
    base.label = { name: label.name, color: label.color };
  }
  if (event.rename) base.rename = event.rename;
  if (event.stateReason !== undefined) base.state_reason = event.stateReason;
  return base;
}

export function commentJson(s: Model, repo: Repo, issue: Issue, comment: Comment): Json {
  const url = `${s.apiUrl}/repos/${repo.fullName}/issues/comments/${comment.id}`;
  return {
    id: comment.id,
    node_id: nodeId("IC", comment.id),
    url,
    html_url: `${s.htmlUrl}/${repo.fullName}/issues/${issue.number}#issuecomment-${comment.id}`,
    issue_url: issueUrl(s, repo, issue.number),
    body: comment.body,
    user: userJson(s, comment.user),
    created_at: iso(comment.createdAt),
    updated_at: iso(comment.updatedAt),
    author_association: comment.viaApp ? "NONE" : authorAssociation(s, repo, comment.user),
    reactions: reactions(url),
    performed_via_github_app: comment.viaApp ? appJson(s) : null,
  };
}

export function contentJson(s: Model, repo: Repo, path: string, text: string): Json {
  const bytes = Buffer.from(text, "utf8");
  const sha = createHash("sha1").update(`blob ${bytes.length}\0`).update(bytes).digest("hex");
  const self = `${s.apiUrl}/repos/${repo.fullName}/contents/${path}?ref=${repo.defaultBranch}`;
  const git = `${s.apiUrl}/repos/${repo.fullName}/git/blobs/${sha}`;
  const html = `${s.htmlUrl}/${repo.fullName}/blob/${repo.defaultBranch}/${path}`;
  return {
    type: "file",
    encoding: "base64",
    size: bytes.length,
    name: path.split("/").pop() ?? path,
    path,
    // GitHub wraps base64 content at 60 characters.
    content: `${bytes.toString("base64").replace(/.{60}/g, "$&\n")}\n`,
    sha,
    url: self,
    git_url: git,
    html_url: html,
    download_url: `${s.htmlUrl}/${repo.fullName}/raw/${repo.defaultBranch}/${path}`,
    _links: { self, git, html },
  };
}

const PERMISSION_FOR_ROLE: Record<Role, string> = {
  admin: "admin",
  maintain: "write",
  write: "write",
  triage: "read",
  read: "read",
};

export function collaboratorPermissionJson(s: Model, login: string, role: Role): Json {
  const rank = ["read", "triage", "write", "maintain", "admin"].indexOf(role);
  return {
    permission: PERMISSION_FOR_ROLE[role],
    role_name: role,
    user: {
      ...userJson(s, login),
      permissions: { pull: true, triage: rank >= 1, push: rank >= 2, maintain: rank >= 3, admin: rank >= 4 },
      role_name: role,
    },
  };
}

export function checkRunJson(s: Model, repo: Repo, run: CheckRun): Json {
  const url = `${s.apiUrl}/repos/${repo.fullName}/check-runs/${run.id}`;
  return {
    id: run.id,
    head_sha: run.headSha,
    node_id: nodeId("CR", run.id),
    external_id: run.externalId,
    url,
    html_url: `${s.htmlUrl}/${repo.fullName}/runs/${run.id}`,
    // Without one from the app, GitHub links the app's homepage.
    details_url: run.detailsUrl ?? appHomepage(s),
    status: run.status,
    conclusion: run.conclusion,
    started_at: iso(run.startedAt),
    completed_at: isoOrNull(run.completedAt),
    output: {
      ...run.output,
      annotations_count: run.annotations.length,
      annotations_url: `${url}/annotations`,
    },
    name: run.name,
    check_suite: { id: run.suiteId },
    app: appJson(s),
    pull_requests: [],
  };
}

/** An annotation as `GET …/check-runs/{id}/annotations` lists it: what the app sent, with a blob link. */
export function annotationJson(s: Model, repo: Repo, run: CheckRun, a: Record<string, unknown>): Json {
  const optional = (key: string) => a[key] ?? null;
  return {
    path: a.path,
    blob_href: `${s.htmlUrl}/${repo.fullName}/blob/${run.headSha}/${String(a.path)}`,
    start_line: a.start_line,
    end_line: a.end_line,
    start_column: optional("start_column"),
    end_column: optional("end_column"),
    annotation_level: optional("annotation_level"),
    title: optional("title"),
    message: optional("message"),
    raw_details: optional("raw_details"),
  };
}

export function workflowJson(s: Model, repo: Repo, run: WorkflowRun): Json {
  const url = `${s.apiUrl}/repos/${repo.fullName}/actions/workflows/${run.workflowId}`;
  return {
    id: run.workflowId,
    node_id: nodeId("W", run.workflowId),
    name: run.name,
    path: run.path,
    state: "active",
    created_at: iso(repo.createdAt),
    updated_at: iso(repo.createdAt),
    url,
    html_url: `${s.htmlUrl}/${repo.fullName}/blob/${repo.defaultBranch}/${run.path}`,
    badge_url: `${s.htmlUrl}/${repo.fullName}/workflows/${encodeURIComponent(run.name)}/badge.svg`,
  };
}

export function workflowRunJson(s: Model, repo: Repo, run: WorkflowRun): Json {
  const url = `${s.apiUrl}/repos/${repo.fullName}/actions/runs/${run.id}`;
  const { suiteId } = run;
  const person = { name: run.actor, email: `${run.actor}@users.noreply.github.com` };
  const repository = repoJson(s, repo);
  return {
    id: run.id,
    name: run.name,
    node_id: nodeId("WFR", run.id),
    head_branch: run.headBranch,
    head_sha: run.headSha,
    path: run.path,
    display_title: run.displayTitle,
    run_number: run.runNumber,
    run_attempt: run.runAttempt,
    event: run.event,
    status: run.status,
    conclusion: run.conclusion,
    workflow_id: run.workflowId,
    check_suite_id: suiteId,
    check_suite_node_id: nodeId("CS", suiteId),
    url,
    html_url: `${s.htmlUrl}/${repo.fullName}/actions/runs/${run.id}`,
    pull_requests: [],
    referenced_workflows: [],
    created_at: iso(run.createdAt),
    updated_at: iso(run.updatedAt),
    run_started_at: iso(run.runStartedAt),
    actor: userJson(s, run.actor),
    triggering_actor: userJson(s, run.triggeringActor),
    jobs_url: `${url}/jobs`,
    logs_url: `${url}/logs`,
    check_suite_url: `${s.apiUrl}/repos/${repo.fullName}/check-suites/${suiteId}`,
    artifacts_url: `${url}/artifacts`,
    cancel_url: `${url}/cancel`,
    rerun_url: `${url}/rerun`,
    previous_attempt_url: run.runAttempt > 1 ? `${url}/attempts/${run.runAttempt - 1}` : null,
    workflow_url: `${s.apiUrl}/repos/${repo.fullName}/actions/workflows/${run.workflowId}`,
    head_commit: {
      id: run.headSha,
      tree_id: createHash("sha1").update(`tree ${run.headSha}`).digest("hex"),
      message: `Update ${run.path}`,
      timestamp: iso(repo.createdAt),
      author: person,
      committer: person,
    },
    repository,
    head_repository: repository,
    head_repository_id: repo.id,
  };
}
