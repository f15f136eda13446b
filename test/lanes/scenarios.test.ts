import { describe, expect, it } from "vitest";
import { read, tables } from "../../src/adapters/store/db.ts";
import { oneLaneView, repositoryView } from "../../src/adapters/store/read.ts";
import { reconcileRepo } from "../../src/pipelines/lanes/reconcile.ts";
import { rederive } from "../../src/pipelines/lanes/sync.ts";
import { CM_OPW_BODY, createWorld, REF, REPO, type World } from "../support/world.ts";

const CM_OPW = ["cm/testing", "cm/prod", "opw/testing", "opw/prod"];

async function approvedIssue(w: World, body = CM_OPW_BODY, approver = "mia") {
  const opened = w.gh.openIssue(REPO, { author: "olivia", title: "CM and OPW rebuilds", body });
  await w.send(...opened.deliveries);
  w.advance(1);
  await w.send(w.gh.addLabel(REPO, opened.number, "lane-policy", approver));
  w.advance(1);
  return opened.number;
}

const states = (w: World, lanes = CM_OPW) => Promise.all(lanes.map((l) => w.state(l)));

describe("approval issues grant lanes", () => {
  it("makes CM resettable lanes and OPW restorable lanes active, with the issue as their approval", async () => {
    const w = await createWorld();
    const n = await approvedIssue(w);
    expect(await states(w)).toEqual(["active", "active", "active", "active"]);
    const opw = await read(w.db, (q) => oneLaneView(q, REPO, "opw/prod"));
    expect(opw).toMatchObject({
      data_authority: "restorable",
      allowed_rebuild_sources: ["upstream_restore"],
      upstream_source: "odoo-tenant-opw/opw/prod-upstream",
      grant: { issue: n, approver: "mia", expires_at: "2027-03-31T00:00:00.000Z" },
      from: { data_authority: "issue", allowed_rebuild_sources: "issue", approval_issue: "issue" },
    });
    expect(w.comment(n)).toMatch(/`opw\/prod` \| 🟢 \*\*active\*\*/);
    expect(w.problems).toEqual([]);
  });

  it("shows an opened but unlabelled issue as pending in its status comment", async () => {
    const w = await createWorld();
    const opened = w.gh.openIssue(REPO, { author: "olivia", title: "t", body: CM_OPW_BODY });
    await w.send(...opened.deliveries);
    expect(await states(w)).toEqual(["pending", "pending", "pending", "pending"]);
    expect(w.comment(opened.number)).toContain("waiting for an approver");
  });

  it("cannot weaken SYO or VeriReel prod, which the config declares authoritative", async () => {
    const w = await createWorld();
    const body = CM_OPW_BODY.replace(
      "expires_at:",
      "  syo/prod:\n    data_authority: resettable\n    allowed_rebuild_sources: [empty]\nexpires_at:",
    );
    const n = await approvedIssue(w, body);
    expect(await w.state("syo/prod")).toBe("invalid");
    expect((await read(w.db, (q) => oneLaneView(q, REPO, "syo/prod"))).data_authority).toBe("authoritative");
    expect(await states(w)).toEqual(["active", "active", "active", "active"]);
    expect(w.comment(n)).toMatch(/cannot be resettable/);
  });

  it("answers unknown for a lane nobody declared or granted, with no grant", async () => {
    const w = await createWorld();
    await approvedIssue(w);
    expect(await read(w.db, (q) => oneLaneView(q, REPO, "zz/prod"))).toMatchObject({
      state: "unknown",
      data_authority: "unknown",
      grant: null,
    });
  });
});

describe("who may approve", () => {
  it("grants nothing when the labeler has only the triage role", async () => {
    const w = await createWorld();
    const n = await approvedIssue(w, CM_OPW_BODY, "tara");
    expect(await states(w)).toEqual(["pending", "pending", "pending", "pending"]);
    expect(w.comment(n)).toMatch(/tara, who cannot approve/);
  });

  it("grants nothing when the labeler is not a collaborator at all", async () => {
    const w = await createWorld();
    await approvedIssue(w, CM_OPW_BODY, "stranger");
    expect(await w.state("cm/testing")).toBe("pending");
  });

  it("grants nothing when a bot applies the label", async () => {
    const w = await createWorld();
    await approvedIssue(w, CM_OPW_BODY, "helper[bot]");
    expect(await w.state("cm/testing")).toBe("pending");
  });

  it("grants nothing when an issue template applies the label as the submitter", async () => {
    const w = await createWorld();
    w.gh.setCollaborator(REPO, "olivia", "maintain");
    const opened = w.gh.openIssue(REPO, {
      author: "olivia",
      title: "t",
      body: CM_OPW_BODY,
      labels: ["lane-policy"],
    });
    await w.send(...opened.deliveries);
    expect(await w.state("cm/testing")).toBe("pending");
    expect(w.comment(opened.number)).toMatch(/self-approval is off/);
  });

  it("refuses self-approval by default and allows it when the config allows it", async () => {
    const refusing = await createWorld();
    refusing.gh.setCollaborator(REPO, "olivia", "maintain");
    await approvedIssue(refusing, CM_OPW_BODY, "olivia");
    expect(await refusing.state("cm/testing")).toBe("pending");

    const allowing = await createWorld({ config: "approvers:\n  allow_self_approval: true\n" });
    allowing.gh.setCollaborator(REPO, "olivia", "maintain");
    await approvedIssue(allowing, CM_OPW_BODY, "olivia");
    expect(await allowing.state("cm/testing")).toBe("active");
  });

  it("accepts a member of a configured approver team", async () => {
    const w = await createWorld({ config: "approvers:\n  teams: [ops]\n" });
    w.gh.addTeamMember("acme", "ops", "tara");
    await approvedIssue(w, CM_OPW_BODY, "tara");
    expect(await w.state("cm/testing")).toBe("active");
    expect(w.problems).toEqual([]);
  });
});

describe("the grant lifecycle", () => {
  it.each([
    ["closing the issue", (w: World, n: number) => w.gh.closeIssue(REPO, n, "olivia")],
    ["removing the label", (w: World, n: number) => w.gh.removeLabel(REPO, n, "lane-policy", "olivia")],
    ["deleting the issue", (w: World, n: number) => w.gh.deleteIssue(REPO, n, "max")],
    [
      "transferring the issue",
      (w: World, n: number) => {
        w.gh.addRepo("acme/elsewhere");
        return w.gh.transferIssue(REPO, n, "acme/elsewhere", "max");
      },
    ],
  ])("retires every grant on %s", async (_what, act) => {
    const w = await createWorld();
    const n = await approvedIssue(w);
    await w.send(act(w, n));
    expect(await states(w)).toEqual(["retired", "retired", "retired", "retired"]);
    const history = (await read(w.db, (q) => oneLaneView(q, REPO, "cm/prod"))).history;
    expect(history[0]).toMatchObject({ state: "retired", issue: n });
    expect(history[0]?.ended_at).not.toBeNull();
    expect(w.problems).toEqual([]);
  });

  it("keeps the reason and the actor when closing retires a grant", async () => {
    const w = await createWorld();
    const n = await approvedIssue(w);
    await w.send(w.gh.closeIssue(REPO, n, "olivia"));
    expect((await read(w.db, (q) => oneLaneView(q, REPO, "cm/prod"))).history[0]).toMatchObject({
      ended_by: "olivia",
      reason: "the issue was closed by olivia",
    });
    expect(w.comment(n)).toMatch(/`cm\/prod` \| ⚫ \*\*retired\*\*/);
  });

  it("suspends every grant when someone who is not an approver changes the block", async () => {
    const w = await createWorld();
    const n = await approvedIssue(w);
    await w.send(w.gh.editIssueBody(REPO, n, CM_OPW_BODY.replace("2027-03-31", "2027-06-30"), "olivia"));
    expect(await states(w)).toEqual(["suspended", "suspended", "suspended", "suspended"]);
  });

  it("changes nothing when an edit leaves the block as it was", async () => {
    const w = await createWorld();
    const n = await approvedIssue(w);
    const before = (await read(w.db, (q) => q.select().from(tables(q).auditLog))).length;
    await w.send(w.gh.editIssueBody(REPO, n, `${CM_OPW_BODY}\nThanks!`, "olivia"));
    expect(await states(w)).toEqual(["active", "active", "active", "active"]);
    expect((await read(w.db, (q) => q.select().from(tables(q).auditLog))).length).toBe(before);
  });

  it("re-syncs from the new block when an approver changes it, and keeps the old grant in history", async () => {
    const w = await createWorld();
    const n = await approvedIssue(w);
    const body = CM_OPW_BODY.replace(
      "    confirmation: bootstrap cm prod\n",
      "    confirmation: wipe cm prod now\n",
    );
    await w.send(w.gh.editIssueBody(REPO, n, body, "max"));
    expect(await states(w)).toEqual(["active", "active", "active", "active"]);
    const view = await read(w.db, (q) => oneLaneView(q, REPO, "cm/prod"));
    expect(view.history.map((h) => h.state)).toEqual(["active", "retired"]);
    expect(view.history[0]?.approver).toBe("max");
    expect(view.history[0]?.block_sha256).not.toBe(view.history[1]?.block_sha256);
  });

  it("keeps a grant in history when its approver loses standing and another approver labels again", async () => {
    const w = await createWorld();
    const n = await approvedIssue(w);
    w.gh.setCollaborator(REPO, "mia", "triage");
    await w.send(w.gh.editIssueBody(REPO, n, `${CM_OPW_BODY}\nping`, "olivia"));
    expect(await w.state("cm/prod")).toBe("pending");
    await w.send(w.gh.removeLabel(REPO, n, "lane-policy", "max"));
    w.advance(1);
    await w.send(w.gh.addLabel(REPO, n, "lane-policy", "max"));
    const history = (await read(w.db, (q) => oneLaneView(q, REPO, "cm/prod"))).history;
    expect(history.map((h) => [h.state, h.approver])).toEqual([
      ["active", "max"],
      ["retired", "mia"],
    ]);
  });

  it("restores a suspended issue when an approver applies the label again", async () => {
    const w = await createWorld();
    const n = await approvedIssue(w);
    await w.send(w.gh.editIssueBody(REPO, n, CM_OPW_BODY.replace("2027-03-31", "2027-06-30"), "olivia"));
    await w.send(w.gh.removeLabel(REPO, n, "lane-policy", "mia"));
    w.advance(1);
    await w.send(w.gh.addLabel(REPO, n, "lane-policy", "mia"));
    expect(await states(w)).toEqual(["active", "active", "active", "active"]);
  });

  it("keeps a reopened issue retired until an approver applies the label again", async () => {
    const w = await createWorld();
    const n = await approvedIssue(w);
    await w.send(w.gh.closeIssue(REPO, n, "olivia"));
    w.advance(1);
    await w.send(w.gh.reopenIssue(REPO, n, "olivia"));
    expect(await states(w)).toEqual(["retired", "retired", "retired", "retired"]);
    w.advance(1);
    await w.send(
      w.gh.removeLabel(REPO, n, "lane-policy", "mia"),
      w.gh.addLabel(REPO, n, "lane-policy", "mia"),
    );
    expect(await states(w)).toEqual(["active", "active", "active", "active"]);
  });

  it("expires grants when expires_at passes, and the sweep says so on the issue", async () => {
    const w = await createWorld();
    const n = await approvedIssue(w, CM_OPW_BODY.replace("2027-03-31T00:00:00Z", "2026-11-23T12:00:00Z"));
    expect(await w.state("cm/testing")).toBe("active");
    w.clock.now = new Date("2026-11-23T12:00:30Z");
    await rederive(w.deps, await w.probot.auth(w.gh.repo(REPO).installationId), REF, {
      deliveryId: null,
      event: "expiry sweep",
      actor: null,
    });
    expect(await states(w)).toEqual(["expired", "expired", "expired", "expired"]);
    expect(w.comment(n)).toMatch(/`cm\/testing` \| ⌛ \*\*expired\*\*/);
  });

  it("expires a suspended grant once expires_at passes", async () => {
    const w = await createWorld();
    const body = CM_OPW_BODY.replace("2027-03-31T00:00:00Z", "2026-11-23T12:00:00Z");
    const n = await approvedIssue(w, body);
    await w.send(
      w.gh.editIssueBody(REPO, n, body.replace("not launched yet", "still not launched"), "olivia"),
    );
    expect(await w.state("cm/testing")).toBe("active"); // the block itself did not change
    await w.send(w.gh.editIssueBody(REPO, n, body.replace("2026-11-23T12", "2026-11-23T13"), "olivia"));
    expect(await w.state("cm/testing")).toBe("suspended");
    w.clock.now = new Date("2026-11-23T13:00:30Z");
    await rederive(w.deps, await w.probot.auth(w.gh.repo(REPO).installationId), REF, {
      deliveryId: null,
      event: "expiry sweep",
      actor: null,
    });
    expect(await w.state("cm/testing")).toBe("expired");
  });

  it("does not restore a suspended issue when an approver edits only the text around the block", async () => {
    const w = await createWorld();
    const n = await approvedIssue(w);
    const changed = CM_OPW_BODY.replace("2027-03-31", "2027-06-30");
    await w.send(w.gh.editIssueBody(REPO, n, changed, "olivia"));
    await w.send(w.gh.editIssueBody(REPO, n, `${changed}\nLooks fine to me.`, "max"));
    expect(await w.state("cm/testing")).toBe("suspended");
  });

  it("names the lanes and the actor when a deleted issue retires them", async () => {
    const w = await createWorld();
    const n = await approvedIssue(w);
    await w.send(w.gh.deleteIssue(REPO, n, "max"));
    expect((await read(w.db, (q) => oneLaneView(q, REPO, "cm/prod"))).history[0]).toMatchObject({
      state: "retired",
      reason: "the issue was deleted by max",
      ended_by: "max",
    });
  });

  it("keeps the last good baseline when the config cannot be read", async () => {
    const w = await createWorld();
    const body = CM_OPW_BODY.replace(
      "expires_at:",
      "  syo/prod:\n    data_authority: resettable\n    allowed_rebuild_sources: [empty]\nexpires_at:",
    );
    const n = await approvedIssue(w, body);
    // Past the config's bound the edit must confirm the config with GitHub, which fails.
    w.advance(6);
    w.gh.failNext({ pathPattern: /contents/, status: 502, times: 10 });
    await expect(w.send(w.gh.editIssueBody(REPO, n, `${body}\nping`, "olivia"))).rejects.toThrow(
      /not applied/,
    );
    await rederive(w.deps, await w.probot.auth(w.gh.repo(REPO).installationId), REF, {
      deliveryId: null,
      event: "expiry sweep",
      actor: null,
    });
    expect(await w.state("syo/prod")).toBe("invalid");
    expect((await read(w.db, (q) => oneLaneView(q, REPO, "syo/prod"))).data_authority).toBe("authoritative");
  });

  it("refuses a block whose expires_at is already past when it is approved", async () => {
    const w = await createWorld();
    const n = await approvedIssue(w, CM_OPW_BODY.replace("2027-03-31T00:00:00Z", "2026-01-01T00:00:00Z"));
    expect(await w.state("cm/testing")).toBe("invalid");
    expect(w.comment(n)).toMatch(/already past/);
  });

  it("shows the later of two issues granting the same lane as conflict until the earlier one retires", async () => {
    const w = await createWorld();
    const first = await approvedIssue(w);
    const second = await approvedIssue(w, CM_OPW_BODY.replace("not launched yet", "also not launched"));
    expect((await read(w.db, (q) => oneLaneView(q, REPO, "cm/prod"))).grant?.issue).toBe(first);
    expect(w.comment(second)).toMatch(/`cm\/prod` \| ⚠️ \*\*conflict\*\*.*already granted by issue &#35;1/);
    await w.send(w.gh.closeIssue(REPO, first, "olivia"));
    expect(await read(w.db, (q) => oneLaneView(q, REPO, "cm/prod"))).toMatchObject({
      state: "active",
      grant: { issue: second },
    });
    expect(w.comment(second)).toMatch(/`cm\/prod` \| 🟢 \*\*active\*\*/);
  });
});

describe("deliveries are triggers, not the truth", () => {
  it("gives a redelivered delivery one effect", async () => {
    const w = await createWorld();
    const opened = w.gh.openIssue(REPO, { author: "olivia", title: "t", body: CM_OPW_BODY });
    await w.send(...opened.deliveries);
    const label = w.gh.addLabel(REPO, opened.number, "lane-policy", "mia");
    await w.send(label);
    const audit = (await read(w.db, (q) => q.select().from(tables(q).auditLog))).length;
    const calls = w.gh.requests.length;
    await w.send(label);
    expect((await read(w.db, (q) => q.select().from(tables(q).auditLog))).length).toBe(audit);
    expect(w.gh.requests.length).toBe(calls);
  });

  it("catches a closed issue whose delivery never came, on reconcile", async () => {
    const w = await createWorld();
    const n = await approvedIssue(w);
    w.gh.closeIssue(REPO, n, "olivia"); // the delivery is lost
    expect(await w.state("cm/testing")).toBe("active");
    const octokit = await w.probot.auth(w.gh.repo(REPO).installationId);
    const report = await reconcileRepo(w.deps, octokit, REF, w.gh.repo(REPO).installationId);
    expect(report).toMatchObject({ repositories: 1, issues: 1, failures: [] });
    expect(await states(w)).toEqual(["retired", "retired", "retired", "retired"]);
    expect(w.problems).toEqual([]);
  });

  it("prints the plan of a dry-run reconcile and changes nothing, then applies the same plan", async () => {
    const w = await createWorld();
    const n = await approvedIssue(w);
    w.gh.closeIssue(REPO, n, "olivia"); // the delivery is lost
    const octokit = await w.probot.auth(w.gh.repo(REPO).installationId);
    const audit = (await read(w.db, (q) => q.select().from(tables(q).auditLog))).length;
    const writes = () => w.gh.requests.filter((r) => r.method !== "GET").length;
    const before = writes();
    const dry = await reconcileRepo(w.deps, octokit, REF, null, { dryRun: true });
    expect(dry.plans[0]?.changes.map((c) => [c.lane, c.kind === "update" && c.to.state])).toEqual([
      ["cm/testing", "retired"],
      ["cm/prod", "retired"],
      ["opw/testing", "retired"],
      ["opw/prod", "retired"],
    ]);
    expect(await w.state("cm/testing")).toBe("active");
    expect((await read(w.db, (q) => q.select().from(tables(q).auditLog))).length).toBe(audit);
    expect(writes()).toBe(before);
    const applied = await reconcileRepo(w.deps, octokit, REF, null);
    expect(applied.plans).toEqual(dry.plans);
    expect(await w.state("cm/testing")).toBe("retired");
  });

  it("suspends when the block changed and the edit's delivery was missed", async () => {
    const w = await createWorld();
    const n = await approvedIssue(w);
    w.gh.editIssueBody(REPO, n, CM_OPW_BODY.replace("2027-03-31", "2027-06-30"), "max"); // lost
    const octokit = await w.probot.auth(w.gh.repo(REPO).installationId);
    await reconcileRepo(w.deps, octokit, REF, null);
    expect(await w.state("cm/testing")).toBe("suspended");
  });
});

describe("bad input", () => {
  it("reports an invalid config and applies none of it: no lane is declared", async () => {
    const w = await createWorld({ config: "lanes:\n  syo/prod: { data_authority: sacred }\nbogus: 1\n" });
    await approvedIssue(w);
    expect(await read(w.db, (q) => repositoryView(q, REPO))).toMatchObject({ status: "invalid" });
    expect((await read(w.db, (q) => repositoryView(q, REPO)))?.errors.join("\n")).toMatch(
      /bogus|data_authority/,
    );
    expect((await read(w.db, (q) => oneLaneView(q, REPO, "syo/prod"))).state).toBe("unknown");
    const audit = (await read(w.db, (q) => q.select().from(tables(q).auditLog))).map((a) => a.change);
    expect(audit.some((c) => c.startsWith("never loaded -> invalid"))).toBe(true);
  });

  it("reports malformed YAML with its line in the status comment and grants nothing", async () => {
    const w = await createWorld();
    const n = await approvedIssue(w, "intro\n\n```lane-policy\nlanes:\n  cm/testing: [unclosed\n```\n");
    expect(await w.state("cm/testing")).toBe("invalid");
    expect((await read(w.db, (q) => oneLaneView(q, REPO, "cm/testing"))).allowed_rebuild_sources).toEqual([]);
    expect(w.comment(n)).toMatch(/line [5-7]/);
    expect(w.comment(n)).toContain("The block is invalid");
  });

  it("escapes hostile text so it cannot ping people, break the table or inject HTML", async () => {
    const w = await createWorld();
    const body = CM_OPW_BODY.replace("bootstrap cm prod", '"@everyone | <img src=x> [x](http://e)"');
    const n = await approvedIssue(w, body);
    const comment = w.comment(n);
    expect(comment).not.toMatch(/@everyone|<img|\]\(http/);
    expect(comment).toContain("&#64;everyone &#124; &#60;img");
  });
});
