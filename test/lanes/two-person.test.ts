// The two-person rule: a lane may ask for several distinct approvers; the label counts as the
// labeller's approval, each further one is a `/lanegate approve <prefix>` comment, bound to the
// block's digest, and a grant below its count is pending and refused with approvals_missing.
import { describe, expect, it } from "vitest";
import { read, tables } from "../../src/adapters/store/db.ts";
import { oneLaneView } from "../../src/adapters/store/read.ts";
import { readPolicyBlock } from "../../src/core/policy/block.ts";
import { DEMO_CONFIG } from "../../standin/world.ts";
import { dispatch, inputs, newest, reasonOf } from "../support/gate.ts";
import { requestsDuring } from "../support/requests.ts";
import { CM_OPW_BODY, createWorld, REPO, type World } from "../support/world.ts";

const withConfig = (from: string, to: string) => {
  if (!DEMO_CONFIG.includes(from)) throw new Error(`the demo config has no ${from}`);
  return DEMO_CONFIG.replace(from, to);
};
const TWO = withConfig("  allow_self_approval: false", "  allow_self_approval: false\n  required: 2");
const cmBootstrap = inputs("cm/testing", "empty", "bootstrap cm testing");
const prefixOf = (body: string) => (readPolicyBlock(body, {}).sha256 ?? "").slice(0, 7);

async function twoPersonWorld(config = TWO) {
  const w = await createWorld({ config });
  w.gh.setCollaborator(REPO, "max", "maintain");
  w.gh.setCollaborator(REPO, "ada", "admin");
  return w;
}

/** olivia opens, mia (maintain) applies the label: one approval. */
async function labelled(w: World, body = CM_OPW_BODY, author = "olivia") {
  const o = w.gh.openIssue(REPO, { author, title: "approval", body });
  await w.send(...o.deliveries, w.gh.addLabel(REPO, o.number, "lane-policy", "mia"));
  w.advance(1);
  return o.number;
}

async function approveByComment(w: World, n: number, who: string, prefix = prefixOf(CM_OPW_BODY)) {
  const c = w.gh.commentOnIssue(REPO, n, `/lanegate approve ${prefix}\nlooks right to me`, who);
  await w.send(c.delivery);
  w.advance(1);
  return c.id;
}

describe("the two-person rule", () => {
  it("refuses with approvals_missing while only the labeller has approved", async () => {
    const w = await twoPersonWorld();
    const n = await labelled(w);
    expect(await w.state("cm/testing")).toBe("pending");
    const runId = await dispatch(w, cmBootstrap);
    expect(newest(w, runId)?.conclusion).toBe("failure");
    expect(await reasonOf(w, runId)).toBe("approvals_missing");
    expect(w.comment(n)).toContain("1 of 2 approvals");
  });

  it("allows once a second, distinct approver comments the approve command", async () => {
    const w = await twoPersonWorld();
    const n = await labelled(w);
    await approveByComment(w, n, "max");
    expect(await w.state("cm/testing")).toBe("active");
    expect((await read(w.db, (q) => oneLaneView(q, REPO, "cm/testing"))).grant).toMatchObject({
      issue: n,
      approvals: { required: 2, by: ["mia", "max"] },
    });
    const runId = await dispatch(w, cmBootstrap);
    expect(newest(w, runId)?.conclusion).toBe("success");
    expect(w.comment(n)).toContain("2 of 2 approvals");
    const audit = await read(w.db, (q) => q.select().from(tables(q).auditLog));
    expect(audit.some((a) => /approved by max \(comment\)/.test(a.change))).toBe(true);
  });

  it("counts the same approver once, however often they approve", async () => {
    const w = await twoPersonWorld();
    const n = await labelled(w);
    await approveByComment(w, n, "mia");
    await approveByComment(w, n, "mia");
    expect(await w.state("cm/testing")).toBe("pending");
    expect(w.comment(n)).toContain("1 of 2 approvals");
  });

  it("never counts whoever wrote the block, even when self-approval is on", async () => {
    const config = withConfig("allow_self_approval: false", "allow_self_approval: true\n  required: 2");
    const w = await twoPersonWorld(config);
    const n = await labelled(w, CM_OPW_BODY, "max");
    await approveByComment(w, n, "max");
    expect(await w.state("cm/testing")).toBe("pending");
    await approveByComment(w, n, "ada");
    expect(await w.state("cm/testing")).toBe("active");
  });

  it("resets the count when the block is edited after two approvals", async () => {
    const w = await twoPersonWorld();
    const n = await labelled(w);
    await approveByComment(w, n, "max");
    expect(await w.state("cm/testing")).toBe("active");
    const edited = CM_OPW_BODY.replace("retire_when: CM", "retire_when: Both CM");
    await w.send(w.gh.editIssueBody(REPO, n, edited, "mia"));
    expect(await w.state("cm/testing")).toBe("pending");
    const runId = await dispatch(w, cmBootstrap);
    expect(await reasonOf(w, runId)).toBe("approvals_missing");
    expect(w.comment(n)).toContain("0 of 2 approvals");
    // An approval of the old digest counts for nothing now; one of the new digest does.
    await approveByComment(w, n, "ada");
    expect(await w.state("cm/testing")).toBe("pending");
    await approveByComment(w, n, "ada", prefixOf(edited));
    await approveByComment(w, n, "max", prefixOf(edited));
    expect(await w.state("cm/testing")).toBe("active");
  });

  it("drops an approval whose comment is deleted or edited", async () => {
    const w = await twoPersonWorld();
    const n = await labelled(w);
    const id = await approveByComment(w, n, "max");
    expect(await w.state("cm/testing")).toBe("active");
    await w.send(w.gh.deleteComment(REPO, n, id, "max"));
    expect(await w.state("cm/testing")).toBe("pending");
    const again = await approveByComment(w, n, "ada");
    expect(await w.state("cm/testing")).toBe("active");
    await w.send(w.gh.editComment(REPO, n, again, "/lanegate approve 0000000", "ada"));
    expect(await w.state("cm/testing")).toBe("pending");
  });

  it("applies the config's count when the block asks for fewer, and the block's when it asks for more", async () => {
    const w = await twoPersonWorld();
    const asksOne = CM_OPW_BODY.replace(
      "    allowed_rebuild_sources: [empty]\n  cm/prod:",
      "    allowed_rebuild_sources: [empty]\n    approvers: { required: 1 }\n  cm/prod:",
    ).replace(
      "    confirmation: bootstrap cm prod",
      "    confirmation: bootstrap cm prod\n    approvers: { required: 3 }",
    );
    expect(asksOne).not.toBe(CM_OPW_BODY);
    const n = await labelled(w, asksOne);
    await approveByComment(w, n, "max", prefixOf(asksOne));
    expect(await w.state("cm/testing")).toBe("active");
    expect(await w.state("cm/prod")).toBe("pending");
    expect(w.comment(n)).toContain("2 of 3 approvals");
  });

  it("ignores a comment by someone who cannot approve, and an ordinary comment costs no request", async () => {
    const w = await twoPersonWorld();
    const n = await labelled(w);
    await approveByComment(w, n, "tara");
    expect(await w.state("cm/testing")).toBe("pending");
    const chatter = await requestsDuring(w, () =>
      w.send(w.gh.commentOnIssue(REPO, n, "thanks!", "max").delivery),
    );
    expect(chatter).toEqual([]);
  });

  it("costs no more reads for an approval comment than for the approval label", async () => {
    const w = await twoPersonWorld();
    const o = w.gh.openIssue(REPO, { author: "olivia", title: "approval", body: CM_OPW_BODY });
    await w.send(...o.deliveries);
    const reads = (rs: { method: string }[]) => rs.filter((r) => r.method === "GET").length;
    const label = await requestsDuring(w, () => w.send(w.gh.addLabel(REPO, o.number, "lane-policy", "mia")));
    const comment = await requestsDuring(w, () =>
      w.send(
        w.gh.commentOnIssue(REPO, o.number, `/lanegate approve ${prefixOf(CM_OPW_BODY)}`, "max").delivery,
      ),
    );
    expect(reads(comment)).toBeLessThanOrEqual(reads(label));
    expect(await w.state("cm/testing")).toBe("active");
  });
});
