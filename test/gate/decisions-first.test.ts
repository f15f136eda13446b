// Decisions first, with writes paced as in production (Octokit's throttling on: one write of an
// installation a second): a burst of 20 gated runs on 20 lanes, while eight approval issues'
// status comments are refreshed, gets every check run within 20 s of pacing plus 5 s, and no
// status comment is written before the last check run.
import { describe, expect, it } from "vitest";
import { createTestApp } from "../support/app.ts";
import { BOOTSTRAP, inputs } from "../support/gate.ts";
import { createWorld, REPO } from "../support/world.ts";

const ISSUES = 8;
const LANES_PER_ISSUE = 3;

function block(issue: number): string {
  const lanes = Array.from({ length: LANES_PER_ISSUE }, (_, i) =>
    [
      `  b${issue}x${i}/testing:`,
      "    data_authority: resettable",
      "    allowed_rebuild_sources: [empty]",
    ].join("\n"),
  );
  return ["```lane-policy", "lanes:", ...lanes, "expires_at: 2099-01-01T00:00:00Z", "```", ""].join("\n");
}

describe("decisions first", () => {
  it("writes every check run of a 20-lane burst within the pacing floor plus 5 s, before any status comment", async () => {
    // The approvals are set up unpaced; the burst goes to a paced app on the same records.
    const w = await createWorld();
    const lanes: string[] = [];
    for (let issue = 0; issue < ISSUES; issue++) {
      const opened = w.gh.openIssue(REPO, {
        author: "olivia",
        title: `approval ${issue}`,
        body: block(issue),
      });
      await w.send(...opened.deliveries, w.gh.addLabel(REPO, opened.number, "lane-policy", "mia"));
      for (let i = 0; i < LANES_PER_ISSUE; i++) lanes.push(`b${issue}x${i}/testing`);
    }
    expect(await w.state("b0x0/testing")).toBe("active");
    const paced = await createTestApp({ baseUrl: `${w.running.url}/api/v3`, db: w.db, paced: true });
    paced.clock.now = w.clock.now;

    const writes: { at: number; what: "check run" | "comment" }[] = [];
    w.gh.onRequest = (method, url) => {
      if (method === "GET") return;
      if (url.includes("/check-runs")) writes.push({ at: Date.now(), what: "check run" });
      if (url.includes("/comments")) writes.push({ at: Date.now(), what: "comment" });
    };
    const burst = lanes.slice(0, 20).flatMap((lane) => {
      const [context = "", instance = ""] = lane.split("/");
      const d = w.gh.dispatchWorkflow(REPO, {
        workflowPath: BOOTSTRAP,
        inputs: inputs(lane, "empty", `bootstrap ${context} ${instance}`),
        actor: "olivia",
      });
      return [d.dispatch, d.requested];
    });
    const start = Date.now();
    await Promise.all(
      burst.map((d) => paced.probot.receive({ id: d.id, name: d.name, payload: d.payload } as never)),
    );

    const checks = writes.filter((x) => x.what === "check run");
    expect(checks).toHaveLength(20);
    const lastCheck = Math.max(...checks.map((c) => c.at));
    expect(lastCheck - start).toBeLessThanOrEqual(20_000 + 5_000);
    expect(writes.filter((x) => x.what === "comment" && x.at < lastCheck)).toEqual([]);
    // The comments are refreshed afterwards, in their own queue.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(writes.some((x) => x.what === "comment")).toBe(true);
  }, 120_000);
});
