// The config cache: pushes refresh it, the bound catches a missed push, unchanged files cost a
// 304, and a refresh GitHub does not answer keeps the last good config without deciding under it.
import { describe, expect, it } from "vitest";
import { openDatabase, read, SqliteDb, tables } from "../../src/adapters/store/db.ts";
import { DEMO_CONFIG } from "../../standin/world.ts";
import { demoConfigWith } from "../support/config.ts";
import { approved, dispatch, dispatchOf, inputs, newest, reasonOf } from "../support/gate.ts";
import { configReads, requestsDuring } from "../support/requests.ts";
import { createWorld, REPO } from "../support/world.ts";

const CONFIG = ".github/lanegate.yml";
// cm/testing declared authoritative: an empty bootstrap of it is refused from then on.
const STRICTER = demoConfigWith([["lanes", "cm/testing"], { data_authority: "authoritative" }]);
const cmBootstrap = inputs("cm/testing", "empty", "bootstrap cm testing");

describe("the config cache", () => {
  it("reads the config once, then decides from the cache within its bound", async () => {
    const w = await createWorld();
    await approved(w);
    const requests = await requestsDuring(w, () => dispatch(w, cmBootstrap));
    expect(configReads(requests)).toEqual([]);
    expect(configReads(w.gh.requests)).toHaveLength(1);
  });

  it("uses a config changed by a push to the default branch for the next decision", async () => {
    const w = await createWorld();
    await approved(w);
    const push = await requestsDuring(w, () => w.send(w.gh.pushFile(REPO, CONFIG, STRICTER, "max")));
    expect(configReads(push)).toMatchObject([{ status: 200 }]);
    const runId = await dispatch(w, cmBootstrap);
    expect(newest(w, runId)?.conclusion).toBe("failure");
    expect(await reasonOf(w, runId)).toBe("grant_invalid");
  });

  it("ignores pushes to other branches and pushes that touch no config file", async () => {
    const w = await createWorld();
    await approved(w);
    const requests = await requestsDuring(w, async () => {
      await w.send(w.gh.pushFile(REPO, CONFIG, STRICTER, "max", "feature"));
      await w.send(w.gh.pushFile(REPO, "README.md", "hello", "max"));
    });
    expect(requests).toEqual([]);
  });

  it("catches a missed push once the cached config is older than its bound", async () => {
    const w = await createWorld();
    await approved(w);
    w.gh.setFile(REPO, CONFIG, STRICTER); // merged, but the push never reached the app
    const early = await dispatch(w, cmBootstrap);
    expect(newest(w, early)?.conclusion).toBe("success");
    await w.send(w.gh.completeRun(REPO, early, "success"));
    w.advance(6);
    const late = await dispatch(w, cmBootstrap);
    expect(newest(w, late)?.conclusion).toBe("failure");
  });

  it("serves an unchanged config from the cache on GitHub's 304", async () => {
    const w = await createWorld();
    await approved(w);
    w.advance(6);
    let runId = 0;
    const requests = await requestsDuring(w, async () => {
      runId = await dispatch(w, cmBootstrap);
    });
    expect(configReads(requests)).toMatchObject([{ status: 304 }]);
    expect(newest(w, runId)?.conclusion).toBe("success");
  });

  it("keeps the last good config when a refresh fails, says so, and decides nothing under it", async () => {
    const w = await createWorld();
    await approved(w);
    w.advance(6);
    // Both halves of the pair try once; the decision uses what the second half was told.
    w.gh.failNext({ pathPattern: /contents/, status: 502, times: 2 });
    const refused = await dispatch(w, cmBootstrap);
    expect(await reasonOf(w, refused)).toBe("github_unavailable");
    const said = (await read(w.db, (q) => q.select().from(tables(q).auditLog))).map((a) => a.change);
    expect(said).toContainEqual(expect.stringMatching(/ok -> unreadable/));
    expect(await read(w.db, (q) => q.select().from(tables(q).configFiles))).toHaveLength(1);
    // The kept files still carry their ETag: once GitHub answers, the refresh is a 304.
    const requests = await requestsDuring(w, () => dispatch(w, cmBootstrap));
    expect(configReads(requests)).toMatchObject([{ status: 304 }]);
    const after = (await read(w.db, (q) => q.select().from(tables(q).auditLog))).map((a) => a.change);
    expect(after).toContainEqual(expect.stringMatching(/unreadable -> ok/));
  });

  it("fails the delivery when the store cannot keep a config it read, never calling it invalid", async () => {
    // A store that fails as the config is saved (a lock or a connection lost, on PostgreSQL).
    const db = openDatabase(":memory:");
    if (!(db instanceof SqliteDb)) throw new Error("this test adds a trigger to a SQLite store");
    db.client.exec(
      "create trigger fail_config_save before insert on config_checks begin select raise(abort, 'the store failed'); end",
    );
    const w = await createWorld({ db });
    await expect(w.send(dispatchOf(w, cmBootstrap).dispatch)).rejects.toThrow(/the store failed/);
    const repositories = await read(w.db, (q) => q.select().from(tables(q).repositories));
    expect(repositories.map((r) => r.configStatus)).not.toContain("invalid");
  });

  it("refreshes a repository's config when a push changes the org's .github file it extends", async () => {
    const w = await createWorld({ config: "_extends: .github\n" });
    w.gh.addRepo("acme/.github");
    w.gh.setFile("acme/.github", CONFIG, DEMO_CONFIG);
    await approved(w);
    const early = await dispatch(w, cmBootstrap);
    expect(newest(w, early)?.conclusion).toBe("success");
    await w.send(w.gh.completeRun(REPO, early, "success"));
    await w.send(w.gh.pushFile("acme/.github", CONFIG, STRICTER, "max"));
    const late = await dispatch(w, cmBootstrap);
    expect(newest(w, late)?.conclusion).toBe("failure");
  });
});
