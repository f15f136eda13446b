// The artifact path against nock: every request checked against GitHub's OpenAPI description,
// the 302 followed to a storage host that must not see the App's token.
import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { read, tables, transaction } from "../../src/adapters/store/db.ts";
import { operationView } from "../../src/adapters/store/read.ts";
import { recordConfig } from "../../src/adapters/store/repositories.ts";
import { parseConfig } from "../../src/core/config/load.ts";
import { result, resultZip } from "../../standin/artifacts.ts";
import { DEMO_CONFIG } from "../../standin/world.ts";
import { createTestApp, type TestApp } from "../support/app.ts";
import { example, OWNER, REPO, user } from "../support/fixtures.ts";
import { checkResponse, checkWebhookPayload } from "../support/openapi.ts";

const API = "https://api.github.com";
const STORAGE = "https://productionresultssa0.blob.core.windows.net";
const repoPath = `/repos/${OWNER}/${REPO}`;
const RUN = 30433642;
const SHA = "acb5820ced9479c074f688cc328bf03f341a511d";

function completed(): Record<string, unknown> {
  const payload = example("workflow_run", "completed");
  const run = payload.workflow_run as Record<string, unknown>;
  return {
    ...payload,
    workflow_run: {
      ...run,
      id: RUN,
      run_attempt: 1,
      head_sha: SHA,
      path: ".github/workflows/odoo-stable-bootstrap.yml",
      event: "workflow_dispatch",
      conclusion: "success",
      updated_at: "2026-11-23T10:00:00Z",
      actor: user("olivia"),
      triggering_actor: user("olivia"),
    },
    repository: {
      ...(payload.repository as object),
      name: REPO,
      full_name: `${OWNER}/${REPO}`,
      owner: user(OWNER),
    },
    installation: { id: 1, node_id: "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMQ==" },
  };
}

function artifactList(size: number) {
  return {
    total_count: 1,
    artifacts: [
      {
        id: 11,
        node_id: "MDg6QXJ0aWZhY3QxMQ==",
        name: "lanegate-result",
        size_in_bytes: size,
        url: `${API}${repoPath}/actions/artifacts/11`,
        archive_download_url: `${API}${repoPath}/actions/artifacts/11/zip`,
        expired: false,
        created_at: "2026-11-23T09:59:00Z",
        expires_at: "2027-02-21T09:59:00Z",
        updated_at: "2026-11-23T09:59:00Z",
        workflow_run: {
          id: RUN,
          repository_id: 1,
          head_repository_id: 1,
          head_branch: "main",
          head_sha: SHA,
        },
      },
    ],
  };
}

let t: TestApp;
beforeEach(async () => {
  nock.disableNetConnect();
  t = await createTestApp();
  t.clock.now = new Date("2026-11-23T10:00:30Z");
  const repo = `${OWNER}/${REPO}`.toLowerCase();
  await transaction(t.db, async (q) => {
    await recordConfig(q, repo, 1, parseConfig(parse(DEMO_CONFIG)), t.clock.now);
    await q.insert(tables(q).operations).values({
      repo,
      lane: "cm/testing",
      runId: RUN,
      attempt: 1,
      decisionId: 1,
      source: "empty",
      state: "in_flight",
      leaseExpiresAt: "2026-11-23T16:00:00Z",
      startedAt: "2026-11-23T09:50:00Z",
    });
  });
});
afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

async function deliver() {
  const payload = completed();
  expect(checkWebhookPayload("workflow_run", "completed", payload)).toEqual([]);
  await t.probot.receive({ id: "d1", name: "workflow_run", payload } as never);
}

const evidence = async () =>
  (await read(t.db, (q) => operationView(q, `${OWNER}/${REPO}`.toLowerCase(), 1)))?.evidence;

describe("the artifact path against nock", () => {
  it("lists, follows the 302 to storage without the App's token, and writes one check run", async () => {
    const zip = resultZip(result({ run_id: RUN }));
    const list = artifactList(zip.length);
    expect(checkResponse("GET", `${API}${repoPath}/actions/runs/${RUN}/artifacts`, 200, list)).toEqual([]);
    const github = nock(API)
      .post("/app/installations/1/access_tokens")
      .reply(201, { token: "ghs_secret", expires_at: "2099-01-01T00:00:00Z" })
      .get(`${repoPath}/actions/runs/${RUN}/artifacts`)
      .query({ name: "lanegate-result", per_page: 100 })
      .reply(200, list)
      .get(`${repoPath}/actions/artifacts/11/zip`)
      .reply(302, "", { location: `${STORAGE}/artifact/11?sig=abc` })
      .post(
        `${repoPath}/check-runs`,
        (body) => body.name === "lanegate evidence: cm/testing" && body.conclusion === "success",
      )
      .reply(201, { id: 77 });
    let storageAuthorization: string | undefined = "not asked";
    const storage = nock(STORAGE)
      .get("/artifact/11")
      .query({ sig: "abc" })
      .reply(async (req: Request) => {
        storageAuthorization = req.headers.get("authorization") ?? undefined;
        return [200, Buffer.from(zip), { "content-type": "application/zip" }];
      });
    await deliver();
    expect(storageAuthorization).toBeUndefined();
    expect(github.pendingMocks()).toEqual([]);
    expect(storage.pendingMocks()).toEqual([]);
    expect(await evidence()).toMatchObject({ status: "recorded", lane_state: "ready", check_run_id: 77 });
    expect(t.problems).toEqual([]);
  });

  it("no artifact yet: one list request, nothing recorded, no check run", async () => {
    const github = nock(API)
      .post("/app/installations/1/access_tokens")
      .reply(201, { token: "ghs_secret", expires_at: "2099-01-01T00:00:00Z" })
      .get(`${repoPath}/actions/runs/${RUN}/artifacts`)
      .query(true)
      .reply(200, { total_count: 0, artifacts: [] });
    await deliver();
    expect(github.pendingMocks()).toEqual([]);
    expect(await evidence()).toMatchObject({ status: "awaiting_artifact", lane_state: null });
    expect(t.problems).toEqual([]);
  });

  it("a listing that says over 1 MiB is refused without downloading", async () => {
    const github = nock(API)
      .post("/app/installations/1/access_tokens")
      .reply(201, { token: "ghs_secret", expires_at: "2099-01-01T00:00:00Z" })
      .get(`${repoPath}/actions/runs/${RUN}/artifacts`)
      .query(true)
      .reply(200, artifactList(2 * 1024 * 1024))
      .post(`${repoPath}/check-runs`, (body) => body.conclusion === "failure")
      .reply(201, { id: 78 });
    await deliver();
    expect(github.pendingMocks()).toEqual([]);
    expect(await evidence()).toMatchObject({ error: { code: "artifact_too_large" }, lane_state: "stale" });
  });
});
