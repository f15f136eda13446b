// Health, readiness and metrics over the real server, and the read models' safe default.
import { describe, expect, it } from "vitest";
import { SqliteDb, transaction } from "../../src/adapters/store/db.ts";
import { claimDelivery } from "../../src/adapters/store/deliveries.ts";
import { deliver } from "../../standin/index.ts";
import { DEMO_REPO, startLocalGitHub } from "../../standin/world.ts";
import { boot, onCleanup, tempDatabase } from "../support/http.ts";
import { CM_OPW_BODY } from "../support/world.ts";

const TOKEN = "a-token-of-sixteen-chars";

async function world(env: Record<string, string> = {}, reconcileOnStart = false) {
  const local = await startLocalGitHub();
  onCleanup(() => local.running.close());
  return { local, app: await boot(local, tempDatabase(), { env, reconcileOnStart }) };
}

const get = async (url: string, token?: string) => {
  const response = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: response.status, text: await response.text() };
};

describe("health and readiness", () => {
  it("answers /healthz and a ready /readyz with every check", async () => {
    const { app } = await world();
    expect(await get(`${app.base}/healthz`)).toEqual({ status: 200, text: '{"status":"alive"}' });
    const ready = await get(`${app.base}/readyz`);
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.text)).toMatchObject({
      status: "ready",
      checks: {
        database: { ok: true },
        migrations: { ok: true, detail: "current" },
        timers: { ok: true },
        github: { ok: true, detail: "no call needed yet" },
      },
    });
  });

  it("is not ready when the database cannot be written", async () => {
    const { app } = await world();
    if (!(app.db instanceof SqliteDb)) throw new Error("this test writes-protects a SQLite store");
    app.db.client.pragma("query_only = ON");
    const ready = await get(`${app.base}/readyz`);
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.text)).toMatchObject({
      status: "not ready",
      checks: { database: { ok: false } },
    });
    expect((await get(`${app.base}/healthz`)).status).toBe(200);
  });

  // 401 rather than 5xx: Octokit retries a 5xx for about 15 s before the app sees the failure.
  it("is not ready when GitHub rejected the App's credentials on the last call", async () => {
    const local = await startLocalGitHub();
    onCleanup(() => local.running.close());
    local.standin.failNext({ method: "GET", pathPattern: /^\/app\/installations$/, status: 401 });
    const app = await boot(local, tempDatabase(), { reconcileOnStart: true });
    const body = await until503(`${app.base}/readyz`);
    expect(body.checks.github).toMatchObject({ ok: false });
    expect(body.checks.github?.detail).toContain("GET /app/installations answered 401");
  });
});

async function until503(url: string) {
  for (let i = 0; i < 100; i++) {
    const r = await get(url);
    if (r.status === 503)
      return JSON.parse(r.text) as { checks: Record<string, { ok: boolean; detail: string }> };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error("never became not ready");
}

describe("metrics", () => {
  it("counts deliveries, GitHub requests by route and the records by state", async () => {
    const { local, app } = await world();
    const opened = local.standin.openIssue(DEMO_REPO, { author: "olivia", title: "t", body: CM_OPW_BODY });
    const secret = local.env.WEBHOOK_SECRET ?? "";
    for (const d of opened.deliveries) await deliver(app.hook, secret, d);
    await deliver(app.hook, secret, local.standin.addLabel(DEMO_REPO, opened.number, "lane-policy", "mia"));
    const { status, text } = await get(`${app.base}/metrics`);
    expect(status).toBe(200);
    expect(text).toContain('lanegate_deliveries_total{event="issues.labeled",outcome="ok"} 1');
    expect(text).toMatch(/lanegate_delivery_seconds_count\{event="issues.opened"\} 1/);
    expect(text).toMatch(
      /lanegate_github_requests_total\{route="GET \/repos\/\{owner\}\/\{repo\}\/issues\/\{issue_number\}",status="200"\} \d+/,
    );
    expect(text).toContain('lanegate_grants{state="active"} 4');
    expect(text).toContain("lanegate_handlers_in_flight 0");
  });

  it("answers a malformed delivery 400 with the reason and counts it as rejected", async () => {
    const { local, app } = await world();
    const opened = local.standin.openIssue(DEMO_REPO, { author: "olivia", title: "t", body: CM_OPW_BODY });
    const [first] = opened.deliveries;
    if (!first) throw new Error("no delivery");
    const broken = {
      ...first,
      id: "broken-1",
      payload: { ...(first.payload as object), issue: { title: "no number" } },
    };
    expect(await deliver(app.hook, local.env.WEBHOOK_SECRET ?? "", broken)).toBe(400);
    const { text } = await get(`${app.base}/metrics`);
    expect(text).toContain('lanegate_deliveries_total{event="issues.opened",outcome="rejected"} 1');
  });

  it("answers 503 for a delivery another replica is applying and counts it apart from errors", async () => {
    const { local, app } = await world();
    const opened = local.standin.openIssue(DEMO_REPO, { author: "olivia", title: "t", body: CM_OPW_BODY });
    const [first] = opened.deliveries;
    if (!first) throw new Error("no delivery");
    const claim = { id: first.id, event: "issues.opened", repo: DEMO_REPO, now: new Date() };
    await transaction(app.db, (q) => claimDelivery(q, { ...claim, holder: "other-replica:1:abc" }));
    expect(await deliver(app.hook, local.env.WEBHOOK_SECRET ?? "", first)).toBe(503);
    const { text } = await get(`${app.base}/metrics`);
    expect(text).toContain('lanegate_deliveries_total{event="issues.opened",outcome="claimed_elsewhere"} 1');
    expect(text).not.toContain('outcome="error"');
  });
});

describe("the read models and /metrics when serving a real App", () => {
  it("refuse with 403 and a one-line reason unless a token or public access was chosen", async () => {
    const { app } = await world({ LANEGATE_API_PUBLIC: "" });
    for (const path of ["/metrics", `/lanegate/api/repos/${DEMO_REPO}/lanes`]) {
      const refused = await get(`${app.base}${path}`);
      expect(refused.status).toBe(403);
      expect(JSON.parse(refused.text).message).toMatch(
        /^closed: .*LANEGATE_API_TOKEN.*LANEGATE_API_PUBLIC=true$/,
      );
    }
    expect((await get(`${app.base}/readyz`)).status).toBe(200);
  });

  it("take the bearer token when one is set", async () => {
    const { app } = await world({ LANEGATE_API_TOKEN: TOKEN });
    expect((await get(`${app.base}/metrics`)).status).toBe(401);
    expect((await get(`${app.base}/metrics`, TOKEN)).status).toBe(200);
  });
});
