import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { read, tables } from "../../src/adapters/store/db.ts";
import { laneViews } from "../../src/adapters/store/read.ts";
import { createTestApp, type TestApp } from "../support/app.ts";
import {
  CM_OPW_BLOCK,
  CONFIG_YAML,
  issueJson,
  issuesPayload,
  OWNER,
  REPO,
  user,
} from "../support/fixtures.ts";
import { checkResponse, checkWebhookPayload } from "../support/openapi.ts";

const API = "https://api.github.com";
const repoPath = `/repos/${OWNER}/${REPO}`;
const issue = { number: 7, body: CM_OPW_BLOCK, author: "olivia", labels: ["lane-policy"] };

function labeledEvent(actor: string) {
  return {
    id: 91,
    node_id: "LE_91",
    url: `${API}${repoPath}/issues/events/91`,
    actor: user(actor),
    event: "labeled",
    commit_id: null,
    commit_url: null,
    created_at: "2026-11-23T09:59:00Z",
    label: { name: "lane-policy", color: "d73a4a" },
    performed_via_github_app: null,
  };
}

function mockReads(scope: nock.Scope, labeler = "mia") {
  const config = CONFIG_YAML;
  return scope
    .get(`${repoPath}/contents/.github%2Flanegate.yml`)
    .reply(200, config, { "content-type": "text/plain; charset=utf-8" })
    .get(`${repoPath}/issues/7`)
    .reply(200, issueJson(issue))
    .get(`${repoPath}/issues/7/events`)
    .query({ per_page: 100 })
    .reply(200, [labeledEvent(labeler)]);
}

function permission(role: string) {
  const permission = role === "maintain" ? "write" : role === "triage" ? "read" : role;
  return { permission, role_name: role, user: { ...user("mia"), role_name: role } };
}

let t: TestApp;
beforeEach(async () => {
  nock.disableNetConnect();
  t = await createTestApp();
});
afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

describe("issues deliveries through Probot, with GitHub mocked", () => {
  it("makes the CM and OPW lanes active when a maintainer applies the label, and writes one status comment", async () => {
    const payload = issuesPayload("labeled", issue, "mia");
    expect(checkWebhookPayload("issues", "labeled", payload)).toEqual([]);
    expect(
      checkResponse("GET", `${repoPath}/collaborators/mia/permission`, 200, permission("maintain")),
    ).toEqual([]);
    let comment = "";
    const scope = mockReads(
      nock(API)
        .post("/app/installations/1/access_tokens")
        .reply(201, { token: "t", expires_at: "2099-01-01T00:00:00Z" }),
    )
      .get(`${repoPath}/collaborators/mia/permission`)
      .reply(200, permission("maintain"))
      .get(`${repoPath}/issues/7/comments`)
      .query({ per_page: 100 })
      .reply(200, [])
      .post(`${repoPath}/issues/7/comments`, (body: { body: string }) => {
        comment = body.body;
        return true;
      })
      .reply(201, { id: 555, body: "x" });

    await t.probot.receive({ id: "d-1", name: "issues", payload } as never);

    expect(scope.pendingMocks()).toEqual([]);
    expect(t.problems).toEqual([]);
    const lanes = await read(t.db, (q) => laneViews(q, "acme/platform"));
    const active = lanes.filter((l) => l.state === "active").map((l) => l.lane);
    expect(active).toEqual(["cm/prod", "cm/testing", "opw/prod", "opw/testing"]);
    expect(lanes.find((l) => l.lane === "syo/prod")?.state).toBe("pending");
    expect(comment).toContain("<!-- lanegate:status -->");
    expect(comment).toMatch(/`cm\/prod` \| 🟢 \*\*active\*\*/);
  });

  it("keeps the state as it was and records the failure when the permission API fails", async () => {
    const scope = mockReads(
      nock(API)
        .post("/app/installations/1/access_tokens")
        .reply(201, { token: "t", expires_at: "2099-01-01T00:00:00Z" }),
    )
      .get(`${repoPath}/collaborators/mia/permission`)
      .reply(502, { message: "Server Error" });

    const delivery = { id: "d-2", name: "issues", payload: issuesPayload("labeled", issue, "mia") };
    // The delivery fails (Probot answers 500), so GitHub's log shows it and a redelivery retries.
    await expect(t.probot.receive(delivery as never)).rejects.toThrow(/not applied/);
    expect(await read(t.db, (q) => q.select().from(tables(q).deliveries))).toMatchObject([
      { id: "d-2", state: "failed", appliedAt: null },
    ]);

    expect(scope.pendingMocks()).toEqual([]);
    expect(
      (await read(t.db, (q) => laneViews(q, "acme/platform"))).filter((l) => l.state === "active"),
    ).toEqual([]);
    const audit = await read(t.db, (q) => q.select().from(tables(q).auditLog));
    expect(audit.map((a) => a.change).join("\n")).toMatch(
      /could not read the issue or verify its approver: .*Server Error/,
    );
  });

  it("grants nothing when the labeler only has the triage role", async () => {
    const scope = mockReads(
      nock(API)
        .post("/app/installations/1/access_tokens")
        .reply(201, { token: "t", expires_at: "2099-01-01T00:00:00Z" }),
      "tara",
    )
      .get(`${repoPath}/collaborators/tara/permission`)
      .reply(200, permission("triage"))
      .get(`${repoPath}/issues/7/comments`)
      .query({ per_page: 100 })
      .reply(200, [])
      .post(`${repoPath}/issues/7/comments`)
      .reply(201, { id: 556, body: "x" });

    await t.probot.receive({
      id: "d-3",
      name: "issues",
      payload: issuesPayload("labeled", issue, "tara"),
    } as never);

    expect(scope.pendingMocks()).toEqual([]);
    expect(t.problems).toEqual([]);
    const states = new Set(
      (await read(t.db, (q) => laneViews(q, "acme/platform")))
        .filter((l) => l.lane.startsWith("cm/"))
        .map((l) => l.state),
    );
    expect([...states]).toEqual(["pending"]);
  });
});
