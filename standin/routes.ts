// The REST operations the stand-in answers, and nothing else: a call the app starts making
// without a route here fails with 404, so it cannot go unnoticed.
import { createHash, randomBytes } from "node:crypto";
import { artifactJson, blobUrl } from "./actions.ts";
import { hookRoutes } from "./hooks.ts";
import type { CheckRun, Issue, Repo } from "./model.ts";
import { oauthRoutes } from "./oauth.ts";
import { diffEntries } from "./pulls.ts";
import {
  APP_PERMISSIONS,
  annotationJson,
  checkRunJson,
  collaboratorPermissionJson,
  commentJson,
  contentJson,
  installationJson,
  iso,
  issueEventJson,
  issueJson,
  issueUrl,
  type Json,
  repoJson,
  workflowRunJson,
} from "./shapes.ts";
import type { Standin } from "./standin.ts";

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
    readonly extra: Json = {},
  ) {
    super(message);
  }
}

export interface Ctx {
  s: Standin;
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  accept: string;
  /** The request's If-None-Match, for conditional reads. */
  ifNoneMatch: string;
  installationId: number;
  /** The request's Authorization header, for the routes that take a user's token. */
  authorization: string;
  /** Slices a list by per_page/page and sets the Link header. */
  page<T>(items: T[]): T[];
}

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  json?: unknown;
  text?: string;
  /** A web page (the OAuth authorize page), not an API answer. */
  html?: string;
}

export interface Route {
  method: string;
  pattern: RegExp;
  names: string[];
  auth: "app" | "installation" | "none";
  handle(ctx: Ctx): Reply;
}

const notFound = (): HttpError => new HttpError(404, "Not Found");

function field(body: unknown, name: string): unknown {
  return typeof body === "object" && body !== null ? Reflect.get(body, name) : undefined;
}

function text(body: unknown, name: string): string | undefined {
  const value = field(body, name);
  return typeof value === "string" ? value : undefined;
}

function invalid(resource: string, name: string): HttpError {
  return new HttpError(
    422,
    "Validation Failed",
    {},
    { errors: [{ resource, field: name, code: "missing_field" }] },
  );
}

function repoOf(ctx: Ctx): Repo {
  const repo = ctx.s.findRepo(ctx.params.owner ?? "", ctx.params.repo ?? "");
  // An installation sees only its own repositories; GitHub hides the rest behind 404.
  if (!repo || repo.installationId !== ctx.installationId) throw notFound();
  return repo;
}

function issueOf(ctx: Ctx, suffix = ""): { repo: Repo; issue: Issue } {
  const repo = repoOf(ctx);
  const issue = repo.issues.get(Number(ctx.params.issue_number));
  if (!issue) throw notFound();
  if (issue.deleted) throw new HttpError(410, "This issue was deleted");
  if (issue.transferredTo) {
    const url = `${issueUrl(ctx.s, ctx.s.repo(issue.transferredTo.repo), issue.transferredTo.number)}${suffix}`;
    throw new HttpError(301, "Moved Permanently", { location: url }, { url });
  }
  return { repo, issue };
}

/** The files of a commit: the default branch's by default, else a branch's or a SHA's. */
function filesAt(repo: Repo, ref: string | null): Map<string, string> {
  if (ref === null || ref === repo.defaultBranch || ref === `refs/heads/${repo.defaultBranch}`)
    return repo.files;
  const sha = repo.branches.get(ref.replace(/^refs\/heads\//, "")) ?? ref;
  if (sha === repo.branches.get(repo.defaultBranch)) return repo.files;
  const tree = repo.trees.get(sha);
  if (!tree) throw new HttpError(404, `No commit found for the ref ${ref}`);
  return tree;
}

function runOf(ctx: Ctx) {
  const repo = repoOf(ctx);
  const run = repo.runs.get(Number(ctx.params.run_id));
  if (!run) throw notFound();
  return { repo, run };
}

function applyCheckRun(ctx: Ctx, run: CheckRun): void {
  const { body } = ctx;
  const date = (name: string): Date | undefined => {
    const value = text(body, name);
    return value === undefined ? undefined : new Date(value);
  };
  run.name = text(body, "name") ?? run.name;
  run.detailsUrl = text(body, "details_url") ?? run.detailsUrl;
  run.externalId = text(body, "external_id") ?? run.externalId;
  run.startedAt = date("started_at") ?? run.startedAt;
  const status = text(body, "status");
  if (status === "queued" || status === "in_progress" || status === "completed") run.status = status;
  const conclusion = text(body, "conclusion");
  if (conclusion !== undefined) {
    run.conclusion = conclusion;
    run.status = "completed";
  }
  if (run.status === "completed") run.completedAt = date("completed_at") ?? run.completedAt ?? ctx.s.now();
  const output = field(body, "output");
  if (output !== undefined) {
    run.output = {
      title: text(output, "title") ?? run.output.title,
      summary: text(output, "summary") ?? run.output.summary,
      text: text(output, "text") ?? run.output.text,
    };
    const annotations = field(output, "annotations");
    if (Array.isArray(annotations)) {
      // GitHub takes at most 50 a request and appends them to the ones the run has.
      if (annotations.length > 50) throw new HttpError(422, "Only 50 annotations may be sent at a time");
      run.annotations.push(...(annotations as Record<string, unknown>[]));
    }
  }
}

function latestPerName(runs: CheckRun[]): CheckRun[] {
  const newest = new Map<string, CheckRun>();
  for (const run of runs) {
    const key = `${run.appId}:${run.name}`;
    const seen = newest.get(key);
    if (!seen || seen.id < run.id) newest.set(key, run);
  }
  return [...newest.values()];
}

const handlers: [string, string, Route["auth"], (ctx: Ctx) => Reply][] = [
  [
    "POST",
    "/app/installations/{installation_id}/access_tokens",
    "app",
    (ctx) => {
      const id = Number(ctx.params.installation_id);
      if (!ctx.s.installations.has(id)) throw notFound();
      const token = `ghs_${randomBytes(27).toString("base64url")}`;
      ctx.s.tokens.set(token, id);
      const expires = new Date(ctx.s.now().getTime() + 3_600_000);
      return {
        status: 201,
        json: { token, expires_at: iso(expires), permissions: APP_PERMISSIONS, repository_selection: "all" },
      };
    },
  ],
  [
    "GET",
    "/app/installations",
    "app",
    (ctx) => ({
      status: 200,
      json: ctx.page([...ctx.s.installations.values()].map((i) => installationJson(ctx.s, i))),
    }),
  ],
  [
    "GET",
    "/installation/repositories",
    "installation",
    (ctx) => {
      const repos = [...ctx.s.repos.values()].filter((r) => r.installationId === ctx.installationId);
      const repositories = ctx.page(repos).map((r) => repoJson(ctx.s, r));
      return { status: 200, json: { total_count: repos.length, repositories, repository_selection: "all" } };
    },
  ],
  [
    "GET",
    "/repos/{owner}/{repo}",
    "installation",
    (ctx) => ({ status: 200, json: repoJson(ctx.s, repoOf(ctx)) }),
  ],
  [
    "GET",
    "/repos/{owner}/{repo}/contents/{path+}",
    "installation",
    (ctx) => {
      const repo = repoOf(ctx);
      const path = ctx.params.path ?? "";
      const content = filesAt(repo, ctx.query.get("ref")).get(path);
      if (content === undefined) throw notFound();
      // Like GitHub: an ETag per version of the file, and 304 for a conditional read that matches.
      const etag = `"${createHash("sha1").update(content).digest("hex")}"`;
      if (ctx.ifNoneMatch === etag) return { status: 304, headers: { etag } };
      if (/vnd\.github(\.v3)?\.raw/.test(ctx.accept))
        return { status: 200, text: content, headers: { etag } };
      return { status: 200, json: contentJson(ctx.s, repo, path, content), headers: { etag } };
    },
  ],
  [
    "GET",
    "/repos/{owner}/{repo}/pulls/{pull_number}/files",
    "installation",
    (ctx) => {
      const repo = repoOf(ctx);
      const pr = repo.pulls.get(Number(ctx.params.pull_number));
      if (!pr) throw notFound();
      // GitHub lists at most 3000 files.
      return { status: 200, json: ctx.page(diffEntries(ctx.s, repo, pr).slice(0, 3000)) };
    },
  ],
  [
    "GET",
    "/repos/{owner}/{repo}/check-runs/{check_run_id}/annotations",
    "installation",
    (ctx) => {
      const repo = repoOf(ctx);
      const run = repo.checkRuns.get(Number(ctx.params.check_run_id));
      if (!run) throw notFound();
      return { status: 200, json: ctx.page(run.annotations.map((a) => annotationJson(ctx.s, repo, run, a))) };
    },
  ],
  [
    "GET",
    "/repos/{owner}/{repo}/issues",
    "installation",
    (ctx) => {
      const repo = repoOf(ctx);
      const state = ctx.query.get("state") ?? "open";
      const wanted = (ctx.query.get("labels") ?? "")
        .split(",")
        .map((l) => l.trim().toLowerCase())
        .filter(Boolean);
      const issues = [...repo.issues.values()]
        .filter((i) => !i.deleted && !i.transferredTo && (state === "all" || i.state === state))
        .filter((i) => wanted.every((w) => i.labels.some((l) => l.toLowerCase() === w)))
        .sort((a, b) => b.number - a.number);
      return { status: 200, json: ctx.page(issues).map((i) => issueJson(ctx.s, repo, i)) };
    },
  ],
  [
    "GET",
    "/repos/{owner}/{repo}/issues/{issue_number}",
    "installation",
    (ctx) => {
      const { repo, issue } = issueOf(ctx);
      return { status: 200, json: issueJson(ctx.s, repo, issue) };
    },
  ],
  [
    "GET",
    "/repos/{owner}/{repo}/issues/{issue_number}/events",
    "installation",
    (ctx) => {
      const { repo, issue } = issueOf(ctx, "/events");
      return { status: 200, json: ctx.page(issue.events).map((e) => issueEventJson(ctx.s, repo, e)) };
    },
  ],
  [
    "GET",
    "/repos/{owner}/{repo}/issues/{issue_number}/comments",
    "installation",
    (ctx) => {
      const { repo, issue } = issueOf(ctx, "/comments");
      return { status: 200, json: ctx.page(issue.comments).map((c) => commentJson(ctx.s, repo, issue, c)) };
    },
  ],
  [
    "POST",
    "/repos/{owner}/{repo}/issues/{issue_number}/comments",
    "installation",
    (ctx) => {
      const { repo, issue } = issueOf(ctx, "/comments");
      const body = text(ctx.body, "body");
      if (body === undefined) throw invalid("IssueComment", "body");
      const now = ctx.s.now();
      // Installation tokens act as the app's bot user.
      const comment = {
        id: ctx.s.nextId(),
        body,
        user: ctx.s.app.bot,
        viaApp: true,
        createdAt: now,
        updatedAt: now,
      };
      issue.comments.push(comment);
      return { status: 201, json: commentJson(ctx.s, repo, issue, comment) };
    },
  ],
  [
    "PATCH",
    "/repos/{owner}/{repo}/issues/comments/{comment_id}",
    "installation",
    (ctx) => {
      const repo = repoOf(ctx);
      const id = Number(ctx.params.comment_id);
      const body = text(ctx.body, "body");
      if (body === undefined) throw invalid("IssueComment", "body");
      for (const issue of repo.issues.values()) {
        const comment = issue.comments.find((c) => c.id === id);
        if (!comment || issue.deleted) continue;
        comment.body = body;
        comment.updatedAt = ctx.s.now();
        return { status: 200, json: commentJson(ctx.s, repo, issue, comment) };
      }
      throw notFound();
    },
  ],
  [
    "GET",
    "/repos/{owner}/{repo}/collaborators/{username}/permission",
    "installation",
    (ctx) => {
      const repo = repoOf(ctx);
      const login = ctx.params.username ?? "";
      const role = ctx.s.users.has(login.toLowerCase()) ? ctx.s.roleOf(repo, login) : undefined;
      if (!role) throw notFound();
      return { status: 200, json: collaboratorPermissionJson(ctx.s, ctx.s.user(login).login, role) };
    },
  ],
  [
    "GET",
    "/orgs/{org}/teams/{team_slug}/memberships/{username}",
    "installation",
    (ctx) => {
      const team = ctx.s.team(ctx.params.org ?? "", ctx.params.team_slug ?? "");
      const login = ctx.params.username ?? "";
      // The description gives this 404 no body.
      if (!team?.members.has(login.toLowerCase())) return { status: 404 };
      const url = `${ctx.s.apiUrl}/organizations/${ctx.s.user(team.org).id}/team/${team.id}/memberships/${login}`;
      return { status: 200, json: { url, role: "member", state: "active" } };
    },
  ],
  [
    "POST",
    "/repos/{owner}/{repo}/check-runs",
    "installation",
    (ctx) => {
      const repo = repoOf(ctx);
      const name = text(ctx.body, "name");
      const headSha = text(ctx.body, "head_sha");
      if (name === undefined) throw invalid("CheckRun", "name");
      if (headSha === undefined) throw invalid("CheckRun", "head_sha");
      const run: CheckRun = {
        id: ctx.s.nextId(),
        appId: ctx.s.app.id,
        suiteId: ctx.s.nextId(),
        headSha,
        name,
        externalId: null,
        status: "queued",
        conclusion: null,
        startedAt: ctx.s.now(),
        completedAt: null,
        detailsUrl: null,
        output: { title: null, summary: null, text: null },
        annotations: [],
      };
      applyCheckRun(ctx, run);
      repo.checkRuns.set(run.id, run);
      return { status: 201, json: checkRunJson(ctx.s, repo, run) };
    },
  ],
  [
    "PATCH",
    "/repos/{owner}/{repo}/check-runs/{check_run_id}",
    "installation",
    (ctx) => {
      const repo = repoOf(ctx);
      const run = repo.checkRuns.get(Number(ctx.params.check_run_id));
      if (!run) throw notFound();
      applyCheckRun(ctx, run);
      return { status: 200, json: checkRunJson(ctx.s, repo, run) };
    },
  ],
  [
    "POST",
    "/repos/{owner}/{repo}/check-runs/{check_run_id}/rerequest",
    "installation",
    (ctx) => {
      const repo = repoOf(ctx);
      const run = repo.checkRuns.get(Number(ctx.params.check_run_id));
      if (!run) throw notFound();
      // GitHub tells the check run's app by delivering check_run.rerequested, sent by whoever asked.
      ctx.s.onDelivery?.(ctx.s.rerequestCheckRun(repo.fullName, run.id, ctx.s.app.bot));
      return { status: 201, json: {} };
    },
  ],
  [
    "GET",
    "/repos/{owner}/{repo}/commits/{ref}/check-runs",
    "installation",
    (ctx) => {
      const repo = repoOf(ctx);
      const ref = ctx.params.ref ?? "";
      const sha = repo.branches.get(ref.replace(/^refs\/heads\//, "")) ?? ref;
      const q = ctx.query;
      let runs = [...repo.checkRuns.values()].filter(
        (r) =>
          r.headSha === sha &&
          (!q.has("check_name") || r.name === q.get("check_name")) &&
          (!q.has("app_id") || String(r.appId) === q.get("app_id")) &&
          (!q.has("status") || r.status === q.get("status")),
      );
      if ((q.get("filter") ?? "latest") === "latest") runs = latestPerName(runs);
      runs.sort((a, b) => b.id - a.id);
      const checkRuns = ctx.page(runs).map((r) => checkRunJson(ctx.s, repo, r));
      return { status: 200, json: { total_count: runs.length, check_runs: checkRuns } };
    },
  ],
  [
    "GET",
    "/repos/{owner}/{repo}/actions/runs/{run_id}",
    "installation",
    (ctx) => {
      const { repo, run } = runOf(ctx);
      return { status: 200, json: workflowRunJson(ctx.s, repo, run) };
    },
  ],
  [
    "GET",
    "/repos/{owner}/{repo}/actions/runs/{run_id}/attempts/{attempt_number}",
    "installation",
    (ctx) => {
      const { repo, run } = runOf(ctx);
      const n = Number(ctx.params.attempt_number);
      const earlier = run.earlierAttempts.find((a) => a.runAttempt === n);
      if (n !== run.runAttempt && !earlier) throw notFound();
      return { status: 200, json: workflowRunJson(ctx.s, repo, { ...run, ...earlier }) };
    },
  ],
  [
    "GET",
    "/repos/{owner}/{repo}/actions/runs/{run_id}/artifacts",
    "installation",
    (ctx) => {
      const { repo, run } = runOf(ctx);
      const name = ctx.query.get("name");
      const all = run.artifacts.filter((a) => name === null || a.name === name);
      const artifacts = ctx.page(all).map((a) => artifactJson(ctx.s, repo, run, a));
      return { status: 200, json: { total_count: all.length, artifacts } };
    },
  ],
  [
    "GET",
    "/repos/{owner}/{repo}/actions/artifacts/{artifact_id}/{archive_format}",
    "installation",
    (ctx) => {
      const repo = repoOf(ctx);
      const id = Number(ctx.params.artifact_id);
      const found = [...repo.runs.values()].flatMap((run) => run.artifacts).find((a) => a.id === id);
      if (!found || ctx.params.archive_format !== "zip") throw notFound();
      if (found.expired) throw new HttpError(410, "Artifact has expired");
      return { status: 302, headers: { location: blobUrl(ctx.s, found.bytes) } };
    },
  ],
  [
    "POST",
    "/repos/{owner}/{repo}/actions/runs/{run_id}/cancel",
    "installation",
    (ctx) => {
      const { repo, run } = runOf(ctx);
      if (run.status === "completed")
        throw new HttpError(409, "Cannot cancel a workflow run that is completed.");
      const completed = ctx.s.cancelRun(repo.fullName, run.id);
      ctx.s.onDelivery?.(completed);
      return { status: 202, json: {} };
    },
  ],
  [
    "POST",
    "/repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule",
    "installation",
    (ctx) => {
      const { run } = runOf(ctx);
      const environment = text(ctx.body, "environment_name");
      const state = text(ctx.body, "state");
      if (environment === undefined) throw invalid("DeploymentProtectionRule", "environment_name");
      if (state !== "approved" && state !== "rejected") throw invalid("DeploymentProtectionRule", "state");
      run.protectionReviews.push({
        environment,
        state,
        comment: text(ctx.body, "comment") ?? null,
        at: ctx.s.now(),
      });
      return { status: 204 };
    },
  ],
];

export const ROUTES: Route[] = [...handlers, ...hookRoutes(notFound), ...oauthRoutes()].map(
  ([method, template, auth, handle]) => {
    const names: string[] = [];
    const source = template.replace(/\{(\w+)(\+?)\}/g, (_, name: string, multi: string) => {
      names.push(name);
      return multi ? "(.+)" : "([^/]+)";
    });
    return { method, pattern: new RegExp(`^${source}$`), names, auth, handle };
  },
);
