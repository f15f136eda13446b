// The benchmark's same-requests baseline makes the requests lanegate made, and only those: reads
// to the stand-in as recorded, writes to the mirror (the stand-in's state untouched).
import { Probot } from "probot";
import { afterEach, beforeEach, expect, it } from "vitest";
import { type Mirror, planOf, ReplayOctokit, replay, startMirror } from "../../bench/replay.ts";
import { DEMO_REPO, type LocalGitHub, startLocalGitHub } from "../../standin/world.ts";

const [owner = "", repo = ""] = DEMO_REPO.split("/");
const ref = { owner, repo };
const WORKFLOW = ".github/workflows/odoo-stable-bootstrap.yml";

let local: LocalGitHub;
let mirror: Mirror;
let octokit: Awaited<ReturnType<Probot["auth"]>>;

beforeEach(async () => {
  local = await startLocalGitHub();
  mirror = await startMirror();
  const probot = new Probot({
    appId: Number(local.env.APP_ID),
    privateKey: local.env.PRIVATE_KEY,
    baseUrl: `${local.running.url}/api/v3`,
    Octokit: ReplayOctokit,
  });
  octokit = await probot.auth(local.standin.repo(DEMO_REPO).installationId);
});
afterEach(async () => {
  await mirror.close();
  await local.running.close();
});

const reads = (l: LocalGitHub) =>
  l.standin.requests.filter((r) => r.method === "GET").map(({ path, query }) => ({ path, query }));

it("reads from the stand-in and writes to the mirror, as recorded", async () => {
  const { standin } = local;
  const issue = standin.openIssue(DEMO_REPO, { author: "olivia", title: "t", body: "b" }).number;
  for (const label of ["lane-policy", "urgent"]) standin.addLabel(DEMO_REPO, issue, label, "mia");
  const run = standin.dispatchWorkflow(DEMO_REPO, { workflowPath: WORKFLOW, actor: "olivia" }).runId;
  // What an app would do: read the issue, page through its events, comment, cancel a run.
  standin.requests.length = 0;
  await octokit.rest.issues.get({ ...ref, issue_number: issue });
  await octokit.paginate(octokit.rest.issues.listEvents, { ...ref, issue_number: issue, per_page: 1 });
  await octokit.rest.issues.createComment({ ...ref, issue_number: issue, body: "status" });
  await octokit.rest.actions.cancelWorkflowRun({ ...ref, run_id: run });
  const plan = planOf(standin.requests);
  const recordedReads = reads(local);
  expect(recordedReads.length).toBeGreaterThan(2); // the events came in more than one page

  standin.requests.length = 0;
  const writes: { route: string; body: string }[] = [];
  mirror.onWrite = (route, body) => writes.push({ route, body });
  const mismatches = await replay(octokit, plan, mirror.url);

  expect(mismatches).toEqual([]);
  expect(reads(local)).toEqual(recordedReads);
  expect(standin.requests.filter((r) => r.method !== "GET")).toEqual([]);
  expect(writes).toEqual([
    { route: `POST /repos/${DEMO_REPO}/issues/${issue}/comments`, body: JSON.stringify({ body: "status" }) },
    { route: `POST /repos/${DEMO_REPO}/actions/runs/${run}/cancel`, body: "" },
  ]);
  expect(standin.issue(DEMO_REPO, issue).comments).toHaveLength(1);
});

it("leaves the installation token to Octokit's auth", () => {
  const planned = planOf([
    { method: "POST", path: "/app/installations/1/access_tokens", query: {}, status: 201, body: undefined },
    { method: "GET", path: `/repos/${DEMO_REPO}/issues/1`, query: {}, status: 200, body: undefined },
  ]);
  expect(planned.map((r) => `${r.method} ${r.path}`)).toEqual([`GET /repos/${DEMO_REPO}/issues/1`]);
});

it("reports an answer that differs from the recorded one, and carries on", async () => {
  const issue = local.standin.openIssue(DEMO_REPO, { author: "olivia", title: "t", body: "b" }).number;
  const mismatches = await replay(
    octokit,
    [
      { method: "GET", path: `/repos/${DEMO_REPO}/issues/999`, query: {}, body: undefined, status: 200 },
      { method: "GET", path: `/repos/${DEMO_REPO}/issues/${issue}`, query: {}, body: undefined, status: 200 },
    ],
    mirror.url,
  );
  expect(mismatches).toEqual([{ route: `GET /repos/${DEMO_REPO}/issues/999`, expected: 200, got: 404 }]);
});

it("follows an artifact's download redirect without the token", async () => {
  const { standin } = local;
  const run = standin.dispatchWorkflow(DEMO_REPO, { workflowPath: WORKFLOW, actor: "olivia" }).runId;
  const artifact = standin.uploadArtifact(DEMO_REPO, run, "lanegate-result", new Uint8Array([1, 2, 3]));
  const path = `/repos/${DEMO_REPO}/actions/artifacts/${artifact}/zip`;
  const mismatches = await replay(
    octokit,
    [{ method: "GET", path, query: {}, body: undefined, status: 302 }],
    mirror.url,
  );
  expect(mismatches).toEqual([]);
  expect(standin.blobs.size).toBe(0); // the storage URL the 302 named was downloaded
  expect(standin.leakedAuthorization).toEqual([]);
});
