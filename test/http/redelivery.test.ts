// Recovering deliveries that failed while lanegate was down: GitHub keeps them three days and
// sends one again when the App asks. Each failed one is asked for once; a successful one and one
// lanegate rejected as malformed never are.
import { describe, expect, it } from "vitest";
import { read, tables } from "../../src/adapters/store/db.ts";
import { DEMO_REPO, startLocalGitHub } from "../../standin/world.ts";
import { boot, onCleanup, tempDatabase } from "../support/http.ts";
import { checkRequest, checkResponse } from "../support/openapi.ts";
import { CM_OPW_BODY } from "../support/world.ts";

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("recovering failed deliveries", () => {
  it("asks GitHub once for each delivery that failed, never for a successful or malformed one", async () => {
    const local = await startLocalGitHub();
    onCleanup(() => local.running.close());
    const gh = local.standin;
    const log = gh.hookLog;
    const secret = local.env.WEBHOOK_SECRET ?? "";
    const url = tempDatabase();

    const first = await boot(local, url);
    const opened = gh.openIssue(DEMO_REPO, { author: "olivia", title: "t", body: CM_OPW_BODY });
    const [delivered] = opened.deliveries;
    if (!delivered) throw new Error("no delivery");
    expect(await log.send(first.hook, secret, delivered, new Date())).toBe(200);
    const malformed = {
      ...delivered,
      id: "malformed-1",
      payload: { ...(delivered.payload as object), sender: null },
    };
    expect(await log.send(first.hook, secret, malformed, new Date())).toBe(400);
    await first.stop();

    // The label is applied while lanegate is down: that delivery fails.
    const labelled = gh.addLabel(DEMO_REPO, opened.number, "lane-policy", "mia");
    expect(await log.send(first.hook, secret, labelled, new Date())).toBe(0);

    const second = await boot(local, url, { redeliverEveryMs: 100 });
    await settle(600);
    expect(log.asked.map((d) => d.guid)).toEqual([labelled.id]);

    expect(await log.redeliverAsked(second.hook, secret, new Date())).toEqual([200]);
    await settle(300);
    expect(log.asked).toEqual([]);
    const lanes = (await (await fetch(`${second.base}/lanegate/api/repos/${DEMO_REPO}/lanes`)).json()) as {
      lanes: { state: string }[];
    };
    expect(lanes.lanes.filter((l) => l.state === "active")).toHaveLength(4);

    const audit = (await read(second.db, (q) => q.select().from(tables(q).auditLog))).filter(
      (a) => a.event === "redelivery",
    );
    expect(audit.map((a) => a.deliveryId)).toEqual([labelled.id]);
    const metrics = await (await fetch(`${second.base}/metrics`)).text();
    expect(metrics).toContain('lanegate_redeliveries_total{result="asked"} 1');

    const calls = gh.requests.filter((r) => r.path.startsWith("/app/hook/"));
    expect(calls.filter((r) => r.method === "POST")).toHaveLength(1);
    for (const r of calls) {
      const target = `https://api.github.com${r.path}?${new URLSearchParams(r.query)}`;
      expect(checkRequest(r.method, target, r.body)).toEqual([]);
    }
  });

  it("asks again for a delivery whose redelivery was answered 503, and not after any other failure", async () => {
    const local = await startLocalGitHub();
    onCleanup(() => local.running.close());
    const gh = local.standin;
    const log = gh.hookLog;
    const opened = gh.openIssue(DEMO_REPO, { author: "olivia", title: "t", body: CM_OPW_BODY });
    const [delivered] = opened.deliveries;
    if (!delivered) throw new Error("no delivery");
    // Sent while no replica answered.
    expect(await log.send("http://127.0.0.1:9/none", "x", delivered, new Date())).toBe(0);
    const app = await boot(local, tempDatabase(), { redeliverEveryMs: 100 });
    await settle(600);
    expect(log.asked.splice(0).map((d) => d.guid)).toEqual([delivered.id]);

    // GitHub's redelivery reached a replica while another one's claim held the delivery.
    const attempt = (statusCode: number) =>
      log.record({
        guid: delivered.id,
        event: delivered.name,
        action: "opened",
        statusCode,
        deliveredAt: new Date(),
        redelivery: true,
        installationId: null,
        repositoryId: null,
      });
    attempt(503);
    await settle(600);
    expect(log.asked.splice(0).map((d) => d.guid)).toEqual([delivered.id]);

    // That redelivery failed in the handler itself: asking again would only repeat it.
    attempt(500);
    await settle(600);
    expect(log.asked).toEqual([]);
    const audit = (await read(app.db, (q) => q.select().from(tables(q).auditLog))).filter(
      (a) => a.event === "redelivery",
    );
    expect(audit.map((a) => a.change)).toEqual([
      expect.stringMatching(/^asked GitHub to send again: it failed with 0 /),
      expect.stringMatching(/^asked GitHub to send again: it failed with 503 /),
    ]);
  });

  it("lists the stand-in's deliveries in GitHub's shape, paged by cursor", async () => {
    const local = await startLocalGitHub();
    onCleanup(() => local.running.close());
    const at = new Date();
    for (const guid of ["a", "b", "c"])
      local.standin.hookLog.record({
        guid,
        event: "issues",
        action: "opened",
        statusCode: 502,
        deliveredAt: at,
        installationId: 1,
        repositoryId: 2,
      });
    const { running, env } = local;
    const response = await fetch(`${running.url}/api/v3/app/hook/deliveries?per_page=2`, {
      headers: { authorization: `Bearer ${jwtFor(env.APP_ID ?? "1")}` },
    });
    const body: unknown = await response.json();
    expect(checkResponse("GET", "https://api.github.com/app/hook/deliveries?per_page=2", 200, body)).toEqual(
      [],
    );
    expect((body as { guid: string }[]).map((d) => d.guid)).toEqual(["c", "b"]);
    expect(response.headers.get("link")).toMatch(/cursor=\d+>; rel="next"/);
  });
});

/** The stand-in accepts any three-part bearer token as the App's JWT. */
const jwtFor = (appId: string) =>
  `${Buffer.from("{}").toString("base64url")}.${Buffer.from(appId).toString("base64url")}.sig`;
