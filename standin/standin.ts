// What humans and GitHub do to the stand-in. Each mutation changes the model, records the issue
// event GitHub would record, and returns the webhook deliveries GitHub would send; the caller
// decides when (and whether, and in which order) to deliver them.

import { randomBytes } from "node:crypto";
import { type JobStatus, jobDelivery } from "./actions.ts";
import { HookLog, type ManifestGrant } from "./hooks.ts";
import type { Comment, Issue, Repo, StateReason, WorkflowRun } from "./model.ts";
import { Model } from "./model.ts";
import type { OAuthCode } from "./oauth.ts";
import { type FileChanges, openPullRequest, pushToPullRequest, setPullRequestState } from "./pulls.ts";
import {
  checkRunJson,
  commentJson,
  iso,
  issueJson,
  type Json,
  labelJson,
  repoJson,
  userJson,
  workflowJson,
  workflowRunJson,
} from "./shapes.ts";
import { type Delivery, delivery, envelope } from "./webhooks.ts";

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
  body: unknown;
}

export interface FailRule {
  method?: string;
  pathPattern: RegExp;
  status: number;
  times?: number;
}

export type WorkflowInputs = Record<string, string | number | boolean>;

export interface RunOptions {
  workflowPath: string;
  actor: string;
  event?: string;
  branch?: string;
  displayTitle?: string;
  inputs?: WorkflowInputs;
}

const workflowFile = (path: string): string =>
  path.startsWith(".github/workflows/") ? path : `.github/workflows/${path}`;

export class Standin extends Model {
  readonly requests: RecordedRequest[] = [];
  /** What the App's webhook receiver answered to each delivery, for GET /app/hook/deliveries. */
  readonly hookLog = new HookLog();
  /** Codes GitHub would hand the manifest flow's redirect, to the credentials they convert to. */
  readonly manifestCodes = new Map<string, ManifestGrant>();
  /** The App's OAuth client, for the console's sign-in. */
  readonly oauthApp = { clientId: "Iv1.standin0client", clientSecret: "standin-oauth-client-secret" };
  /** Sign-in codes handed to the app's callback, and the user tokens they turned into. */
  readonly oauthCodes = new Map<string, OAuthCode>();
  readonly userTokens = new Map<string, string>();
  /** Installation tokens handed out, to the installation they act for. */
  readonly tokens = new Map<string, number>();
  onRequest?: (method: string, url: string, body: unknown) => void;
  /** Holds the answer to a request until the promise settles: a GitHub that is slow to answer. */
  holdAnswer?: (method: string, path: string) => Promise<void> | undefined;
  /** Deliveries caused by API calls (a cancelled run completes), for whoever plays GitHub. */
  onDelivery?: (d: Delivery) => void;
  private failures: { method?: string; pathPattern: RegExp; status: number; left: number }[] = [];

  failNext(rule: FailRule): void {
    this.failures.push({ ...rule, method: rule.method?.toUpperCase(), left: rule.times ?? 1 });
  }

  takeFailure(method: string, path: string): number | undefined {
    const rule = this.failures.find(
      (r) => r.left > 0 && (!r.method || r.method === method) && r.pathPattern.test(path),
    );
    if (!rule) return undefined;
    rule.left -= 1;
    this.failures = this.failures.filter((r) => r.left > 0);
    return rule.status;
  }

  openIssue(
    fullName: string,
    o: { author: string; title: string; body: string; labels?: string[] },
  ): { number: number; deliveries: Delivery[] } {
    const repo = this.repo(fullName);
    const issue = this.newIssue(repo, o.author, o.title, o.body);
    // An issue template applies its labels as the submitter, right after opening.
    for (const label of o.labels ?? []) this.applyLabel(repo, issue, label, o.author);
    const opened = this.issueDelivery(repo, issue, "opened", o.author);
    const labeled = (o.labels ?? []).map((label) =>
      this.issueDelivery(repo, issue, "labeled", o.author, { label: this.labelPayload(repo, label) }),
    );
    return { number: issue.number, deliveries: [opened, ...labeled] };
  }

  editIssueBody(fullName: string, number: number, body: string, actor: string): Delivery {
    const { repo, issue } = this.live(fullName, number);
    const from = issue.body ?? "";
    issue.body = body;
    issue.updatedAt = this.now();
    return this.issueDelivery(repo, issue, "edited", actor, { changes: { body: { from } } });
  }

  /** A person comments on an issue: the comment is kept, and its `issue_comment.created` delivery returned. */
  commentOnIssue(
    fullName: string,
    number: number,
    body: string,
    actor: string,
  ): { id: number; delivery: Delivery } {
    const { repo, issue } = this.live(fullName, number);
    const at = this.now();
    const comment = { id: this.nextId(), body, user: actor, viaApp: false, createdAt: at, updatedAt: at };
    issue.comments.push(comment);
    return { id: comment.id, delivery: this.commentDelivery(repo, issue, comment, "created", actor) };
  }

  editComment(fullName: string, number: number, id: number, body: string, actor: string): Delivery {
    const { repo, issue } = this.live(fullName, number);
    const comment = this.commentOf(issue, id);
    const from = comment.body;
    comment.body = body;
    comment.updatedAt = this.now();
    return this.commentDelivery(repo, issue, comment, "edited", actor, { changes: { body: { from } } });
  }

  deleteComment(fullName: string, number: number, id: number, actor: string): Delivery {
    const { repo, issue } = this.live(fullName, number);
    const comment = this.commentOf(issue, id);
    issue.comments.splice(issue.comments.indexOf(comment), 1);
    return this.commentDelivery(repo, issue, comment, "deleted", actor);
  }

  renameIssue(fullName: string, number: number, title: string, actor: string): Delivery {
    const { repo, issue } = this.live(fullName, number);
    const from = issue.title;
    issue.title = title;
    this.record(issue, { event: "renamed", actor, rename: { from, to: title } });
    return this.issueDelivery(repo, issue, "edited", actor, { changes: { title: { from } } });
  }

  addLabel(fullName: string, number: number, label: string, actor: string): Delivery {
    const { repo, issue } = this.live(fullName, number);
    this.applyLabel(repo, issue, label, actor);
    return this.issueDelivery(repo, issue, "labeled", actor, { label: this.labelPayload(repo, label) });
  }

  removeLabel(fullName: string, number: number, label: string, actor: string): Delivery {
    const { repo, issue } = this.live(fullName, number);
    const index = issue.labels.findIndex((l) => l.toLowerCase() === label.toLowerCase());
    if (index < 0) throw new Error(`#${number} does not carry ${label}`);
    issue.labels.splice(index, 1);
    this.record(issue, { event: "unlabeled", actor, label });
    return this.issueDelivery(repo, issue, "unlabeled", actor, { label: this.labelPayload(repo, label) });
  }

  closeIssue(fullName: string, number: number, actor: string, reason: StateReason = "completed"): Delivery {
    const { repo, issue } = this.live(fullName, number);
    issue.state = "closed";
    issue.stateReason = reason;
    issue.closedAt = this.now();
    this.record(issue, { event: "closed", actor, stateReason: reason });
    return this.issueDelivery(repo, issue, "closed", actor);
  }

  reopenIssue(fullName: string, number: number, actor: string): Delivery {
    const { repo, issue } = this.live(fullName, number);
    issue.state = "open";
    issue.stateReason = "reopened";
    issue.closedAt = null;
    this.record(issue, { event: "reopened", actor, stateReason: "reopened" });
    return this.issueDelivery(repo, issue, "reopened", actor);
  }

  deleteIssue(fullName: string, number: number, actor: string): Delivery {
    const { repo, issue } = this.live(fullName, number);
    const d = this.issueDelivery(repo, issue, "deleted", actor);
    issue.deleted = true;
    return d;
  }

  transferIssue(fullName: string, number: number, toFullName: string, actor: string): Delivery {
    const { repo, issue } = this.live(fullName, number);
    const target = this.repo(toFullName);
    const moved = this.newIssue(target, issue.user, issue.title, issue.body ?? "");
    for (const label of issue.labels) this.applyLabel(target, moved, label, actor);
    issue.transferredTo = { repo: target.fullName, number: moved.number };
    const changes = { new_issue: issueJson(this, target, moved), new_repository: repoJson(this, target) };
    return this.issueDelivery(repo, issue, "transferred", actor, { changes });
  }

  /**
   * A commit by `actor` that writes (or, with null, removes) one file on a branch, and the `push`
   * delivery GitHub sends for it. Files live on the default branch only: a push elsewhere changes
   * no file the API serves.
   */
  pushFile(fullName: string, path: string, text: string | null, actor: string, branch?: string): Delivery {
    const repo = this.repo(fullName);
    const onto = branch ?? repo.defaultBranch;
    const existed = repo.files.has(path);
    if (onto === repo.defaultBranch) {
      if (text === null) repo.files.delete(path);
      else repo.files.set(path, text);
    }
    const before = this.headSha(repo, onto);
    const after = randomBytes(20).toString("hex");
    repo.branches.set(onto, after);
    const who = { name: actor, email: `${actor}@users.noreply.github.com`, username: actor };
    const commit = {
      id: after,
      tree_id: randomBytes(20).toString("hex"),
      distinct: true,
      message: `update ${path}`,
      timestamp: iso(this.now()),
      url: `${this.htmlUrl}/${repo.fullName}/commit/${after}`,
      author: who,
      committer: who,
      added: existed || text === null ? [] : [path],
      modified: existed && text !== null ? [path] : [],
      removed: text === null ? [path] : [],
    };
    return delivery("push", {
      ref: `refs/heads/${onto}`,
      before,
      after,
      created: false,
      deleted: false,
      forced: false,
      base_ref: null,
      compare: `${this.htmlUrl}/${repo.fullName}/compare/${before.slice(0, 12)}...${after.slice(0, 12)}`,
      commits: [commit],
      head_commit: commit,
      pusher: { name: actor, email: who.email },
      ...envelope(this, repo, actor),
    });
  }

  /** A pull request from `branch` onto the default branch, writing (text) or removing (null) files. */
  openPullRequest(
    fullName: string,
    o: { author: string; branch: string; title: string; files: FileChanges },
  ): { number: number; headSha: string; delivery: Delivery } {
    const { pr, delivery } = openPullRequest(this, this.repo(fullName), o);
    return { number: pr.number, headSha: pr.headSha, delivery };
  }

  /** A push to the pull request's branch: `pull_request.synchronize` with the new head. */
  pushToPullRequest(fullName: string, number: number, files: FileChanges, actor: string): Delivery {
    return pushToPullRequest(this, this.repo(fullName), this.pull(fullName, number), files, actor);
  }

  closePullRequest(fullName: string, number: number, actor: string): Delivery {
    return setPullRequestState(this, this.repo(fullName), this.pull(fullName, number), "closed", actor);
  }

  reopenPullRequest(fullName: string, number: number, actor: string): Delivery {
    return setPullRequestState(this, this.repo(fullName), this.pull(fullName, number), "open", actor);
  }

  pull(fullName: string, number: number) {
    const pr = this.repo(fullName).pulls.get(number);
    if (!pr) throw new Error(`no pull request ${fullName}#${number} in the stand-in`);
    return pr;
  }

  /** A run started by any event; workflow_dispatch runs come from dispatchWorkflow. */
  createRun(fullName: string, o: RunOptions): { runId: number; requested: Delivery } {
    const repo = this.repo(fullName);
    const path = workflowFile(o.workflowPath);
    const workflow = this.workflow(repo, path);
    workflow.runs += 1;
    const branch = o.branch ?? repo.defaultBranch;
    const name = path.replace(/^.*\//, "").replace(/\.ya?ml$/, "");
    const lane =
      o.inputs?.context !== undefined && o.inputs.instance !== undefined
        ? ` ${o.inputs.context}/${o.inputs.instance}`
        : "";
    const now = this.now();
    const run: WorkflowRun = {
      id: this.nextId(),
      suiteId: this.nextId(),
      workflowId: workflow.id,
      name,
      path,
      runNumber: workflow.runs,
      runAttempt: 1,
      headSha: this.headSha(repo, branch),
      headBranch: branch,
      event: o.event ?? "push",
      status: "queued",
      conclusion: null,
      actor: o.actor,
      triggeringActor: o.actor,
      displayTitle: o.displayTitle ?? `${name}${lane}`,
      createdAt: now,
      updatedAt: now,
      runStartedAt: now,
      protectionReviews: [],
      artifacts: [],
      earlierAttempts: [],
      jobs: new Map(),
    };
    repo.runs.set(run.id, run);
    return { runId: run.id, requested: this.runDelivery(repo, run, "requested") };
  }

  dispatchWorkflow(
    fullName: string,
    o: { workflowPath: string; ref?: string; inputs?: WorkflowInputs; actor: string; displayTitle?: string },
  ): { runId: number; dispatch: Delivery; requested: Delivery } {
    const repo = this.repo(fullName);
    const branch = (o.ref ?? repo.defaultBranch).replace(/^refs\/heads\//, "");
    const { runId, requested } = this.createRun(fullName, { ...o, event: "workflow_dispatch", branch });
    const dispatch = delivery("workflow_dispatch", {
      inputs: o.inputs ?? {},
      ref: `refs/heads/${branch}`,
      workflow: workflowFile(o.workflowPath),
      ...envelope(this, repo, o.actor),
    });
    return { runId, dispatch, requested };
  }

  startRun(fullName: string, runId: number): Delivery {
    const { repo, run } = this.findRun(fullName, runId);
    run.status = "in_progress";
    run.updatedAt = this.now();
    return this.runDelivery(repo, run, "in_progress");
  }

  completeRun(fullName: string, runId: number, conclusion = "success"): Delivery {
    const { repo, run } = this.findRun(fullName, runId);
    run.status = "completed";
    run.conclusion = conclusion;
    run.updatedAt = this.now();
    return this.runDelivery(repo, run, "completed");
  }

  /** GitHub sends no `requested` for a re-run: the new attempt shows up as in_progress. */
  rerunRun(fullName: string, runId: number, actor: string): Delivery {
    const { repo, run } = this.findRun(fullName, runId);
    const { runAttempt, status, conclusion, triggeringActor, updatedAt, runStartedAt } = run;
    run.earlierAttempts.push({ runAttempt, status, conclusion, triggeringActor, updatedAt, runStartedAt });
    run.runAttempt += 1;
    run.triggeringActor = actor;
    run.status = "in_progress";
    run.conclusion = null;
    run.runStartedAt = this.now();
    run.updatedAt = run.runStartedAt;
    return this.runDelivery(repo, run, "in_progress");
  }

  cancelRun(fullName: string, runId: number): Delivery {
    const { repo, run } = this.findRun(fullName, runId);
    run.status = "completed";
    run.conclusion = "cancelled";
    run.updatedAt = this.now();
    return this.runDelivery(repo, run, "completed");
  }

  requestDeploymentProtection(fullName: string, runId: number, environment: string): Delivery {
    const { repo, run } = this.findRun(fullName, runId);
    const api = `${this.apiUrl}/repos/${repo.fullName}`;
    const id = this.nextId();
    const now = iso(this.now());
    const deployment = {
      url: `${api}/deployments/${id}`,
      id,
      node_id: `DE_${id}`,
      sha: run.headSha,
      ref: run.headBranch,
      task: "deploy",
      payload: {},
      original_environment: environment,
      environment,
      description: null,
      creator: userJson(this, "github-actions[bot]"),
      created_at: now,
      updated_at: now,
      statuses_url: `${api}/deployments/${id}/statuses`,
      repository_url: api,
    };
    return delivery("deployment_protection_rule", {
      action: "requested",
      environment,
      event: run.event,
      sha: run.headSha,
      ref: `refs/heads/${run.headBranch}`,
      deployment_callback_url: `${api}/actions/runs/${run.id}/deployment_protection_rule`,
      deployment,
      pull_requests: [],
      ...envelope(this, repo, run.triggeringActor),
    });
  }

  /** The run uploads an artifact (a zip); `expired` plays one past its retention. */
  uploadArtifact(fullName: string, runId: number, name: string, bytes: Uint8Array, expired = false): number {
    const { run } = this.findRun(fullName, runId);
    const id = this.nextId();
    run.artifacts.push({ id, name, bytes, expired, createdAt: this.now() });
    return id;
  }

  /** A job of the run changes status; the delivery GitHub sends for it. */
  jobEvent(
    fullName: string,
    runId: number,
    name: string,
    status: JobStatus,
    conclusion: string | null = null,
  ): Delivery {
    const { repo, run } = this.findRun(fullName, runId);
    const known = run.jobs.get(name) ?? { id: this.nextId(), startedAt: this.now(), started: false };
    // GitHub fills started_at in for a queued job too; it becomes the real start when a runner takes it.
    if (status !== "queued" && status !== "waiting" && !known.started)
      Object.assign(known, { startedAt: this.now(), started: true });
    run.jobs.set(name, known);
    const completedAt = status === "completed" ? this.now() : null;
    return jobDelivery(this, repo, run, { ...known, name, status, conclusion, completedAt });
  }

  rerequestCheckRun(fullName: string, checkRunId: number, actor: string): Delivery {
    const repo = this.repo(fullName);
    const run = repo.checkRuns.get(checkRunId);
    if (!run) throw new Error(`no check run ${checkRunId} in ${fullName}`);
    const json = checkRunJson(this, repo, run);
    const suite = { id: run.suiteId, head_sha: run.headSha, head_branch: null, status: "completed" };
    return delivery("check_run", {
      action: "rerequested",
      check_run: { ...json, check_suite: suite },
      ...envelope(this, repo, actor),
    });
  }

  private newIssue(repo: Repo, author: string, title: string, body: string): Issue {
    const now = this.now();
    const issue: Issue = {
      id: this.nextId(),
      // Issues and pull requests share one sequence of numbers, as on GitHub.
      number: repo.issues.size + repo.pulls.size + 1,
      title,
      body,
      user: this.user(author).login,
      state: "open",
      stateReason: null,
      labels: [],
      createdAt: now,
      updatedAt: now,
      closedAt: null,
      events: [],
      comments: [],
      deleted: false,
      transferredTo: null,
    };
    repo.issues.set(issue.number, issue);
    return issue;
  }

  private live(fullName: string, number: number): { repo: Repo; issue: Issue } {
    const issue = this.issue(fullName, number);
    if (issue.deleted || issue.transferredTo) throw new Error(`${fullName}#${number} is gone`);
    return { repo: this.repo(fullName), issue };
  }

  private applyLabel(repo: Repo, issue: Issue, label: string, actor: string): void {
    if (issue.labels.some((l) => l.toLowerCase() === label.toLowerCase())) {
      throw new Error(`#${issue.number} already carries ${label}: GitHub would send nothing`);
    }
    issue.labels.push(this.label(repo, label).name);
    this.record(issue, { event: "labeled", actor, label });
  }

  private record(issue: Issue, e: Omit<Issue["events"][number], "id" | "createdAt">): void {
    const createdAt = this.now();
    issue.events.push({ id: this.nextId(), createdAt, ...e, actor: this.user(e.actor).login });
    issue.updatedAt = createdAt;
  }

  private commentOf(issue: Issue, id: number): Comment {
    const comment = issue.comments.find((c) => c.id === id);
    if (!comment) throw new Error(`#${issue.number} has no comment ${id}`);
    return comment;
  }

  private commentDelivery(
    repo: Repo,
    issue: Issue,
    comment: Comment,
    action: string,
    sender: string,
    extra: Json = {},
  ): Delivery {
    return delivery("issue_comment", {
      action,
      issue: issueJson(this, repo, issue),
      comment: commentJson(this, repo, issue, comment),
      ...extra,
      ...envelope(this, repo, sender),
    });
  }

  private labelPayload(repo: Repo, name: string): Json {
    return labelJson(this, repo, this.label(repo, name));
  }

  private issueDelivery(
    repo: Repo,
    issue: Issue,
    action: string,
    sender: string,
    extra: Json = {},
  ): Delivery {
    return delivery("issues", {
      action,
      issue: issueJson(this, repo, issue),
      ...extra,
      ...envelope(this, repo, sender),
    });
  }

  private findRun(fullName: string, runId: number): { repo: Repo; run: WorkflowRun } {
    const repo = this.repo(fullName);
    const run = repo.runs.get(runId);
    if (!run) throw new Error(`no workflow run ${runId} in ${fullName}`);
    return { repo, run };
  }

  private runDelivery(repo: Repo, run: WorkflowRun, action: string): Delivery {
    return delivery("workflow_run", {
      action,
      workflow_run: workflowRunJson(this, repo, run),
      workflow: workflowJson(this, repo, run),
      ...envelope(this, repo, run.triggeringActor),
    });
  }
}
