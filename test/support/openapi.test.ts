import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { checkRequest, checkResponse, checkWebhookPayload } from "./openapi.ts";

interface ExampleGroup {
  name: string;
  examples: Record<string, unknown>[];
}

const exampleGroups = createRequire(import.meta.url)("@octokit/webhooks-examples") as ExampleGroup[];

function examplesOf(event: string): Record<string, unknown>[] {
  const group = exampleGroups.find((g) => g.name === event);
  if (!group) throw new Error(`@octokit/webhooks-examples has no ${event} examples`);
  return group.examples;
}

// Recordings older than fields the description now requires; checking them would only test
// the age of the recording. The test below keeps this list honest.
const STALE_EXAMPLES: Record<string, Record<number, string>> = {
  check_run: {
    7: "2018 recording: check_run lacks node_id and details_url, app lacks permissions/events, repository lacks disabled",
    8: "2018 recording: same as #7",
  },
  issue_comment: {
    0: "2019 recording: comment lacks reactions and performed_via_github_app, issue lacks reactions and active_lock_reason, label lacks description",
  },
  issues: {
    0: "2019 recording: issue lacks reactions and active_lock_reason, label lacks description",
    21: "2019 recording: changes.new_repository lacks has_discussions",
  },
  workflow_dispatch: { 1: "repository lacks disabled" },
  workflow_run: { 0: "2021 recording: workflow_run lacks actor, path and triggering_actor" },
};

describe("checkRequest accepts real requests", () => {
  it.each([
    ["POST", "https://api.github.com/repos/o/r/issues/1/comments", { body: "x" }],
    ["PATCH", "https://api.github.com/repos/o/r/issues/comments/5", { body: "y" }],
    ["GET", "https://api.github.com/repos/o/r/collaborators/alice/permission", undefined],
    ["GET", "https://api.github.com/repos/o/r/issues/1/events?per_page=100&page=2", undefined],
    ["GET", "https://api.github.com/repos/o/r/contents/.github%2Flanegate.yml", undefined],
    ["POST", "https://api.github.com/app/installations/1/access_tokens", undefined],
    [
      "POST",
      "https://api.github.com/repos/o/r/check-runs",
      {
        name: "lanegate",
        head_sha: "0123456789abcdef0123456789abcdef01234567",
        status: "completed",
        conclusion: "failure",
        output: { title: "Refused", summary: "No approval issue" },
      },
    ],
    ["POST", "https://api.github.com/repos/o/r/actions/runs/5/cancel", undefined],
  ])("%s %s", (method, url, body) => {
    expect(checkRequest(method, url, body)).toEqual([]);
  });

  it("strips the /api/v3 prefix of a GitHub Enterprise style URL", () => {
    expect(
      checkRequest("GET", "http://127.0.0.1:1234/api/v3/repos/o/r/collaborators/a/permission", undefined),
    ).toEqual([]);
  });

  it("lets a {path} parameter carry raw slashes", () => {
    expect(checkRequest("GET", "/repos/o/r/contents/.github/lanegate.yml?ref=main", undefined)).toEqual([]);
  });

  it("prefers a literal segment over a template, so the literal operation's query parameters apply", () => {
    // `since` belongs to GET /repos/{owner}/{repo}/issues/comments, not to .../issues/{issue_number}.
    expect(checkRequest("GET", "/repos/o/r/issues/comments?since=2024-01-01T00:00:00Z", undefined)).toEqual(
      [],
    );
  });

  it("takes a body sent as JSON text", () => {
    expect(checkRequest("POST", "/repos/o/r/issues/1/comments", JSON.stringify({ body: "x" }))).toEqual([]);
  });
});

describe("checkRequest rejects", () => {
  it("an unknown path", () => {
    expect(checkRequest("GET", "https://api.github.com/foo", undefined)).toEqual([
      "no such operation: GET /foo",
    ]);
  });

  it("a method the path does not have", () => {
    expect(checkRequest("DELETE", "/repos/o/r/collaborators/alice/permission", undefined)).toEqual([
      "no such operation: DELETE /repos/{owner}/{repo}/collaborators/{username}/permission (the path has GET)",
    ]);
  });

  it("a body field of the wrong type", () => {
    expect(
      checkRequest("POST", "/repos/o/r/check-runs", { name: 7, head_sha: "0123456789abcdef" }),
    ).toContain("POST /repos/{owner}/{repo}/check-runs: body/name must be string");
  });

  it("a body missing a required field", () => {
    expect(checkRequest("POST", "/repos/o/r/check-runs", { name: "lanegate" })).toContain(
      "POST /repos/{owner}/{repo}/check-runs: body must have required property 'head_sha'",
    );
  });

  it("a body value outside an enum", () => {
    const problems = checkRequest("POST", "/repos/o/r/check-runs", {
      name: "lanegate",
      head_sha: "0123456789abcdef",
      status: "done",
    });
    expect(
      problems.some((p) => p.startsWith("POST /repos/{owner}/{repo}/check-runs: body/status must be")),
    ).toBe(true);
  });

  it("a misspelt body field that GitHub would silently ignore", () => {
    expect(
      checkRequest("POST", "/repos/o/r/check-runs", {
        name: "lanegate",
        head_sha: "abc",
        conclusoin: "failure",
      }),
    ).toEqual(['POST /repos/{owner}/{repo}/check-runs: body has unknown field "conclusoin"']);
  });

  it("a missing required body", () => {
    expect(checkRequest("POST", "/repos/o/r/issues/1/comments", undefined)).toEqual([
      "POST /repos/{owner}/{repo}/issues/{issue_number}/comments: body is required",
    ]);
  });

  it("a body for an operation that takes none", () => {
    expect(checkRequest("POST", "/repos/o/r/actions/runs/5/cancel", { reason: "refused" })).toEqual([
      "POST /repos/{owner}/{repo}/actions/runs/{run_id}/cancel: unexpected body (the operation takes none)",
    ]);
  });

  it("an unknown query parameter", () => {
    expect(checkRequest("GET", "/repos/o/r/issues/1/events?per_page=100&pages=2", undefined)).toEqual([
      'GET /repos/{owner}/{repo}/issues/{issue_number}/events: unknown query parameter "pages"',
    ]);
  });

  it("a query parameter of the wrong type", () => {
    expect(checkRequest("GET", "/repos/o/r/issues/1/events?per_page=all", undefined)).toEqual([
      'GET /repos/{owner}/{repo}/issues/{issue_number}/events: query parameter per_page must be integer, got "all"',
    ]);
  });

  it("a path parameter of the wrong type", () => {
    expect(checkRequest("PATCH", "/repos/o/r/issues/comments/latest", { body: "x" })).toEqual([
      'PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}: path parameter comment_id must be integer, got "latest"',
    ]);
  });
});

describe("checkResponse", () => {
  const permissionUrl = "https://api.github.com/repos/o/r/collaborators/alice/permission";

  it("accepts a valid body", () => {
    const body = {
      permission: "write",
      role_name: "write",
      user: {
        login: "alice",
        id: 1,
        node_id: "MDQ6VXNlcjE=",
        avatar_url: "https://avatars.githubusercontent.com/u/1",
        gravatar_id: "",
        url: "https://api.github.com/users/alice",
        html_url: "https://github.com/alice",
        followers_url: "https://api.github.com/users/alice/followers",
        following_url: "https://api.github.com/users/alice/following{/other_user}",
        gists_url: "https://api.github.com/users/alice/gists{/gist_id}",
        starred_url: "https://api.github.com/users/alice/starred{/owner}{/repo}",
        subscriptions_url: "https://api.github.com/users/alice/subscriptions",
        organizations_url: "https://api.github.com/users/alice/orgs",
        repos_url: "https://api.github.com/users/alice/repos",
        events_url: "https://api.github.com/users/alice/events{/privacy}",
        received_events_url: "https://api.github.com/users/alice/received_events",
        type: "User",
        site_admin: false,
        // Easy to forget: the description requires role_name on the nested user too.
        role_name: "write",
      },
    };
    expect(checkResponse("GET", permissionUrl, 200, body)).toEqual([]);
  });

  it("rejects an invalid body", () => {
    expect(
      checkResponse("GET", permissionUrl, 200, { permission: 3, role_name: "write", user: null }),
    ).toEqual([
      "GET /repos/{owner}/{repo}/collaborators/{username}/permission: response 200 body/permission must be string",
    ]);
  });

  it("checks error bodies against the declared error response", () => {
    expect(checkResponse("GET", permissionUrl, 404, { message: 404 })).toEqual([
      "GET /repos/{owner}/{repo}/collaborators/{username}/permission: response 404 body/message must be string",
    ]);
  });

  it("rejects a status the operation does not declare", () => {
    expect(checkResponse("GET", permissionUrl, 201, {})).toEqual([
      "GET /repos/{owner}/{repo}/collaborators/{username}/permission: response 201 is not a declared status (declared: 200, 404)",
    ]);
  });
});

describe("checkWebhookPayload", () => {
  for (const event of ["issues", "workflow_dispatch", "workflow_run", "check_run", "issue_comment"]) {
    examplesOf(event).forEach((example, index) => {
      const action = typeof example.action === "string" ? example.action : undefined;
      const label = `accepts the ${event}${action ? `.${action}` : ""} example #${index}`;
      const stale = STALE_EXAMPLES[event]?.[index];
      if (stale) {
        it.skip(`${label} (${stale})`, () => {});
        return;
      }
      it(label, () => {
        expect(checkWebhookPayload(event, action, example)).toEqual([]);
      });
    });
  }

  it("still rejects every example listed as stale, so the list can shrink when the examples are refreshed", () => {
    for (const [event, stale] of Object.entries(STALE_EXAMPLES)) {
      for (const index of Object.keys(stale)) {
        const example = examplesOf(event)[Number(index)];
        const action = typeof example?.action === "string" ? example.action : undefined;
        expect(checkWebhookPayload(event, action, example), `${event} #${index}`).not.toEqual([]);
      }
    }
  });

  it("rejects a tampered payload", () => {
    const labeled = examplesOf("issues").find((e) => e.action === "labeled");
    const tampered = structuredClone(labeled) as { issue: { number: unknown } };
    tampered.issue.number = "1";
    expect(checkWebhookPayload("issues", "labeled", tampered)).toEqual([
      "webhook issues-labeled: payload/issue/number must be integer",
    ]);
  });

  it("rejects a payload whose action does not fit the event schema", () => {
    const labeled = examplesOf("issues").find((e) => e.action === "labeled");
    expect(checkWebhookPayload("issues", "unlabeled", labeled)).toContain(
      'webhook issues-unlabeled: payload/action must be equal to one of the allowed values ("unlabeled")',
    );
  });

  it("reports an event the description does not know", () => {
    expect(checkWebhookPayload("no_such_event", "created", {})).toEqual([
      "no webhook schema for no-such-event-created or no-such-event",
    ]);
  });
});
