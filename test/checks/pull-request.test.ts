// The pull-request checks through the stand-in: real `pull_request` deliveries, the files list,
// files read at the head commit, and the check runs GitHub would show.
import { describe, expect, it } from "vitest";
import {
  CM_PROD_CONFIG,
  checkRun,
  checkRunsNamed,
  exampleWorkflows,
  openPr,
  rendered,
} from "../support/checks.ts";
import { requestsDuring, writes } from "../support/requests.ts";
import { createWorld, REPO } from "../support/world.ts";

const CONFIG = ".github/lanegate.yml";

/** A workflow that takes a lane without being gated: one ungated-destructive-workflow finding. */
const ungatedWorkflow = (extra = "") =>
  [
    "on:",
    "  workflow_dispatch:",
    "    inputs:",
    `      context: { required: true }${extra}`,
    "      instance: { required: true }",
    "jobs:",
    "  wipe:",
    "    runs-on: ubuntu-latest",
    "    steps: [{ run: echo wipe }]",
    "",
  ].join("\n");

async function world() {
  return createWorld({ config: CM_PROD_CONFIG });
}

describe("the lanegate: config check", () => {
  it("gives neutral to a pull request that weakens cm/prod's baseline, naming the lane and the change", async () => {
    const w = await world();
    const weaker = CM_PROD_CONFIG.replace(
      "cm/prod:       { data_authority: authoritative }",
      "cm/prod: { data_authority: resettable }",
    );
    const pr = openPr(w, { [CONFIG]: weaker });
    await w.send(pr.delivery);
    const run = checkRun(w, pr.headSha, "lanegate: config");
    expect(run).toMatchObject({
      status: "completed",
      conclusion: "neutral",
      externalId: `pull_request:${pr.number}`,
    });
    expect(run.output.title).toBe("Weakens the baseline: cm/prod");
    const summary = rendered(run.output.summary);
    expect(summary).toContain("**Weakens the baseline** of cm/prod.");
    expect(summary).toContain(
      "| cm/prod | weakened | data authority authoritative → resettable (allowed sources backup_restore → empty) |",
    );
    expect(checkRunsNamed(w, pr.headSha, "lanegate: workflows")).toEqual([]);
  });

  it("gives failure to an invalid config, with an annotation on the line and column of the mistake", async () => {
    const w = await world();
    const broken = CM_PROD_CONFIG.replace("min_permission: maintain", "min_permission: everyone");
    const line = broken.split("\n").findIndex((l) => l.includes("everyone")) + 1;
    const pr = openPr(w, { [CONFIG]: broken });
    await w.send(pr.delivery);
    const run = checkRun(w, pr.headSha, "lanegate: config");
    expect(run.conclusion).toBe("failure");
    expect(run.output.title).toBe("The config is invalid: 1 error");
    expect(run.annotations).toEqual([
      expect.objectContaining({
        path: CONFIG,
        start_line: line,
        start_column: 19,
        annotation_level: "failure",
        title: "invalid-config",
        message: expect.stringContaining("approvers.min_permission"),
      }),
    ]);
  });

  it("gives success to a pull request that only strengthens the baseline", async () => {
    const w = await world();
    const stronger = CM_PROD_CONFIG.replace("min_permission: maintain", "min_permission: admin");
    const pr = openPr(w, { [CONFIG]: stronger });
    await w.send(pr.delivery);
    const run = checkRun(w, pr.headSha, "lanegate: config");
    expect(run.conclusion).toBe("success");
    expect(rendered(run.output.summary)).toContain(
      "| every lane | strengthened | approvers need admin instead of maintain |",
    );
  });
});

describe("the lanegate: workflows check", () => {
  it("gives failure to a new workflow that takes a lane without being gated, on the line of its input", async () => {
    const w = await world();
    const pr = openPr(w, { ".github/workflows/wipe.yml": ungatedWorkflow() });
    await w.send(pr.delivery);
    const run = checkRun(w, pr.headSha, "lanegate: workflows");
    expect(run.conclusion).toBe("failure");
    expect(run.annotations).toEqual([
      expect.objectContaining({
        path: ".github/workflows/wipe.yml",
        start_line: 4,
        start_column: 7,
        title: "ungated-destructive-workflow",
      }),
    ]);
    expect(checkRunsNamed(w, pr.headSha, "lanegate: config")).toEqual([]);
  });

  it("gives failure to a pull request that removes the backup workflow the config names", async () => {
    const w = await world();
    w.gh.setFile(
      REPO,
      ".github/workflows/backup.yml",
      exampleWorkflows()[".github/workflows/backup.yml"] ?? "",
    );
    const pr = openPr(w, { ".github/workflows/backup.yml": null });
    await w.send(pr.delivery);
    const run = checkRun(w, pr.headSha, "lanegate: workflows");
    expect(run.conclusion).toBe("failure");
    // The config is unchanged, so not read: the finding is on its first line.
    expect(run.annotations).toEqual([
      expect.objectContaining({
        path: CONFIG,
        start_line: 1,
        title: "proof-workflow-mismatch",
        message: "proofs.backup.workflow names backup.yml, which does not exist under .github/workflows/",
      }),
    ]);
  });

  it("links each rule to its section of the published docs", async () => {
    const docsUrl = "https://docs.example/lanegate/operations.md";
    const w = await createWorld({ config: CM_PROD_CONFIG, docsUrl });
    const pr = openPr(w, { ".github/workflows/wipe.yml": ungatedWorkflow() });
    await w.send(pr.delivery);
    const run = checkRun(w, pr.headSha, "lanegate: workflows");
    const link = `${docsUrl}#rule-ungated-destructive-workflow`;
    expect(run.annotations[0]?.raw_details).toBe(`Why, and how to fix it: ${link}`);
    expect(run.output.summary).toContain(`| [\`ungated-destructive-workflow\`](${link}) | error | 1 | 0 |`);
  });

  it("passes the example workflows", async () => {
    const w = await world();
    const pr = openPr(w, exampleWorkflows());
    await w.send(pr.delivery);
    const run = checkRun(w, pr.headSha, "lanegate: workflows");
    expect(run).toMatchObject({ conclusion: "success", annotations: [] });
    expect(run.output.title).toBe("No findings");
  });
});

describe("annotations, ignores, pushes and re-requests", () => {
  it("sends 50 annotations with the check run and the rest in updates, which GitHub appends", async () => {
    const w = await world();
    const files = Object.fromEntries(
      Array.from({ length: 51 }, (_, i) => [`.github/workflows/wipe-${i}.yml`, ungatedWorkflow()]),
    );
    const pr = openPr(w, files);
    const requests = await requestsDuring(w, () => w.send(pr.delivery));
    const run = checkRun(w, pr.headSha, "lanegate: workflows");
    expect(run.annotations).toHaveLength(51);
    // The files list, the config in force and the 51 files: 2 reads plus 1 per changed file.
    expect(requests.filter((r) => r.method === "GET")).toHaveLength(53);
    expect(writes(requests).map((r) => `${r.method} ${r.path}`)).toEqual([
      `POST /repos/${REPO}/check-runs`,
      `PATCH /repos/${REPO}/check-runs/${run.id}`,
    ]);
    expect(rendered(run.output.summary)).toContain("| `ungated-destructive-workflow` | error | 51 | 0 |");
  });

  it("lists an ignored finding with its reason in the summary and does not fail on it", async () => {
    const w = await world();
    const ignored = ungatedWorkflow(
      " # lanegate: ignore[ungated-destructive-workflow] dry run only, wipes nothing",
    );
    const pr = openPr(w, { ".github/workflows/dry.yml": ignored });
    await w.send(pr.delivery);
    const run = checkRun(w, pr.headSha, "lanegate: workflows");
    expect(run).toMatchObject({ conclusion: "success", annotations: [] });
    const summary = rendered(run.output.summary);
    expect(summary).toContain("| `ungated-destructive-workflow` | error | 0 | 1 |");
    expect(summary).toContain(
      "- `.github/workflows/dry.yml:4:7` `ungated-destructive-workflow`: dry.yml takes the lane inputs",
    );
    expect(summary).toContain("Reason: dry run only, wipes nothing");
  });

  it("checks the new head when the pull request is pushed to", async () => {
    const w = await world();
    const broken = CM_PROD_CONFIG.replace("label: lane-policy", "label: [lane-policy]");
    const pr = openPr(w, { [CONFIG]: broken });
    await w.send(pr.delivery);
    expect(checkRun(w, pr.headSha, "lanegate: config").conclusion).toBe("failure");
    const fixed = CM_PROD_CONFIG.replace("label: lane-policy", "label: lane-approval");
    const pushed = w.gh.pushToPullRequest(REPO, pr.number, { [CONFIG]: fixed }, "olivia");
    await w.send(pushed);
    const head = w.gh.pull(REPO, pr.number).headSha;
    expect(checkRun(w, head, "lanegate: config").conclusion).toBe("success");
  });

  it("re-runs only the pull-request check a re-request names", async () => {
    const w = await world();
    const pr = openPr(w, {
      [CONFIG]: CM_PROD_CONFIG.replace("maintain", "admin"),
      ".github/workflows/wipe.yml": ungatedWorkflow(),
    });
    await w.send(pr.delivery);
    const first = checkRun(w, pr.headSha, "lanegate: workflows");
    await w.send(w.gh.rerequestCheckRun(REPO, first.id, "olivia"));
    expect(checkRunsNamed(w, pr.headSha, "lanegate: workflows")).toHaveLength(2);
    expect(checkRunsNamed(w, pr.headSha, "lanegate: config")).toHaveLength(1);
    expect(checkRunsNamed(w, pr.headSha, "lanegate: workflows")[1]).toMatchObject({
      conclusion: "failure",
      externalId: `pull_request:${pr.number}`,
    });
  });

  it("reopening a pull request checks it again", async () => {
    const w = await world();
    const pr = openPr(w, { ".github/workflows/wipe.yml": ungatedWorkflow() });
    await w.send(
      w.gh.closePullRequest(REPO, pr.number, "olivia"),
      w.gh.reopenPullRequest(REPO, pr.number, "olivia"),
    );
    expect(checkRun(w, pr.headSha, "lanegate: workflows").conclusion).toBe("failure");
  });
});

describe("a config that extends a file of the same repository", () => {
  const BASE = ".github/lanegate-base.yml";
  const own = "_extends: platform:.github/lanegate-base.yml\nlabel: lane-policy\n";
  const base = "lanes:\n  cm/prod: { data_authority: authoritative }\n";

  it("checks a pull request that changes only the extended file, with the line in that file", async () => {
    const w = await createWorld({ config: own });
    w.gh.setFile(REPO, BASE, base);
    const weaker = "lanes:\n  cm/prod: { data_authority: resettable }\n";
    const pr = openPr(w, { [BASE]: weaker });
    await w.send(pr.delivery);
    const run = checkRun(w, pr.headSha, "lanegate: config");
    expect(run.conclusion).toBe("neutral");
    expect(rendered(run.output.summary)).toContain(
      "| cm/prod | weakened | data authority authoritative → resettable",
    );

    const invalid = openPr(w, { [BASE]: "lanes:\n  cm/prod: { data_authority: resettable, typo: 1 }\n" });
    await w.send(invalid.delivery);
    expect(checkRun(w, invalid.headSha, "lanegate: config").annotations).toEqual([
      expect.objectContaining({ path: BASE, start_line: 2, start_column: 42, title: "invalid-config" }),
    ]);
  });
});

describe("requests per pull request", () => {
  it("reads the files list, the config in force and each changed relevant file, and writes each check once", async () => {
    const w = await world();
    const pr = openPr(w, {
      [CONFIG]: CM_PROD_CONFIG.replace("maintain", "admin"),
      ".github/workflows/wipe.yml": ungatedWorkflow(),
      ".github/workflows/backup.yml": exampleWorkflows()[".github/workflows/backup.yml"] ?? "",
      "README.md": "# budget\n",
    });
    const requests = await requestsDuring(w, () => w.send(pr.delivery));
    const reads = requests
      .filter((r) => r.method === "GET")
      .map((r) => `${decodeURIComponent(r.path)} ${r.query.ref ?? ""}`.trim());
    expect(reads).toEqual([
      `/repos/${REPO}/pulls/${pr.number}/files`,
      `/repos/${REPO}/contents/.github/lanegate.yml`,
      `/repos/${REPO}/contents/.github/lanegate.yml ${pr.headSha}`,
      `/repos/${REPO}/contents/.github/workflows/backup.yml ${pr.headSha}`,
      `/repos/${REPO}/contents/.github/workflows/wipe.yml ${pr.headSha}`,
    ]);
    expect(writes(requests)).toHaveLength(2);

    // The config in force is cached now: the next pull request reads only what it changed.
    const next = openPr(w, { ".github/workflows/wipe.yml": ungatedWorkflow() });
    const again = await requestsDuring(w, () => w.send(next.delivery));
    expect(again.filter((r) => r.method === "GET")).toHaveLength(2);
  });

  it("makes no request beyond the files list for a pull request that touches no relevant file", async () => {
    const w = await world();
    const pr = openPr(w, { "README.md": "# hello\n", "src/app.ts": "export {};\n" });
    const requests = await requestsDuring(w, () => w.send(pr.delivery));
    expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `GET /repos/${REPO}/pulls/${pr.number}/files`,
    ]);
  });
});
