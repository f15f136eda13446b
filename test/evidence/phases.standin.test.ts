import { describe, expect, it } from "vitest";
import { openDatabase, read } from "../../src/adapters/store/db.ts";
import { auditPage } from "../../src/adapters/store/read.ts";
import { result } from "../../standin/artifacts.ts";
import { demoConfigWith } from "../support/config.ts";
import {
  allowedRun,
  complete,
  evidenceChecks,
  evidenceOfRun,
  inventory,
  upload,
} from "../support/evidence.ts";
import { tempDatabase } from "../support/http.ts";
import { createWorld, REPO } from "../support/world.ts";

describe("phases from workflow_job deliveries", () => {
  it("out of order and twice, each phase ends with its furthest status and times", async () => {
    const w = await createWorld();
    const runId = await allowedRun(w);
    const queued = w.gh.jobEvent(REPO, runId, "bootstrap", "queued");
    w.advance(1);
    const started = w.gh.jobEvent(REPO, runId, "bootstrap", "in_progress");
    w.advance(5);
    const done = w.gh.jobEvent(REPO, runId, "bootstrap", "completed", "success");
    const verify = w.gh.jobEvent(REPO, runId, "verify", "completed", "failure");
    const unmapped = w.gh.jobEvent(REPO, runId, "lint", "completed", "success");
    await w.send(done, started, queued, { ...started, id: "again" }, verify, unmapped, {
      ...done,
      id: "again-2",
    });
    const phases = (await evidenceOfRun(w, runId))?.phases;
    expect(phases).toHaveLength(2);
    expect(phases?.find((p) => p.phase === "bootstrap")).toMatchObject({
      job: "bootstrap",
      status: "completed",
      conclusion: "success",
      started_at: "2026-11-23T10:02:00Z",
      completed_at: "2026-11-23T10:07:00Z",
    });
    expect(phases?.find((p) => p.phase === "verification")).toMatchObject({
      status: "completed",
      conclusion: "failure",
    });
    expect(w.problems).toEqual([]);
  });

  it("a job of a run lanegate never allowed is an evidence error in the audit log and changes nothing else", async () => {
    const w = await createWorld();
    const other = w.gh.createRun(REPO, { workflowPath: "ci.yml", actor: "olivia" });
    await w.send(w.gh.jobEvent(REPO, other.runId, "verify", "in_progress"));
    expect((await read(w.db, (q) => auditPage(q, REPO, 10))).entries.map((e) => e.change)).toContainEqual(
      expect.stringContaining(
        `evidence error unknown_run: job "verify" (verification) of run ${other.runId}`,
      ),
    );
    expect(await evidenceOfRun(w, other.runId)).toBeNull();
    expect((await inventory(w)).state).toBe("unknown");
  });

  it("a restart in the middle of a run keeps its phases and still reads its evidence", async () => {
    const url = tempDatabase();
    const before = await createWorld({ db: openDatabase(url) });
    const runId = await allowedRun(before);
    await before.send(before.gh.jobEvent(REPO, runId, "bootstrap", "in_progress"));
    await before.db.close();

    // A new app process on the same database; GitHub (the stand-in) carries on.
    const after = await createWorld({ db: openDatabase(url) });
    after.gh.repos.set(REPO.toLowerCase(), before.gh.repo(REPO));
    after.clock.now = before.clock.now;
    await after.send(after.gh.jobEvent(REPO, runId, "bootstrap", "completed", "success"));
    upload(after, runId, result());
    await complete(after, runId);
    expect((await evidenceOfRun(after, runId))?.phases).toMatchObject([
      { phase: "bootstrap", status: "completed" },
    ]);
    expect((await inventory(after)).state).toBe("ready");
    expect(evidenceChecks(after)).toHaveLength(1);
  });
});

describe("runtime identity", () => {
  const requiring = () =>
    demoConfigWith([
      ["lanes", "cm/testing"],
      { data_authority: "resettable", requires_runtime_identity: true },
    ]);

  it("unchecked identity on a lane that requires it is identity_unproven", async () => {
    const w = await createWorld({ config: requiring() });
    const runId = await allowedRun(w);
    upload(w, runId, result({ runtime_identity: { status: "unchecked" } }));
    await complete(w, runId);
    expect(await inventory(w)).toMatchObject({ state: "identity_unproven" });
  });

  it("a match on that lane is ready, and a mismatch anywhere is identity_unproven", async () => {
    const w = await createWorld({ config: requiring() });
    const first = await allowedRun(w);
    upload(w, first, result());
    await complete(w, first);
    expect((await inventory(w)).state).toBe("ready");
    const second = await allowedRun(w, "cm/prod");
    upload(w, second, result({ lane: "cm/prod", runtime_identity: { status: "mismatch" } }));
    await complete(w, second);
    expect((await inventory(w, "cm/prod")).state).toBe("identity_unproven");
  });
});
