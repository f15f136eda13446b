// Pull requests in the stand-in: a head commit whose files are the base branch's plus the pull
// request's changes, the files list GitHub answers for it, and the `pull_request` deliveries, in
// GitHub's shapes (the webhook schema of GitHub's OpenAPI description checks them in tests).
import { createHash, randomBytes } from "node:crypto";
import type { Model, PullRequest, Repo } from "./model.ts";
import { authorAssociation, iso, type Json, nodeId, repoJson, userJson } from "./shapes.ts";
import { type Delivery, delivery, envelope } from "./webhooks.ts";

/** Files a pull request writes (text) or removes (null). */
export type FileChanges = Record<string, string | null>;

const blobSha = (text: string) => {
  const bytes = Buffer.from(text, "utf8");
  return createHash("sha1").update(`blob ${bytes.length}\0`).update(bytes).digest("hex");
};

/** A new head commit: the default branch's files with the pull request's changes on top. */
function commitHead(repo: Repo, pr: Pick<PullRequest, "changes" | "headRef">): string {
  const tree = new Map(repo.files);
  for (const [path, text] of pr.changes) {
    if (text === null) tree.delete(path);
    else tree.set(path, text);
  }
  const sha = randomBytes(20).toString("hex");
  repo.trees.set(sha, tree);
  repo.branches.set(pr.headRef, sha);
  return sha;
}

export function openPullRequest(
  s: Model,
  repo: Repo,
  o: { author: string; branch: string; title: string; files: FileChanges; body?: string },
): { pr: PullRequest; delivery: Delivery } {
  const now = s.now();
  const draft = { changes: new Map(Object.entries(o.files)), headRef: o.branch };
  const pr: PullRequest = {
    id: s.nextId(),
    number: repo.issues.size + repo.pulls.size + 1,
    title: o.title,
    body: o.body ?? null,
    user: s.user(o.author).login,
    state: "open",
    headRef: o.branch,
    headSha: commitHead(repo, draft),
    baseRef: repo.defaultBranch,
    baseSha: s.headSha(repo, repo.defaultBranch),
    changes: draft.changes,
    commits: 1,
    createdAt: now,
    updatedAt: now,
    closedAt: null,
  };
  repo.pulls.set(pr.number, pr);
  return { pr, delivery: pullRequestDelivery(s, repo, pr, "opened", o.author) };
}

/** A push to the pull request's branch: its changes grow by `files`. */
export function pushToPullRequest(
  s: Model,
  repo: Repo,
  pr: PullRequest,
  files: FileChanges,
  actor: string,
): Delivery {
  const before = pr.headSha;
  for (const [path, text] of Object.entries(files)) pr.changes.set(path, text);
  pr.headSha = commitHead(repo, pr);
  pr.baseSha = s.headSha(repo, repo.defaultBranch);
  pr.commits += 1;
  pr.updatedAt = s.now();
  return pullRequestDelivery(s, repo, pr, "synchronize", actor, { before, after: pr.headSha });
}

export function setPullRequestState(
  s: Model,
  repo: Repo,
  pr: PullRequest,
  state: "open" | "closed",
  actor: string,
): Delivery {
  pr.state = state;
  pr.updatedAt = s.now();
  pr.closedAt = state === "closed" ? pr.updatedAt : null;
  return pullRequestDelivery(s, repo, pr, state === "open" ? "reopened" : "closed", actor);
}

/** The files list: each change against the default branch as it is now. */
export function diffEntries(s: Model, repo: Repo, pr: PullRequest): Json[] {
  const entries: Json[] = [];
  for (const [path, text] of pr.changes) {
    const base = repo.files.get(path);
    if (text === base || (text === null && base === undefined)) continue;
    const status = text === null ? "removed" : base === undefined ? "added" : "modified";
    const lines = (t: string | undefined | null) =>
      t ? t.split("\n").length - (t.endsWith("\n") ? 1 : 0) : 0;
    const additions = status === "removed" ? 0 : lines(text);
    const deletions = status === "added" ? 0 : lines(base);
    const sha = blobSha(text ?? base ?? "");
    const ref = status === "removed" ? pr.baseSha : pr.headSha;
    entries.push({
      sha,
      filename: path,
      status,
      additions,
      deletions,
      changes: additions + deletions,
      blob_url: `${s.htmlUrl}/${repo.fullName}/blob/${ref}/${path}`,
      raw_url: `${s.htmlUrl}/${repo.fullName}/raw/${ref}/${path}`,
      contents_url: `${s.apiUrl}/repos/${repo.fullName}/contents/${path}?ref=${ref}`,
    });
  }
  // Git's order: by the bytes of the path.
  return entries.sort((a, b) => (String(a.filename) < String(b.filename) ? -1 : 1));
}

function branchJson(s: Model, repo: Repo, ref: string, sha: string): Json {
  return { label: `${repo.owner}:${ref}`, ref, sha, user: userJson(s, repo.owner), repo: repoJson(s, repo) };
}

export function pullRequestJson(s: Model, repo: Repo, pr: PullRequest): Json {
  const api = `${s.apiUrl}/repos/${repo.fullName}`;
  const url = `${api}/pulls/${pr.number}`;
  const html = `${s.htmlUrl}/${repo.fullName}/pull/${pr.number}`;
  const issue = `${api}/issues/${pr.number}`;
  const entries = diffEntries(s, repo, pr);
  const sum = (key: string) => entries.reduce((n, e) => n + Number(e[key]), 0);
  return {
    url,
    id: pr.id,
    node_id: nodeId("PR", pr.id),
    html_url: html,
    diff_url: `${html}.diff`,
    patch_url: `${html}.patch`,
    issue_url: issue,
    number: pr.number,
    state: pr.state,
    locked: false,
    title: pr.title,
    user: userJson(s, pr.user),
    body: pr.body,
    created_at: iso(pr.createdAt),
    updated_at: iso(pr.updatedAt),
    closed_at: pr.closedAt ? iso(pr.closedAt) : null,
    merged_at: null,
    merge_commit_sha: null,
    assignee: null,
    assignees: [],
    requested_reviewers: [],
    requested_teams: [],
    labels: [],
    milestone: null,
    draft: false,
    commits_url: `${url}/commits`,
    review_comments_url: `${url}/comments`,
    review_comment_url: `${api}/pulls/comments{/number}`,
    comments_url: `${issue}/comments`,
    statuses_url: `${api}/statuses/${pr.headSha}`,
    head: branchJson(s, repo, pr.headRef, pr.headSha),
    base: branchJson(s, repo, pr.baseRef, pr.baseSha),
    _links: {
      self: { href: url },
      html: { href: html },
      issue: { href: issue },
      comments: { href: `${issue}/comments` },
      review_comments: { href: `${url}/comments` },
      review_comment: { href: `${api}/pulls/comments{/number}` },
      commits: { href: `${url}/commits` },
      statuses: { href: `${api}/statuses/${pr.headSha}` },
    },
    author_association: authorAssociation(s, repo, pr.user),
    auto_merge: null,
    active_lock_reason: null,
    merged: false,
    mergeable: null,
    rebaseable: null,
    mergeable_state: "unknown",
    merged_by: null,
    comments: 0,
    review_comments: 0,
    maintainer_can_modify: false,
    commits: pr.commits,
    additions: sum("additions"),
    deletions: sum("deletions"),
    changed_files: entries.length,
  };
}

function pullRequestDelivery(
  s: Model,
  repo: Repo,
  pr: PullRequest,
  action: string,
  sender: string,
  extra: Json = {},
): Delivery {
  return delivery("pull_request", {
    action,
    number: pr.number,
    pull_request: pullRequestJson(s, repo, pr),
    ...extra,
    ...envelope(s, repo, sender),
  });
}
