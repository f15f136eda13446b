// The gate through the real HTTP server, with signed deliveries arriving at the same time.
import { describe, expect, it } from "vitest";
import { deliver } from "../../standin/index.ts";
import { DEMO_REPO, startLocalGitHub } from "../../standin/world.ts";
import { boot, onCleanup, tempDatabase } from "../support/http.ts";
import { CM_OPW_BODY } from "../support/world.ts";

async function setup(env: Record<string, string> = {}) {
  const local = await startLocalGitHub();
  onCleanup(() => local.running.close());
  const db = tempDatabase();
  const app = await boot(local, db, { env });
  const secret = local.env.WEBHOOK_SECRET ?? "";
  const gh = local.standin;
  const opened = gh.openIssue(DEMO_REPO, { author: "olivia", title: "t", body: CM_OPW_BODY });
  for (const d of [...opened.deliveries, gh.addLabel(DEMO_REPO, opened.number, "lane-policy", "mia")]) {
    expect(await deliver(app.hook, secret, d)).toBe(200);
  }
  const dispatch = () =>
    gh.dispatchWorkflow(DEMO_REPO, {
      workflowPath: ".github/workflows/odoo-stable-bootstrap.yml",
      inputs: { context: "cm", instance: "testing", source: "empty", confirmation: "bootstrap cm testing" },
      actor: "olivia",
    });
  const conclusions = (runIds: number[]) =>
    runIds.map(
      (id) => [...gh.repo(DEMO_REPO).checkRuns.values()].find((c) => c.externalId === `${id}:1`)?.conclusion,
    );
  return { local, db, app, secret, gh, dispatch, conclusions };
}

describe("the gate under real concurrency", () => {
  it("allows exactly one of twenty dispatches of one lane arriving at once", async () => {
    const s = await setup();
    const pairs = Array.from({ length: 20 }, () => s.dispatch());
    const statuses = await Promise.all(
      pairs.flatMap((p) => [
        deliver(s.app.hook, s.secret, p.requested),
        deliver(s.app.hook, s.secret, p.dispatch),
      ]),
    );
    expect(statuses.every((status) => status === 200)).toBe(true);
    const results = s.conclusions(pairs.map((p) => p.runId));
    expect(results.filter((c) => c === "success")).toHaveLength(1);
    expect(results.filter((c) => c === "failure")).toHaveLength(19);
    const ops = (await (await fetch(`${s.app.base}/lanegate/api/repos/${DEMO_REPO}/operations`)).json()) as {
      operations: { state: string }[];
    };
    expect(ops.operations).toEqual([expect.objectContaining({ state: "requested" })]);
  });

  it("links an allowed run's check run to its operation's console page, a refused one to the run's", async () => {
    const s = await setup({ LANEGATE_PUBLIC_URL: "https://lanegate.example.com/" });
    const allowed = s.dispatch();
    const refused = s.dispatch();
    for (const d of [allowed, refused])
      for (const delivery of [d.dispatch, d.requested]) await deliver(s.app.hook, s.secret, delivery);
    const check = (runId: number) =>
      [...s.gh.repo(DEMO_REPO).checkRuns.values()].find((c) => c.externalId === `${runId}:1`);
    expect(check(allowed.runId)?.detailsUrl).toBe(
      `https://lanegate.example.com/lanegate/repos/${DEMO_REPO}/operations/1`,
    );
    expect(check(refused.runId)?.detailsUrl).toBe(
      `https://lanegate.example.com/lanegate/repos/${DEMO_REPO}/runs/${refused.runId}`,
    );
  });

  it("keeps an operation across a restart and closes it with the completed delivery after", async () => {
    const s = await setup();
    const d = s.dispatch();
    for (const delivery of [d.dispatch, d.requested]) await deliver(s.app.hook, s.secret, delivery);
    expect(s.conclusions([d.runId])).toEqual(["success"]);
    await s.app.stop();
    const again = await boot(s.local, s.db);
    expect(await deliver(again.hook, s.secret, s.gh.completeRun(DEMO_REPO, d.runId, "success"))).toBe(200);
    const view = (await (
      await fetch(`${again.base}/lanegate/api/repos/${DEMO_REPO}/runs/${d.runId}`)
    ).json()) as {
      operations: { state: string; outcome: string }[];
      decisions: { allowed: boolean; checks: unknown[] }[];
    };
    expect(view.operations).toEqual([expect.objectContaining({ state: "completed", outcome: "success" })]);
    expect(view.decisions[0]).toMatchObject({ allowed: true });
    expect(view.decisions[0]?.checks).toHaveLength(7);
  });
});
