// The CM and OPW story: the real app server against the local stand-in for GitHub, driven with
// signed webhooks, printing what lanegate did after each step. `npm run demo` plays it and stops;
// `npm start` without an App plays it and keeps serving (the playground).
import { rmSync } from "node:fs";
import { deployCmTesting, evidenceStory } from "../scripts/demo-evidence.ts";
import type { LaneView } from "../src/adapters/store/read.ts";
import { table } from "../src/cli/table.ts";
import { startLanegate } from "../src/server.ts";
import { type Delivery, deliver } from "./index.ts";
import { cmOpwApprovalBody, DEMO_REPO, startLocalGitHub } from "./world.ts";

export interface StoryOptions {
  /** The story's own database file, wiped first: never the production default. */
  dbFile: string;
  port: string;
  standinPort?: number;
}

export async function playStory({ dbFile, port, standinPort = 0 }: StoryOptions) {
  for (const suffix of ["", "-wal", "-shm"]) rmSync(`${dbFile}${suffix}`, { force: true });
  const local = await startLocalGitHub(standinPort);
  const gh = local.standin;
  const app = await startLanegate({
    env: {
      ...local.env,
      PORT: port,
      DATABASE_URL: `file:${dbFile}`,
      LOG_LEVEL: "fatal",
      // Check runs link to the console's pages; a port chosen at random has no address to give yet.
      ...(port === "0" ? {} : { LANEGATE_PUBLIC_URL: `http://localhost:${port}` }),
    },
    throttle: false,
    sweepEveryMs: 0,
    // Status comments list recent gated runs; refresh them at once so the story can print them.
    commentBatchMs: 1,
    reconcileEveryMs: 0,
    reconcileOnStart: false,
    redeliverEveryMs: 0,
    access: { kind: "public" },
  });
  const base = `http://localhost:${app.port}`;
  const secret = local.env.WEBHOOK_SECRET ?? "";

  const SYO =
    "  syo/prod:\n    data_authority: authoritative\n    allowed_rebuild_sources: [backup_restore]\n";
  const BODY = (expires: string) => cmOpwApprovalBody(expires, SYO);

  async function step(title: string, ...deliveries: Delivery[]) {
    const before = gh.requests.length;
    for (const d of deliveries) {
      const status = await deliver(`${base}/api/github/webhooks`, secret, d);
      if (status >= 300) throw new Error(`${d.name} delivery answered ${status}`);
    }
    const response = await fetch(`${base}/lanegate/api/repos/${DEMO_REPO}/lanes`);
    const { lanes } = (await response.json()) as { lanes: LaneView[] };
    console.log(`\n== ${title}  (${gh.requests.length - before} GitHub API calls)`);
    const rows = lanes.map((l) => [
      l.lane,
      l.state,
      l.data_authority,
      l.allowed_rebuild_sources.join(",") || "-",
      l.grant ? `#${l.grant.issue}` : "-",
      l.reason,
    ]);
    console.log(table(["LANE", "STATE", "AUTHORITY", "SOURCES", "ISSUE", "WHY"], rows, { wide: false }));
  }

  console.log(
    `lanegate demo: app on ${base}, stand-in GitHub on ${local.running.url}, repository ${DEMO_REPO}`,
  );
  const opened = gh.openIssue(DEMO_REPO, {
    author: "olivia",
    title: "Allow CM and OPW rebuilds until launch",
    body: BODY("2027-03-31T00:00:00Z"),
  });
  const n = opened.number;
  await step(`olivia (write) opens issue #${n} with a lane-policy block`, ...opened.deliveries);
  await step(
    "tara (triage) applies the lane-policy label: not an approver",
    gh.addLabel(DEMO_REPO, n, "lane-policy", "tara"),
  );
  await step(
    "mia (maintain) removes it and applies it herself: the lanes become active",
    gh.removeLabel(DEMO_REPO, n, "lane-policy", "mia"),
    gh.addLabel(DEMO_REPO, n, "lane-policy", "mia"),
  );
  await step(
    "olivia edits the block (later expiry): not an approver, so suspended",
    gh.editIssueBody(DEMO_REPO, n, BODY("2027-06-30T00:00:00Z"), "olivia"),
  );
  const approverEdit = gh.editIssueBody(DEMO_REPO, n, BODY("2027-05-31T00:00:00Z"), "mia");
  await step("mia edits the block herself: re-synced and active again", approverEdit);

  // A forged delivery: a real payload turned into a "closed" event, signed with the wrong secret.
  const forgedPayload = { ...(approverEdit.payload as Record<string, unknown>), action: "closed" };
  const forged = await deliver(`${base}/api/github/webhooks`, "not-the-secret", {
    ...approverEdit,
    id: "forged-1",
    payload: forgedPayload,
  });
  console.log(`\n== a forged 'closed' delivery with a bad signature: answered ${forged}, nothing changed`);

  const world = {
    gh,
    base,
    async send(...deliveries: Delivery[]) {
      for (const d of deliveries) await deliver(`${base}/api/github/webhooks`, secret, d);
    },
  };
  await deployCmTesting(world);

  console.log("\n== the gate: olivia dispatches odoo-stable-bootstrap.yml runs\n");
  const decisions: string[][] = [];
  async function gated(what: string, lane: string, source: string, confirmation: string, complete = false) {
    const [context = "", instance = ""] = lane.split("/");
    const d = gh.dispatchWorkflow(DEMO_REPO, {
      workflowPath: ".github/workflows/odoo-stable-bootstrap.yml",
      inputs: { context, instance, source, confirmation },
      actor: "olivia",
    });
    for (const delivery of [d.dispatch, d.requested])
      await deliver(`${base}/api/github/webhooks`, secret, delivery);
    const check = [...gh.repo(DEMO_REPO).checkRuns.values()].find((c) => c.externalId === `${d.runId}:1`);
    const run = gh.repo(DEMO_REPO).runs.get(d.runId);
    decisions.push([
      what,
      String(d.runId),
      check?.conclusion ?? "no check",
      `${run?.status}/${run?.conclusion ?? "-"}`,
      check?.output.title ?? "",
    ]);
    if (complete)
      await deliver(`${base}/api/github/webhooks`, secret, gh.completeRun(DEMO_REPO, d.runId, "success"));
    return d.runId;
  }
  const cmTesting = await gated("CM bootstrap, right phrase", "cm/testing", "empty", "bootstrap cm testing");
  await gated("CM bootstrap, wrong phrase", "cm/prod", "empty", "bootstrap cm testing");
  await gated("unknown lane", "zz/prod", "empty", "bootstrap zz prod");
  await gated("second run while the first is in flight", "cm/testing", "empty", "bootstrap cm testing");
  await gated("SYO prod restore without proofs", "syo/prod", "backup_restore", "restore syo prod");
  await gated("OPW upstream restore", "opw/prod", "upstream_restore", "restore opw prod", true);
  console.log(table(["REQUEST", "RUN", "CHECK", "RUN STATE", "DECISION"], decisions, { wide: false }));
  decisions.length = 0;

  await step("olivia closes the issue: every grant retires", gh.closeIssue(DEMO_REPO, n, "olivia"));
  await gated("CM bootstrap after the issue closed", "cm/prod", "empty", "bootstrap cm prod");
  console.log(`\n${table(["REQUEST", "RUN", "CHECK", "RUN STATE", "DECISION"], decisions, { wide: false })}`);

  const comment = gh.issue(DEMO_REPO, n).comments.find((c) => c.body.includes("<!-- lanegate:status -->"));
  console.log(
    `\n== the status comment on #${n} (one comment, edited in place ${gh.issue(DEMO_REPO, n).comments.length === 1 ? "" : "- MORE THAN ONE! "}):\n`,
  );
  console.log(comment?.body ?? "(none)");

  console.log("\n== operation evidence: what CM testing's runs really did");
  await evidenceStory(world, cmTesting, async () => {
    // Reopening grants nothing by itself: an approver applies the label again.
    console.log(
      "\n== the logo is fixed; mia reopens #1 and applies the label again, olivia dispatches again",
    );
    await world.send(gh.reopenIssue(DEMO_REPO, n, "mia"), gh.removeLabel(DEMO_REPO, n, "lane-policy", "mia"));
    await world.send(gh.addLabel(DEMO_REPO, n, "lane-policy", "mia"));
    return gated("CM bootstrap after the logo fix", "cm/testing", "empty", "bootstrap cm testing");
  });
  // From here on, what GitHub sends because of lanegate's own API calls (a re-requested check run
  // from the console, a cancelled run) reaches lanegate as GitHub would deliver it.
  gh.onDelivery = (d) => {
    world.send(d).catch((error: unknown) => console.error(`delivery ${d.name} failed: ${String(error)}`));
  };
  console.log(`\nThe database is in ${dbFile}. Read it with the CLI:
  npx lanegate lanes ${DEMO_REPO} --db file:${dbFile}
  npx lanegate lane ${DEMO_REPO} cm/prod --db file:${dbFile}
  npx lanegate audit ${DEMO_REPO} --db file:${dbFile}
  npx lanegate lane ${DEMO_REPO} cm/testing --db file:${dbFile}
  npx lanegate operations ${DEMO_REPO} --db file:${dbFile}
  npx lanegate operations ${DEMO_REPO} 1 --db file:${dbFile}
  npx lanegate simulate ${DEMO_REPO} cm/testing --confirmation "bootstrap cm testing" --db file:${dbFile}`);

  return { app, local, base };
}
