// The one delivery wrapper: issues and gate deliveries are deduplicated and retried the same way.
import { describe, expect, it } from "vitest";
import { read, tables } from "../../src/adapters/store/db.ts";
import { approved, dispatchOf, inputs, newest } from "../support/gate.ts";
import { CM_OPW_BODY, createWorld, REPO } from "../support/world.ts";

describe("a delivery", () => {
  it("that failed on a GitHub fault is marked failed, not applied, and its redelivery applies it", async () => {
    const w = await createWorld();
    const o = w.gh.openIssue(REPO, { author: "olivia", title: "approval", body: CM_OPW_BODY });
    await w.send(...o.deliveries);
    const labeled = w.gh.addLabel(REPO, o.number, "lane-policy", "mia");
    w.gh.failNext({ method: "GET", pathPattern: /\/collaborators\/mia\/permission$/, status: 502 });
    await expect(w.send(labeled)).rejects.toThrow(/not applied/);
    expect(await w.state("cm/testing")).toBe("pending");
    // Its claim is released as failed, so the redelivery may take it again.
    const rows = await read(w.db, (q) => q.select().from(tables(q).deliveries));
    expect(rows.find((d) => d.id === labeled.id)).toMatchObject({ state: "failed", appliedAt: null });
    await w.send(labeled); // GitHub redelivers with the same id
    expect(await w.state("cm/testing")).toBe("active");
  });

  it("of the gate seen twice has one effect", async () => {
    const w = await createWorld();
    await approved(w);
    const d = dispatchOf(w, inputs("cm/testing", "empty", "bootstrap cm testing"));
    await w.send(d.dispatch, d.requested, d.dispatch, d.requested);
    expect(newest(w, d.runId)?.conclusion).toBe("success");
    expect(
      (await read(w.db, (q) => q.select().from(tables(q).deliveries))).filter((r) => r.id === d.dispatch.id),
    ).toHaveLength(1);
  });
});
