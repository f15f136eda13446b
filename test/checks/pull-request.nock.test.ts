// GitHub's own recorded `pull_request` deliveries (@octokit/webhooks-examples) through Probot, with
// GitHub mocked by nock: the handler reads these real shapes, and a pull request that changes no
// relevant file costs the files list alone.
import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../support/app.ts";
import { example } from "../support/fixtures.ts";
import { checkResponse, checkWebhookPayload } from "../support/openapi.ts";

const API = "https://api.github.com";

let t: TestApp;
beforeEach(async () => {
  nock.disableNetConnect();
  t = await createTestApp();
});
afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

describe("GitHub's recorded pull_request deliveries", () => {
  it.each(["opened", "synchronize", "reopened"])(
    "%s: reads the files list and nothing else when no relevant file changed",
    async (action) => {
      const payload = example("pull_request", action);
      payload.installation = { id: 1, node_id: "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMQ==" };
      // Some recordings predate `has_discussions`, which GitHub's schema now requires.
      const pr = payload.pull_request as Record<"base" | "head", { repo: Record<string, unknown> }>;
      for (const side of [pr.base, pr.head]) side.repo.has_discussions ??= false;
      expect(checkWebhookPayload("pull_request", action, payload)).toEqual([]);
      const repository = payload.repository as { full_name: string };
      const number = payload.number as number;
      const files = [
        {
          sha: "a".repeat(40),
          filename: "README.md",
          status: "modified",
          additions: 1,
          deletions: 1,
          changes: 2,
          blob_url: `https://github.com/${repository.full_name}/blob/x/README.md`,
          raw_url: `https://github.com/${repository.full_name}/raw/x/README.md`,
          contents_url: `${API}/repos/${repository.full_name}/contents/README.md?ref=x`,
        },
      ];
      const path = `/repos/${repository.full_name}/pulls/${number}/files`;
      expect(checkResponse("GET", path, 200, files)).toEqual([]);
      const scope = nock(API)
        .post("/app/installations/1/access_tokens")
        .reply(201, { token: "t", expires_at: "2099-01-01T00:00:00Z" })
        .get(path)
        .query({ per_page: 100 })
        .reply(200, files);

      await t.probot.receive({ id: `d-${action}`, name: "pull_request", payload } as never);

      expect(scope.pendingMocks()).toEqual([]);
      expect(t.problems).toEqual([]);
    },
  );
});
