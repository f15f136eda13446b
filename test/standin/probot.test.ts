// The stand-in as the app meets it: Probot's own client, pointed at it the way GHE_HOST does.
import { generateKeyPairSync } from "node:crypto";
import { Probot, ProbotOctokit } from "probot";
import { afterEach, beforeEach, expect, it } from "vitest";
import { type RunningStandin, Standin, startStandin } from "../../standin/index.ts";
import { REPO } from "./helpers.ts";

const { privateKey } = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  privateKeyEncoding: { type: "pkcs8", format: "pem" },
  publicKeyEncoding: { type: "spki", format: "pem" },
});

let running: RunningStandin;
let octokit: Awaited<ReturnType<Probot["auth"]>>;

beforeEach(async () => {
  running = await startStandin({ standin: new Standin({ appId: 77 }) });
  const repo = running.standin.addRepo(REPO);
  const probot = new Probot({
    appId: 77,
    privateKey,
    baseUrl: `${running.url}/api/v3`,
    Octokit: ProbotOctokit.defaults((o: ConstructorParameters<typeof ProbotOctokit>[0]) => ({
      ...o,
      retry: { enabled: false },
      throttle: { ...o?.throttle, enabled: false },
    })),
  });
  octokit = await probot.auth(repo.installationId);
});
afterEach(() => running.close());

it("serves Probot's config loader the repository's .github file", async () => {
  running.standin.setFile(REPO, ".github/lanegate.yml", "label: lane-policy\n");
  const { config } = await octokit.config.get({ owner: "acme", repo: "infra", path: ".github/lanegate.yml" });
  expect(config).toEqual({ label: "lane-policy" });
});

it("lets octokit.paginate walk issue events across pages", async () => {
  const s = running.standin;
  s.openIssue(REPO, { author: "alice", title: "t", body: "" });
  for (let i = 0; i < 3; i++) {
    s.addLabel(REPO, 1, "lane-policy", "mia");
    s.removeLabel(REPO, 1, "lane-policy", "mia");
  }
  const events = await octokit.paginate(octokit.rest.issues.listEvents, {
    owner: "acme",
    repo: "infra",
    issue_number: 1,
    per_page: 2,
  });
  expect(events.map((e) => e.event)).toEqual([
    "labeled",
    "unlabeled",
    "labeled",
    "unlabeled",
    "labeled",
    "unlabeled",
  ]);
});

it("leads octokit from a transferred issue to its new home", async () => {
  const s = running.standin;
  s.addRepo("acme/other");
  s.openIssue(REPO, { author: "alice", title: "t", body: "" });
  s.transferIssue(REPO, 1, "acme/other", "mia");
  const { data } = await octokit.rest.issues.get({ owner: "acme", repo: "infra", issue_number: 1 });
  expect(data.repository_url).toBe(`${running.url}/api/v3/repos/acme/other`);
});
