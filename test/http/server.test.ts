import { describe, expect, it } from "vitest";
import { deliver } from "../../standin/index.ts";
import { DEMO_REPO, startLocalGitHub } from "../../standin/world.ts";
import { boot, onCleanup, tempDatabase } from "../support/http.ts";
import { CM_OPW_BODY } from "../support/world.ts";

const TOKEN = "read-model-token";

async function world() {
  const local = await startLocalGitHub();
  onCleanup(() => local.running.close());
  const db = tempDatabase();
  const app = await boot(local, db, { env: { LANEGATE_API_TOKEN: TOKEN } });
  const hook = app.hook;
  const secret = local.env.WEBHOOK_SECRET ?? "";
  const api = (path: string, token: string | null = TOKEN) =>
    fetch(`${app.base}/lanegate/api/repos/${DEMO_REPO}${path}`, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
  const laneState = async (lane: string) =>
    ((await (await api(`/lanes/${lane}`)).json()) as { state: string }).state;
  return { local, gh: local.standin, app, hook, secret, api, laneState, db };
}

describe("the app's HTTP server", () => {
  it("rejects a delivery with a bad or missing signature and changes nothing", async () => {
    const w = await world();
    const opened = w.gh.openIssue(DEMO_REPO, { author: "olivia", title: "t", body: CM_OPW_BODY });
    const before = w.gh.requests.length;
    const [first] = opened.deliveries;
    if (!first) throw new Error("openIssue returned no delivery");
    expect(await deliver(w.hook, "wrong-secret", first)).toBe(400);
    const unsigned = await fetch(w.hook, {
      method: "POST",
      headers: { "content-type": "application/json", "x-github-event": "issues", "x-github-delivery": "u-1" },
      body: JSON.stringify(opened.deliveries[0]?.payload),
    });
    expect(unsigned.status).toBeGreaterThanOrEqual(400);
    expect(w.gh.requests.length).toBe(before);
    expect(await w.laneState("cm/testing")).toBe("unknown");
  });

  it("turns signed deliveries into active lanes that the read model shows", async () => {
    const w = await world();
    const opened = w.gh.openIssue(DEMO_REPO, { author: "olivia", title: "t", body: CM_OPW_BODY });
    for (const d of opened.deliveries) expect(await deliver(w.hook, w.secret, d)).toBe(200);
    expect(
      await deliver(w.hook, w.secret, w.gh.addLabel(DEMO_REPO, opened.number, "lane-policy", "mia")),
    ).toBe(200);
    const body = (await (await w.api("/lanes")).json()) as { lanes: { lane: string; state: string }[] };
    expect(body.lanes.filter((l) => l.state === "active").map((l) => l.lane)).toEqual([
      "cm/prod",
      "cm/testing",
      "opw/prod",
      "opw/testing",
    ]);
  });

  it("requires the bearer token for the read models when one is set", async () => {
    const w = await world();
    expect((await w.api("/lanes", null)).status).toBe(401);
    expect((await w.api("/lanes", "wrong")).status).toBe(401);
    expect((await w.api("/lanes")).status).toBe(200);
  });

  it("refuses the token without the Bearer scheme, or under another scheme", async () => {
    const w = await world();
    for (const authorization of [TOKEN, `Basic ${TOKEN}`, `Bearer${TOKEN}`, `Bearer ${TOKEN} extra`]) {
      const url = `${w.app.base}/lanegate/api/repos/${DEMO_REPO}/lanes`;
      const response = await fetch(url, { headers: { authorization } });
      expect(response.status, authorization).toBe(401);
      expect(await response.json()).toEqual({ message: "a Bearer token is required" });
      expect((await fetch(`${w.app.base}/metrics`, { headers: { authorization } })).status).toBe(401);
    }
    const scheme = await fetch(`${w.app.base}/lanegate/api/repos/${DEMO_REPO}/lanes`, {
      headers: { authorization: `bearer ${TOKEN}` },
    });
    expect(scheme.status).toBe(200); // the scheme's name is case-insensitive (RFC 9110)
  });

  it("answers 400, not 500, for a read-model path with a malformed percent-escape", async () => {
    const w = await world();
    for (const path of ["/lanes/cm/%E0%A4%A", "/lanes/%zz/prod", "/runs/%"]) {
      const response = await w.api(path);
      expect(response.status, path).toBe(400);
      expect(((await response.json()) as { message: string }).message).toContain("percent-escape");
    }
  });

  it("answers unknown, not 404, for a lane nobody declared", async () => {
    const w = await world();
    const response = await w.api("/lanes/zz/prod");
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      lane: "zz/prod",
      state: "unknown",
      grant: null,
      history: [],
    });
  });

  it("pages through the audit log newest first", async () => {
    const w = await world();
    const opened = w.gh.openIssue(DEMO_REPO, { author: "olivia", title: "t", body: CM_OPW_BODY });
    for (const d of opened.deliveries) await deliver(w.hook, w.secret, d);
    await deliver(w.hook, w.secret, w.gh.addLabel(DEMO_REPO, opened.number, "lane-policy", "mia"));
    const first = (await (await w.api("/audit?limit=3")).json()) as {
      entries: { id: number }[];
      next_before: number;
    };
    expect(first.entries).toHaveLength(3);
    const ids = first.entries.map((e) => e.id);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    const second = (await (await w.api(`/audit?limit=3&before=${first.next_before}`)).json()) as {
      entries: { id: number }[];
    };
    expect(Math.max(...second.entries.map((e) => e.id))).toBeLessThan(Math.min(...ids));
  });

  it("keeps its records across a restart and retires, at start, an issue closed while it was down", async () => {
    const w = await world();
    const opened = w.gh.openIssue(DEMO_REPO, { author: "olivia", title: "t", body: CM_OPW_BODY });
    for (const d of opened.deliveries) await deliver(w.hook, w.secret, d);
    await deliver(w.hook, w.secret, w.gh.addLabel(DEMO_REPO, opened.number, "lane-policy", "mia"));
    await w.app.stop();
    w.gh.closeIssue(DEMO_REPO, opened.number, "olivia"); // nobody is listening
    const again = await boot(w.local, w.db, { reconcileOnStart: true, env: { LANEGATE_API_TOKEN: TOKEN } });
    const state = async () => {
      const response = await fetch(`${again.base}/lanegate/api/repos/${DEMO_REPO}/lanes/cm/prod`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      return ((await response.json()) as { state: string }).state;
    };
    await expect.poll(state, { timeout: 5000 }).toBe("retired");
  });
});
