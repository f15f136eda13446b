import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { type Delivery, deliver, Standin } from "../../standin/index.ts";
import { checkWebhookPayload } from "../support/openapi.ts";
import { field, REPO } from "./helpers.ts";

function scenario(): { s: Standin; deliveries: Delivery[] } {
  const s = new Standin();
  s.addRepo(REPO);
  s.addRepo("acme/other");
  const d: Delivery[] = [];
  d.push(
    ...s.openIssue(REPO, { author: "alice", title: "t", body: "one", labels: ["lane-policy"] }).deliveries,
  );
  d.push(s.editIssueBody(REPO, 1, "two", "bob"));
  d.push(s.renameIssue(REPO, 1, "t2", "bob"));
  d.push(s.removeLabel(REPO, 1, "lane-policy", "bob"));
  d.push(s.addLabel(REPO, 1, "lane-policy", "bob"));
  d.push(s.closeIssue(REPO, 1, "bob", "not_planned"));
  d.push(s.reopenIssue(REPO, 1, "bob"));
  d.push(s.transferIssue(REPO, 1, "acme/other", "bob"));
  s.openIssue(REPO, { author: "alice", title: "gone", body: "" });
  d.push(s.deleteIssue(REPO, 2, "bob"));
  const inputs = {
    context: "cm",
    instance: "testing",
    source: "empty",
    confirmation: "bootstrap cm testing",
  };
  const run = s.dispatchWorkflow(REPO, { workflowPath: "odoo-stable-bootstrap.yml", inputs, actor: "alice" });
  d.push(run.dispatch, run.requested, s.startRun(REPO, run.runId));
  d.push(s.requestDeploymentProtection(REPO, run.runId, "cm/testing"));
  d.push(s.completeRun(REPO, run.runId, "failure"), s.rerunRun(REPO, run.runId, "bob"));
  d.push(
    s.createRun(REPO, { workflowPath: "odoo-stable-bootstrap.yml", event: "push", actor: "carol" }).requested,
  );
  return { s, deliveries: d };
}

const kind = (d: Delivery) => `${d.name}.${String(field(d.payload, "action") ?? "")}`.replace(/\.$/, "");

describe("webhook payloads", () => {
  const steps = scenario().deliveries.map((d, i) => [`${i + 1}. ${kind(d)}`, d] as const);
  it.each(steps)("%s matches GitHub's payload schema", (_, d) => {
    expect(checkWebhookPayload(d.name, undefined, d.payload)).toEqual([]);
  });

  it("carries a rerequested check run in GitHub's payload schema", () => {
    const s = new Standin();
    const repo = s.addRepo(REPO);
    repo.checkRuns.set(7, {
      id: 7,
      appId: s.app.id,
      suiteId: 8,
      headSha: "a".repeat(40),
      name: "lanegate: cm/testing",
      externalId: "1:1",
      status: "completed",
      conclusion: "failure",
      startedAt: s.now(),
      completedAt: s.now(),
      detailsUrl: null,
      output: { title: "refused", summary: "", text: null },
      annotations: [],
    });
    const d = s.rerequestCheckRun(REPO, 7, "alice");
    expect(checkWebhookPayload("check_run", "rerequested", d.payload)).toEqual([]);
  });

  it("sends pull_request opened, synchronize, closed and reopened in GitHub's payload schema", () => {
    const s = new Standin();
    s.addRepo(REPO);
    s.openIssue(REPO, { author: "alice", title: "an issue first", body: "" });
    const files = { ".github/workflows/a.yml": "on: push\n" };
    const opened = s.openPullRequest(REPO, { author: "alice", branch: "b", title: "t", files });
    expect(opened.number).toBe(2);
    const deliveries = [
      opened.delivery,
      s.pushToPullRequest(REPO, opened.number, { "README.md": "x\n" }, "alice"),
      s.closePullRequest(REPO, opened.number, "bob"),
      s.reopenPullRequest(REPO, opened.number, "bob"),
    ];
    for (const d of deliveries) expect(checkWebhookPayload(d.name, undefined, d.payload)).toEqual([]);
    expect(deliveries.map(kind)).toEqual([
      "pull_request.opened",
      "pull_request.synchronize",
      "pull_request.closed",
      "pull_request.reopened",
    ]);
    expect(field(deliveries[1]?.payload, "before")).toBe(opened.headSha);
    expect(field(deliveries[1]?.payload, "pull_request", "changed_files")).toBe(2);
  });

  it("sends issues.opened then one issues.labeled per template label, from the author", () => {
    const s = new Standin();
    s.addRepo(REPO);
    const { deliveries } = s.openIssue(REPO, { author: "alice", title: "t", body: "", labels: ["a", "b"] });
    expect(deliveries.map(kind)).toEqual(["issues.opened", "issues.labeled", "issues.labeled"]);
    expect(deliveries.map((d) => field(d.payload, "sender", "login"))).toEqual(["alice", "alice", "alice"]);
  });

  it("gives every delivery a fresh id and the installation", () => {
    const { s, deliveries } = scenario();
    expect(new Set(deliveries.map((d) => d.id)).size).toBe(deliveries.length);
    expect(field(deliveries[0]?.payload, "installation", "id")).toBe(s.repo(REPO).installationId);
  });

  it("reports body edits with the previous body", () => {
    const s = new Standin();
    s.addRepo(REPO);
    s.openIssue(REPO, { author: "alice", title: "t", body: "old" });
    const d = s.editIssueBody(REPO, 1, "new", "bob");
    expect(field(d.payload, "changes", "body", "from")).toBe("old");
    expect(field(d.payload, "issue", "body")).toBe("new");
  });

  it("joins a dispatch to its run only through repository, ref and workflow path", () => {
    const s = new Standin();
    s.addRepo(REPO);
    const inputs = { context: "cm", instance: "testing" };
    const { dispatch, requested } = s.dispatchWorkflow(REPO, {
      workflowPath: "wf.yml",
      inputs,
      actor: "alice",
    });
    expect(dispatch.payload).toMatchObject({
      ref: "refs/heads/main",
      workflow: ".github/workflows/wf.yml",
      inputs,
    });
    expect(field(requested.payload, "workflow_run")).toMatchObject({
      event: "workflow_dispatch",
      head_branch: "main",
      path: ".github/workflows/wf.yml",
      run_attempt: 1,
      display_title: "wf cm/testing",
    });
  });

  it("shows a re-run as in_progress with the next attempt", () => {
    const s = new Standin();
    s.addRepo(REPO);
    const { runId } = s.dispatchWorkflow(REPO, { workflowPath: "wf.yml", actor: "alice" });
    s.completeRun(REPO, runId, "failure");
    const d = s.rerunRun(REPO, runId, "bob");
    expect(field(d.payload, "workflow_run")).toMatchObject({
      status: "in_progress",
      run_attempt: 2,
      conclusion: null,
    });
    expect(field(d.payload, "workflow_run", "triggering_actor", "login")).toBe("bob");
  });
});

describe("delivery", () => {
  it("signs the body so that an HMAC-SHA256 with the secret verifies it", async () => {
    let received: { headers: IncomingHttpHeaders; body: string } | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        received = { headers: req.headers, body: Buffer.concat(chunks).toString("utf8") };
        res.writeHead(202).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const s = new Standin();
    s.addRepo(REPO);
    const d = s.openIssue(REPO, { author: "alice", title: "t", body: "" }).deliveries[0];
    if (!d) throw new Error("no delivery");
    const status = await deliver(`http://127.0.0.1:${port}/api/github/webhooks`, "s3cret", d);
    server.close();

    expect(status).toBe(202);
    expect(received?.headers["x-github-event"]).toBe("issues");
    expect(received?.headers["x-github-delivery"]).toBe(d.id);
    const expected = Buffer.from(
      `sha256=${createHmac("sha256", "s3cret")
        .update(received?.body ?? "")
        .digest("hex")}`,
    );
    const actual = Buffer.from(String(received?.headers["x-hub-signature-256"]));
    expect(actual.length === expected.length && timingSafeEqual(actual, expected)).toBe(true);
    expect(JSON.parse(received?.body ?? "{}")).toEqual(d.payload);
  });
});
