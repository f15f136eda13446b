// The contract's `unchanged` row: a run whose bootstrap never started leaves the lane as it was.
// The run's evidence says `unchanged` (check run title, operation read model, status comment),
// and the check run's summary shows the inventory the lane keeps.
import { describe, expect, it } from "vitest";
import { result } from "../../standin/artifacts.ts";
import {
  allowedRun,
  complete,
  evidenceChecks,
  evidenceOfRun,
  inventory,
  upload,
} from "../support/evidence.ts";
import { createWorld } from "../support/world.ts";

const notStarted = () =>
  result({
    bootstrap_run_status: "not_started",
    post_deploy_status: "skipped",
    error_message: "the target proof failed",
  });

describe("a run whose bootstrap never started", () => {
  it("on a lane with no evidence yet is `unchanged`, and the lane stays `unknown`", async () => {
    const w = await createWorld();
    const runId = await allowedRun(w);
    upload(w, runId, notStarted());
    await complete(w, runId, "failure");
    expect((await evidenceOfRun(w, runId))?.evidence).toMatchObject({
      lane_state: "unchanged",
      row: "not_started",
    });
    expect(await inventory(w)).toMatchObject({ state: "unknown", current_deployment: null });
    const [check] = evidenceChecks(w);
    expect(check?.conclusion).toBe("failure");
    expect(check?.output.title).toBe("cm/testing is unchanged: the run failed before it changed anything");
    expect(check?.output.summary).toContain("the lane keeps `unknown`");
    expect(check?.output.summary).toContain("**Current deployment:** none recorded");
  });

  it("on a ready lane is `unchanged`, keeps the lane ready with its verified deployment, and says so", async () => {
    const w = await createWorld();
    const first = await allowedRun(w);
    upload(w, first, result());
    await complete(w, first);
    const runId = await allowedRun(w);
    upload(w, runId, notStarted());
    await complete(w, runId, "failure");
    expect((await evidenceOfRun(w, runId))?.evidence).toMatchObject({ lane_state: "unchanged" });
    expect(await inventory(w)).toMatchObject({
      state: "ready",
      current_deployment: { artifact_id: "a1", run_id: first, verified: true },
    });
    const check = evidenceChecks(w).at(-1);
    expect(check?.output.title).toMatch(/^cm\/testing is unchanged: /);
    expect(check?.conclusion).toBe("success"); // the lane is ready: nothing was changed
    expect(check?.output.summary).toContain("the lane keeps `ready`");
    expect(check?.output.summary).toContain(`**Current deployment:** \`a1\` from run ${first}`);
    await new Promise((r) => setTimeout(r, 100)); // the status comments are refreshed in a batch
    expect(w.comment(1)).toMatch(
      new RegExp(`runs/${runId}\\) \\| empty \\| allowed \\| failure \\| unchanged \\|`),
    );
  });
});
