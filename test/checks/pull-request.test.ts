// The pull-request checks through the stand-in: real `pull_request` deliveries, the files list,
// files read at the head commit, and the check runs GitHub would show.
import { describe, expect, it } from "vitest";
import { CM_PROD_CONFIG, checkRun, checkRunsNamed, exampleWorkflows, rendered } from "../support/checks.ts";
import { requestsDuring, writes } from "../support/requests.ts";
import { createWorld, REPO } from "../support/world.ts";

const CONFIG = ".github/lanegate.yml";

async function world() {
  return createWorld({ config: CM_PROD_CONFIG });
}

describe("the lanegate: config check", () => {
  it("gives neutral to a pull request that weakens cm/prod's baseline, naming the lane and the change", async () => {
    const w = await world();
    const weaker = CM_PROD_CONFIG.replace("cm/prod:       { data_authority: authoritative }", "cm/prod: { data_authority: resettable }");
    const pr = w.gh.openPullRequest(REPO, { author: "olivia", branch: "relax", title: "relax", files: { [CONFIG]: weaker } });
    await w.send(pr.delivery);
    const run = checkRun(w, pr.headSha, "lanegate: config");
    expect(run).toMatchObject({ status: "completed", conclusion: "neutral", externalId: `pull_request:${pr.number}` });
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
    const pr = w.gh.openPullRequest(REPO, { author: "olivia", branch: "oops", title: "oops", files: { [CONFIG]: broken } });
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
    const pr = w.gh.openPullRequest(REPO, { author: "olivia", branch: "tighten", title: "t", files: { [CONFIG]: stronger } });
    await w.send(pr.delivery);
    const run = checkRun(w, pr.headSha, "lanegate: config");
    expect(run.conclusion).toBe("success");
    expect(rendered(run.output.summary)).toContain("| every lane | strengthened | approvers need admin instead of maintain |");
  });
});

describe("the lanegate: workflows check", () => {
  it("gives failure to a new workflow that takes a lane without being gated, on the line of its input", async () => {
    const w = await world();
    const wipe = [
      "on:",
      "  workflow_dispatch:",
      "    inputs:",
      "      context: { required: true }",
      "      instance: { required: true }",
      "jobs:",
      "  wipe:",
      "    runs-on: ubuntu-latest",
      "    steps: [{ run: echo wipe }]",
      "",
    ].join("\n");
    const pr = w.gh.openPullRequest(REPO, {
      author: "olivia",
      branch: "wipe",
      title: "wipe",
      files: { ".github/workflows/wipe.yml": wipe },
    });
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

  it("passes the example workflows", async () => {
    const w = await world();
    const pr = w.gh.openPullRequest(REPO, { author: "olivia", branch: "examples", title: "e", files: exampleWorkflows() });
    await w.send(pr.delivery);
    const run = checkRun(w, pr.headSha, "lanegate: workflows");
    expect(run).toMatchObject({ conclusion: "success", annotations: [] });
    expect(run.output.title).toBe("No findings");
  });
});

describe("requests per pull request", () => {
  it("makes no request beyond the files list for a pull request that touches no relevant file", async () => {
    const w = await world();
    const pr = w.gh.openPullRequest(REPO, {
      author: "olivia",
      branch: "docs",
      title: "docs",
      files: { "README.md": "# hello\n", "src/app.ts": "export {};\n" },
    });
    const requests = await requestsDuring(w, () => w.send(pr.delivery));
    expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `GET /repos/${REPO}/pulls/${pr.number}/files`,
    ]);
  });
});
