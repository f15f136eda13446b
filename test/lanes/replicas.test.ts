// Two replicas of the app on one store, in one process: each with a store connection of its own
// (test/support/store.ts) and, where the test needs it, its own copy of the sync pipeline's module
// state. The guards that keep one replica from undoing what the other wrote: a sync whose read of
// GitHub is older than the stored facts keeps them, and a config remembered in memory serves only
// while the shared store's check of it is the one remembered.
import { describe, expect, it, vi } from "vitest";
import { read } from "../../src/adapters/store/db.ts";
import { storedIssue } from "../../src/adapters/store/issues.ts";
import { syncIssue } from "../../src/pipelines/lanes/sync.ts";
import { createTestApp } from "../support/app.ts";
import { demoConfigWith } from "../support/config.ts";
import { approved } from "../support/gate.ts";
import { checkWebhookPayload } from "../support/openapi.ts";
import { replicaStore, TEST_STORE } from "../support/store.ts";
import { createWorld, REF, REPO, type World } from "../support/world.ts";

const ADMIN_ONLY = demoConfigWith([["approvers", "min_permission"], "admin"]);

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

// On SQLite one process owns the store, so its memory of a config is the store's: there is no
// other replica to make it stale.
describe.skipIf(TEST_STORE !== "postgres")(
  "a config one replica remembers, changed through another (PostgreSQL only: SQLite has one replica)",
  () => {
    it("is read again from the store, so the replica does not restore a grant the new config suspended", async () => {
      const a = await createWorld();
      const n = await approved(a);
      expect(await a.state("cm/testing")).toBe("active");
      // Replica B: another app on the same database and the same GitHub, its clock as late as A's.
      const b = await createTestApp({ baseUrl: `${a.running.url}/api/v3`, db: replicaStore(a.db) });
      a.advance(1);
      b.clock.now = a.clock.now;
      // The push raising min_permission to admin reaches B, which reads the new config and
      // suspends mia's approval (she has the maintain role).
      const push = a.gh.pushFile(REPO, ".github/lanegate.yml", ADMIN_ONLY, "max");
      const payload = push.payload as { action?: string };
      b.problems.push(...checkWebhookPayload(push.name, payload.action, push.payload));
      await b.probot.receive({ id: push.id, name: push.name, payload } as never);
      expect(await a.state("cm/testing")).toBe("pending");
      // A, whose memory still holds the old config within its bound, syncs the issue next.
      a.advance(1);
      await a.send(a.gh.addLabel(REPO, n, "bug", "olivia"));
      expect(await a.state("cm/testing")).toBe("pending");
      expect(a.comment(n)).toMatch(/mia, who cannot approve/);
    });
  },
);
