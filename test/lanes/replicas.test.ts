// Two replicas of the app on one store, in one process: each with a store connection of its own
// (test/support/store.ts) and, where the test needs it, its own copy of the sync pipeline's module
// state. The guard that keeps one replica from undoing what the other wrote: a sync whose read of
// GitHub is older than the stored facts keeps them.
import { describe, expect, it, vi } from "vitest";
import { read } from "../../src/adapters/store/db.ts";
import { storedIssue } from "../../src/adapters/store/issues.ts";
import { syncIssue } from "../../src/pipelines/lanes/sync.ts";
import { approved } from "../support/gate.ts";
import { replicaStore } from "../support/store.ts";
import { createWorld, REF, REPO, type World } from "../support/world.ts";

/** Holds GitHub's answer to the first request for a path matching `pattern` until released. */
function holdFirst(w: World, pattern: RegExp) {
  let reached = () => {};
  let release = () => {};
  const held = new Promise<void>((resolve) => {
    reached = resolve;
  });
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  let left = 1;
  w.gh.holdAnswer = (_method, path) => {
    if (left === 0 || !pattern.test(path)) return undefined;
    left -= 1;
    reached();
    return gate;
  };
  return { held, release };
}

describe("replicas syncing one issue side by side", () => {
  it("keeps the facts of the newer read of GitHub when an older read applies after it", async () => {
    const w = await createWorld();
    const n = await approved(w);
    expect(await w.state("cm/testing")).toBe("active");
    const installationId = w.gh.repo(REPO).installationId;
    const octokit = await w.probot.auth(installationId);
    const target = { ref: REF, installationId, number: n };
    // Replica B: the sync pipeline loaded afresh, so its per-process queue of syncs is its own,
    // as in another process; replica A's would hold B's sync until A's ended.
    vi.resetModules();
    const replicaB = await import("../../src/pipelines/lanes/sync.ts");
    const depsB = { ...w.deps, db: replicaStore(w.db) };

    // A's reconcile reads the labelled issue, and GitHub is slow to answer the labeller's role.
    const hold = holdFirst(w, /\/collaborators\/mia\/permission$/);
    const older = syncIssue(w.deps, octokit, target, { deliveryId: null, event: "reconcile", actor: null });
    await hold.held;
    // Meanwhile the label is removed, and B reads the issue without it and commits first.
    w.advance(1);
    const unlabeled = w.gh.removeLabel(REPO, n, "lane-policy", "olivia");
    const newer = await replicaB.syncIssue(depsB, octokit, target, {
      deliveryId: unlabeled.id,
      event: "issues.unlabeled",
      actor: "olivia",
    });
    expect(newer.ok).toBe(true);
    expect(await w.state("cm/testing")).toBe("retired");
    // A's read, older than the facts B stored, applies last: the grant the label's removal
    // retired stays retired.
    hold.release();
    expect((await older).ok).toBe(true);
    expect(await w.state("cm/testing")).toBe("retired");
    const stored = await read(w.db, (q) => storedIssue(q, REPO, n));
    expect(stored?.facts.labels).not.toContain("lane-policy");
    expect(stored?.facts.readAt).toBe(w.clock.now.toISOString());
    expect(w.comment(n)).not.toMatch(/🟢 \*\*active\*\*/);
  });
});
