// The allowed branch of a config that names none is the repository's default branch. The sweep
// decides runs no delivery decided, from what the store remembers of the repository; when the
// default branch was never recorded it reads it from GitHub, and refuses when GitHub cannot say.
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { read, tables, transaction } from "../../src/adapters/store/db.ts";
import * as runStore from "../../src/adapters/store/runs.ts";
import { gateSweep } from "../../src/pipelines/gate/sweep.ts";
import { approved, dispatchOf, inputs, newest, reasonOf } from "../support/gate.ts";
import { createWorld, REPO, type World } from "../support/world.ts";

/**
 * A run joined to its dispatch but never decided (the process stopped between the two), in a
 * store that holds no default branch for the repository (one written before it was recorded).
 */
async function undecidedRunWithoutBranch(w: World): Promise<number> {
  await approved(w);
  const d = dispatchOf(w, inputs("cm/testing", "empty", "bootstrap cm testing"));
  await w.send(d.requested); // recorded, waiting for its dispatch
  const payload = d.dispatch.payload as { ref: string; inputs: Record<string, unknown>; workflow: string };
  await transaction(w.db, async (q) => {
    const id = await runStore.recordDispatch(q, {
      role: "gated",
      lane: "cm/testing",
      source: "empty",
      repo: REPO,
      deliveryId: d.dispatch.id,
      workflowPath: payload.workflow,
      branch: payload.ref.replace(/^refs\/heads\//, ""),
      actor: "olivia",
      inputs: payload.inputs,
      receivedAt: w.clock.now.toISOString(),
    });
    if (id !== null) await runStore.claimDispatch(q, REPO, d.runId, id);
    const t = tables(q);
    await q.update(t.repositories).set({ defaultBranch: null }).where(eq(t.repositories.repo, REPO));
  });
  w.advance(3);
  return d.runId;
}

async function branchOf(w: World) {
  const rows = await read(w.db, (q) =>
    q
      .select()
      .from(tables(q).repositories)
      .where(eq(tables(q).repositories.repo, REPO)),
  );
  return rows[0]?.defaultBranch;
}

describe("the default branch when the store never recorded it", () => {
  it("is read from GitHub by the sweep, which then decides as the delivery would have", async () => {
    const w = await createWorld();
    const runId = await undecidedRunWithoutBranch(w);
    await gateSweep(w.deps, w.probot);
    expect(await reasonOf(w, runId)).toBe("ok");
    expect(newest(w, runId)?.conclusion).toBe("success");
    expect(await branchOf(w)).toBe("main");
  });

  it("refuses the run with github_unavailable, saying why, when GitHub cannot say", async () => {
    const w = await createWorld();
    const runId = await undecidedRunWithoutBranch(w);
    w.gh.failNext({ method: "GET", pathPattern: new RegExp(`^/repos/${REPO}$`), status: 502 });
    await gateSweep(w.deps, w.probot);
    expect(await reasonOf(w, runId)).toBe("github_unavailable");
    const check = newest(w, runId);
    expect(check?.conclusion).toBe("failure");
    expect(check?.output.summary).toContain(`the default branch of ${REPO} could not be read`);
    expect(await branchOf(w)).toBe(null);
  });
});
