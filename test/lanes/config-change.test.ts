// A merged config change reaches the grants it judges at once: the labels and the labeller's
// standing are stored as facts and judged against the config in force, and a push that changes
// the config re-derives the repository's grants from those facts (no issue read where they
// suffice), with an audit line.
import { describe, expect, it } from "vitest";
import { read, tables } from "../../src/adapters/store/db.ts";
import { DEMO_CONFIG } from "../../standin/world.ts";
import { demoConfigWith } from "../support/config.ts";
import { approved, dispatch, inputs, newest, pushConfig, reasonOf } from "../support/gate.ts";
import { requestsDuring } from "../support/requests.ts";
import { createWorld } from "../support/world.ts";

const cmBootstrap = inputs("cm/testing", "empty", "bootstrap cm testing");
const ADMIN_ONLY = demoConfigWith([["approvers", "min_permission"], "admin"]);
const RENAMED = demoConfigWith([["label"], "lane-approval"]);
const ADMIN_OR_OPS = demoConfigWith(
  [["approvers", "min_permission"], "admin"],
  [["approvers", "teams"], ["ops"]],
);
const issueReads = (requests: { method: string; path: string }[]) =>
  requests.filter((r) => /\/issues\/\d+(\/events)?$|\/collaborators\/|\/teams\//.test(r.path));

describe("a config change reaches existing grants", () => {
  it("suspends a maintainer's approval at once when min_permission is raised to admin", async () => {
    const w = await createWorld();
    const n = await approved(w);
    expect(await w.state("cm/testing")).toBe("active");
    const push = await requestsDuring(w, () => pushConfig(w, ADMIN_ONLY));
    expect(await w.state("cm/testing")).toBe("pending");
    expect(issueReads(push)).toEqual([]);
    const audit = await read(w.db, (q) => q.select().from(tables(q).auditLog));
    expect(audit.some((a) => a.event === "config" && /re-derived/.test(a.change))).toBe(true);
    const runId = await dispatch(w, cmBootstrap);
    expect(newest(w, runId)?.conclusion).toBe("failure");
    expect(await reasonOf(w, runId)).toBe("grant_pending");
    expect(w.comment(n)).toMatch(/mia, who cannot approve/);
  });

  it("stops an issue that carries only the old label from allowing once the label is renamed", async () => {
    const w = await createWorld();
    const n = await approved(w);
    const push = await requestsDuring(w, () => pushConfig(w, RENAMED));
    expect(issueReads(push)).toEqual([]);
    expect(await w.state("cm/testing")).not.toBe("active");
    const runId = await dispatch(w, cmBootstrap);
    expect(newest(w, runId)?.conclusion).toBe("failure");
    expect(w.comment(n)).toContain("`lane-approval`");
  });

  it("restores the grant when the config is lowered again, from stored facts alone", async () => {
    const w = await createWorld();
    await approved(w);
    await pushConfig(w, ADMIN_ONLY);
    expect(await w.state("cm/testing")).toBe("pending");
    const push = await requestsDuring(w, () => pushConfig(w, DEMO_CONFIG));
    expect(issueReads(push)).toEqual([]);
    expect(await w.state("cm/testing")).toBe("active");
    const runId = await dispatch(w, cmBootstrap);
    expect(newest(w, runId)?.conclusion).toBe("success");
  });

  it("reads the labeller's team membership when a new approver team is all that could make them one", async () => {
    const w = await createWorld();
    w.gh.addTeamMember("acme", "ops", "mia");
    await approved(w);
    const push = await requestsDuring(w, () => pushConfig(w, ADMIN_OR_OPS));
    expect(issueReads(push).some((r) => r.path.includes("/teams/ops/"))).toBe(true);
    expect(await w.state("cm/testing")).toBe("active");
  });

  it("never allows under a config whose approver facts are not known yet", async () => {
    const w = await createWorld();
    w.gh.addTeamMember("acme", "ops", "mia");
    await approved(w);
    w.gh.failNext({ pathPattern: /\/teams\//, status: 502, times: 5 });
    await pushConfig(w, ADMIN_OR_OPS);
    expect(await w.state("cm/testing")).not.toBe("active");
  });
});
