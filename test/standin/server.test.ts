// Every exchange here also passes through checkRequest/checkResponse (see helpers.ts), so each
// test doubles as a check that the stand-in answers in GitHub's own shapes.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Standin } from "../../standin/index.ts";
import { type Client, FAKE_JWT, field, REPO, startClient } from "./helpers.ts";

let client: Client;
let s: Standin;
const call: Client["call"] = (...args) => client.call(...args);

beforeEach(async () => {
  client = await startClient();
  s = client.running.standin;
});
afterEach(() => client.running.close());

describe("routing and auth", () => {
  it("answers an unlisted endpoint with GitHub's 404 body", async () => {
    const res = await call("GET", `/api/v3/repos/${REPO}/pulls`, { unchecked: true });
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ message: "Not Found", documentation_url: "https://docs.github.com/rest" });
  });

  it("serves the same API with and without the /api/v3 prefix", async () => {
    const prefixed = await call("GET", `/api/v3/repos/${REPO}`);
    const bare = await call("GET", `/repos/${REPO}`);
    expect(prefixed.status).toBe(200);
    expect(bare.body).toEqual(prefixed.body);
  });

  it("refuses repository routes without an installation token", async () => {
    const res = await call("GET", `/repos/${REPO}`, { token: null, unchecked: true });
    expect(res.status).toBe(401);
  });

  it("accepts an installation token as a Bearer credential too", async () => {
    const res = await call("GET", `/repos/${REPO}`, { headers: { authorization: `Bearer ${client.token}` } });
    expect(res.status).toBe(200);
  });

  it("lists the app's installations for a JWT", async () => {
    const res = await call("GET", "/app/installations", {
      token: null,
      headers: { authorization: `Bearer ${FAKE_JWT}` },
    });
    expect(field(res.body, 0, "app_slug")).toBe("lanegate");
  });

  it("lists the repositories the installation can reach", async () => {
    const res = await call("GET", "/installation/repositories");
    expect(field(res.body, "total_count")).toBe(1);
    expect(field(res.body, "repositories", 0, "full_name")).toBe(REPO);
  });

  it("records every request with its status", async () => {
    await call("GET", `/api/v3/repos/${REPO}?x=1`, { unchecked: true });
    expect(s.requests.at(-1)).toEqual({
      method: "GET",
      path: `/repos/${REPO}`,
      query: { x: "1" },
      status: 200,
      body: undefined,
    });
  });

  it("answers the next matching requests with an injected failure, then recovers", async () => {
    s.failNext({ method: "GET", pathPattern: /^\/repos\/acme\/infra$/, status: 502, times: 2 });
    expect((await call("GET", `/repos/${REPO}`, { unchecked: true })).status).toBe(502);
    const second = await call("GET", `/repos/${REPO}`, { unchecked: true });
    expect(second.status).toBe(502);
    expect(field(second.body, "message")).toBe("Bad Gateway");
    expect((await call("GET", `/repos/${REPO}`)).status).toBe(200);
  });
});

describe("contents", () => {
  beforeEach(() => s.setFile(REPO, ".github/lanegate.yml", "label: lane-policy\n"));

  it("returns the raw text for the raw media type, even with an encoded path", async () => {
    const res = await call("GET", `/repos/${REPO}/contents/.github%2Flanegate.yml`, {
      headers: { accept: "application/vnd.github.v3.raw" },
      unchecked: true,
    });
    expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(res.body).toBe("label: lane-policy\n");
  });

  it("returns a base64 content object by default", async () => {
    const res = await call("GET", `/repos/${REPO}/contents/.github/lanegate.yml`);
    const content = String(field(res.body, "content"));
    expect(Buffer.from(content, "base64").toString("utf8")).toBe("label: lane-policy\n");
  });

  it("answers 404 for a file that does not exist", async () => {
    expect((await call("GET", `/repos/${REPO}/contents/nope.yml`)).status).toBe(404);
  });
});

describe("pull requests", () => {
  beforeEach(() => {
    s.setFile(REPO, ".github/lanegate.yml", "label: lane-policy\n");
    s.setFile(REPO, "README.md", "hello\n");
  });
  const open = () =>
    s.openPullRequest(REPO, {
      author: "alice",
      branch: "change",
      title: "t",
      files: { ".github/lanegate.yml": "label: approve\n", "README.md": null, "new.txt": "a\nb\n" },
    });

  it("lists the files a pull request adds, changes and removes, in GitHub's diff-entry shape", async () => {
    const pr = open();
    const res = await call("GET", `/repos/${REPO}/pulls/${pr.number}/files?per_page=100`);
    expect(res.body).toMatchObject([
      { filename: ".github/lanegate.yml", status: "modified" },
      { filename: "README.md", status: "removed", additions: 0, deletions: 1 },
      { filename: "new.txt", status: "added", additions: 2, deletions: 0 },
    ]);
    const missing = await call("GET", `/repos/${REPO}/pulls/${pr.number + 1}/files`, { unchecked: true });
    expect(missing.status).toBe(404);
  });

  it("serves a file at the pull request's head commit, the default branch's without a ref", async () => {
    const pr = open();
    const raw = { headers: { accept: "application/vnd.github.raw+json" }, unchecked: true };
    const path = `/repos/${REPO}/contents/.github/lanegate.yml`;
    expect((await call("GET", `${path}?ref=${pr.headSha}`, raw)).body).toBe("label: approve\n");
    expect((await call("GET", `${path}?ref=change`, raw)).body).toBe("label: approve\n");
    expect((await call("GET", path, raw)).body).toBe("label: lane-policy\n");
    expect((await call("GET", `/repos/${REPO}/contents/README.md?ref=${pr.headSha}`)).status).toBe(404);
    expect((await call("GET", `${path}?ref=${"f".repeat(40)}`)).status).toBe(404);
  });

  it("appends a check run's annotations with each update, at most 50 a request", async () => {
    const pr = open();
    const annotation = (line: number) => ({
      path: "new.txt",
      start_line: line,
      end_line: line,
      annotation_level: "warning",
      message: `line ${line}`,
    });
    const output = (from: number, count: number) => ({
      title: "t",
      summary: "s",
      annotations: Array.from({ length: count }, (_, i) => annotation(from + i)),
    });
    const made = await call("POST", `/repos/${REPO}/check-runs`, {
      body: { name: "x", head_sha: pr.headSha, output: output(1, 50) },
    });
    const id = field(made.body, "id");
    await call("PATCH", `/repos/${REPO}/check-runs/${id}`, { body: { output: output(51, 2) } });
    const listed = await call("GET", `/repos/${REPO}/check-runs/${id}/annotations?per_page=100`);
    expect(listed.body).toHaveLength(52);
    expect(field(listed.body, 51, "message")).toBe("line 52");
    const tooMany = await call("PATCH", `/repos/${REPO}/check-runs/${id}`, {
      body: { output: output(60, 51) },
      unchecked: true,
    });
    expect(tooMany.status).toBe(422);
  });
});

describe("issues", () => {
  it("paginates with per_page/page and Link headers", async () => {
    for (let i = 1; i <= 5; i++) s.openIssue(REPO, { author: "alice", title: `t${i}`, body: "" });
    const first = await call("GET", `/api/v3/repos/${REPO}/issues?per_page=2`);
    expect(first.body).toHaveLength(2);
    const link = first.headers.get("link") ?? "";
    expect(link).toMatch(/page=3>; rel="last"/);
    const next = /<([^>]+)>; rel="next"/.exec(link)?.[1] ?? "";
    const second = await call("GET", next);
    expect(field(second.body, 0, "number")).toBe(3);
  });

  it("filters by state and by every listed label", async () => {
    s.openIssue(REPO, { author: "alice", title: "a", body: "", labels: ["lane-policy", "ops"] });
    s.openIssue(REPO, { author: "alice", title: "b", body: "", labels: ["lane-policy"] });
    s.closeIssue(REPO, 2, "bob");
    const open = await call("GET", `/repos/${REPO}/issues?labels=lane-policy,ops`);
    expect(open.body).toHaveLength(1);
    const all = await call("GET", `/repos/${REPO}/issues?state=all&labels=lane-policy`);
    expect(all.body).toHaveLength(2);
  });

  it("answers 410 for a deleted issue", async () => {
    s.openIssue(REPO, { author: "alice", title: "t", body: "" });
    s.deleteIssue(REPO, 1, "bob");
    const res = await call("GET", `/repos/${REPO}/issues/1`);
    expect(res.status).toBe(410);
    expect(field(res.body, "message")).toBe("This issue was deleted");
  });

  it("answers 301 with the new issue's API URL for a transferred issue", async () => {
    s.addRepo("acme/other");
    s.openIssue(REPO, { author: "alice", title: "t", body: "" });
    s.transferIssue(REPO, 1, "acme/other", "bob");
    const res = await call("GET", `/repos/${REPO}/issues/1`);
    expect(res.status).toBe(301);
    expect(res.headers.get("location")).toBe(`${client.running.url}/api/v3/repos/acme/other/issues/1`);
    expect(field(res.body, "url")).toBe(res.headers.get("location"));
  });

  it("lists issue events with actor, label and time", async () => {
    s.clock = () => new Date("2026-01-02T03:04:05Z");
    s.openIssue(REPO, { author: "alice", title: "t", body: "" });
    s.addLabel(REPO, 1, "lane-policy", "bob");
    s.closeIssue(REPO, 1, "carol");
    const res = await call("GET", `/repos/${REPO}/issues/1/events`);
    expect(field(res.body, 0, "event")).toBe("labeled");
    expect(field(res.body, 0, "actor", "login")).toBe("bob");
    expect(field(res.body, 0, "label", "name")).toBe("lane-policy");
    expect(field(res.body, 0, "created_at")).toBe("2026-01-02T03:04:05Z");
    expect(field(res.body, 1, "event")).toBe("closed");
  });

  it("authors comments made with an installation token as the app's bot", async () => {
    s.openIssue(REPO, { author: "alice", title: "t", body: "" });
    const res = await call("POST", `/repos/${REPO}/issues/1/comments`, { body: { body: "hello" } });
    expect(res.status).toBe(201);
    expect(field(res.body, "user", "login")).toBe("lanegate[bot]");
    expect(field(res.body, "user", "type")).toBe("Bot");
    expect(field(res.body, "performed_via_github_app", "id")).toBe(s.app.id);
  });

  it("edits a comment in place", async () => {
    s.openIssue(REPO, { author: "alice", title: "t", body: "" });
    const made = await call("POST", `/repos/${REPO}/issues/1/comments`, { body: { body: "one" } });
    await call("PATCH", `/repos/${REPO}/issues/comments/${field(made.body, "id")}`, {
      body: { body: "two" },
    });
    const list = await call("GET", `/repos/${REPO}/issues/1/comments`);
    expect(list.body).toHaveLength(1);
    expect(field(list.body, 0, "body")).toBe("two");
  });
});

describe("people", () => {
  it("maps the maintain role to permission write, keeping role_name maintain", async () => {
    s.setCollaborator(REPO, "mia", "maintain");
    const res = await call("GET", `/repos/${REPO}/collaborators/mia/permission`);
    expect(field(res.body, "permission")).toBe("write");
    expect(field(res.body, "role_name")).toBe("maintain");
  });

  it("answers 404 for someone who is not a collaborator", async () => {
    s.user("stranger");
    expect((await call("GET", `/repos/${REPO}/collaborators/stranger/permission`)).status).toBe(404);
  });

  it("reports active team membership and 404 for non-members", async () => {
    s.addTeamMember("acme", "ops", "olga");
    const member = await call("GET", "/orgs/acme/teams/ops/memberships/olga");
    expect(field(member.body, "state")).toBe("active");
    expect((await call("GET", "/orgs/acme/teams/ops/memberships/mia")).status).toBe(404);
  });
});

describe("checks and runs", () => {
  const sha = "a".repeat(40);
  const create = (externalId: string, conclusion?: string) =>
    call("POST", `/repos/${REPO}/check-runs`, {
      body: {
        name: "lanegate: cm/testing",
        head_sha: sha,
        external_id: externalId,
        status: "completed",
        conclusion,
      },
    });

  it("lists check runs for a ref filtered by name and app, newest first", async () => {
    await create("1:1", "failure");
    await create("1:2", "success");
    const q = `check_name=${encodeURIComponent("lanegate: cm/testing")}&app_id=${s.app.id}&filter=all`;
    const all = await call("GET", `/repos/${REPO}/commits/${sha}/check-runs?${q}`);
    expect(field(all.body, "total_count")).toBe(2);
    expect(field(all.body, "check_runs", 0, "external_id")).toBe("1:2");
    expect(field(all.body, "check_runs", 0, "app", "slug")).toBe("lanegate");
    const latest = await call("GET", `/repos/${REPO}/commits/${sha}/check-runs`);
    expect(field(latest.body, "total_count")).toBe(1);
  });

  it("completes a check run when a conclusion is set", async () => {
    const made = await call("POST", `/repos/${REPO}/check-runs`, { body: { name: "x", head_sha: sha } });
    expect(field(made.body, "status")).toBe("queued");
    const done = await call("PATCH", `/repos/${REPO}/check-runs/${field(made.body, "id")}`, {
      body: { conclusion: "success", output: { title: "ok", summary: "fine" } },
    });
    expect(field(done.body, "status")).toBe("completed");
    expect(field(done.body, "output", "title")).toBe("ok");
  });

  it("cancels a running workflow run and reports its completion", async () => {
    const { runId } = s.dispatchWorkflow(REPO, { workflowPath: "deploy.yml", actor: "alice" });
    const completions: string[] = [];
    s.onDelivery = (d) => completions.push(String(field(d.payload, "workflow_run", "conclusion")));
    expect((await call("POST", `/repos/${REPO}/actions/runs/${runId}/cancel`)).status).toBe(202);
    const run = await call("GET", `/repos/${REPO}/actions/runs/${runId}`);
    expect(field(run.body, "conclusion")).toBe("cancelled");
    expect(completions).toEqual(["cancelled"]);
    expect((await call("POST", `/repos/${REPO}/actions/runs/${runId}/cancel`)).status).toBe(409);
  });

  it("lists every attempt's artifacts as GitHub does, naming the run but no attempt, and answers each attempt", async () => {
    let now = new Date("2026-11-23T10:00:00Z");
    s.clock = () => now;
    const { runId } = s.dispatchWorkflow(REPO, { workflowPath: "deploy.yml", actor: "alice" });
    s.uploadArtifact(REPO, runId, "lanegate-result", new Uint8Array([1]));
    s.completeRun(REPO, runId, "failure");
    now = new Date("2026-11-23T10:05:00Z");
    s.rerunRun(REPO, runId, "bob");
    s.uploadArtifact(REPO, runId, "lanegate-result", new Uint8Array([2]));
    const list = await call("GET", `/repos/${REPO}/actions/runs/${runId}/artifacts?name=lanegate-result`);
    expect(field(list.body, "total_count")).toBe(2);
    expect(field(list.body, "artifacts", 0, "created_at")).toBe("2026-11-23T10:00:00Z");
    expect(Object.keys(field(list.body, "artifacts", 1, "workflow_run") as object).sort()).toEqual([
      "head_branch",
      "head_repository_id",
      "head_sha",
      "id",
      "repository_id",
    ]);
    const first = await call("GET", `/repos/${REPO}/actions/runs/${runId}/attempts/1`);
    expect(first.body).toMatchObject({
      run_attempt: 1,
      conclusion: "failure",
      run_started_at: "2026-11-23T10:00:00Z",
    });
    const second = await call("GET", `/repos/${REPO}/actions/runs/${runId}/attempts/2`);
    expect(second.body).toMatchObject({
      run_attempt: 2,
      status: "in_progress",
      run_started_at: "2026-11-23T10:05:00Z",
    });
    const third = await call("GET", `/repos/${REPO}/actions/runs/${runId}/attempts/3`, { unchecked: true });
    expect(third.status).toBe(404);
  });

  it("records the answer to a deployment protection rule", async () => {
    const { runId } = s.dispatchWorkflow(REPO, { workflowPath: "deploy.yml", actor: "alice" });
    const res = await call("POST", `/repos/${REPO}/actions/runs/${runId}/deployment_protection_rule`, {
      body: { environment_name: "cm/testing", state: "rejected", comment: "no grant" },
    });
    expect(res.status).toBe(204);
    expect(s.repo(REPO).runs.get(runId)?.protectionReviews).toMatchObject([{ state: "rejected" }]);
  });
});
