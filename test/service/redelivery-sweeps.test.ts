// Redelivery at scale, on fake time: 150 failed deliveries, a check every minute, and GitHub
// taking a second for each request (Octokit paces an installation's writes a second apart). The
// checks never overlap, and each delivery is asked for once: across checks, across a stop that
// cut a check short, and across two processes sharing the database.
import { pino } from "pino";
import { Probot, ProbotOctokit } from "probot";
import { afterEach, describe, expect, it, vi } from "vitest";
import { openDatabase, read, tables } from "../../src/adapters/store/db.ts";
import { lanegate } from "../../src/app.ts";
import { recoverDeliveries } from "../../src/pipelines/redeliver.ts";
import { Lifecycle } from "../../src/service/lifecycle.ts";
import { createMetrics } from "../../src/service/metrics.ts";
import { checkRequest, checkResponse } from "../support/openapi.ts";

const MINUTE = 60_000;
const PACE_MS = 1000;
const START = new Date("2026-11-28T10:00:00Z");

afterEach(() => {
  vi.useRealTimers();
});

/** GitHub's log of the App's deliveries, in memory, answering the two routes the check uses. */
class DeliveryLog {
  readonly entries: Record<string, unknown>[] = [];
  /** The guid of every delivery asked for, in order. */
  readonly asked: string[] = [];
  readonly problems: string[] = [];
  /** Requests to send again that GitHub has not answered yet. */
  asking = 0;
  /** Lists of deliveries read while a request to send again was still being answered. */
  listedWhileAsking = 0;
  /** A guid whose request to send again is never answered (the process stops meanwhile). */
  hangOn: string | null = null;

  constructor(failed: number) {
    for (let i = 1; i <= failed; i += 1)
      this.add(`guid-${i}`, false, new Date(START.getTime() - (failed - i) * 1000 - 3_600_000));
  }

  private add(guid: string, redelivery: boolean, at: Date) {
    this.entries.unshift({
      id: this.entries.length + 1,
      guid,
      delivered_at: at.toISOString().replace(/\.\d{3}Z$/, "Z"),
      redelivery,
      duration: 0.1,
      status: "Invalid HTTP Response: 502",
      status_code: 502,
      event: "issues",
      action: "labeled",
      installation_id: 1,
      repository_id: 2,
      throttled_at: null,
    });
  }

  readonly fetch: typeof fetch = async (input, init) => {
    const request = new Request(input, init);
    const text = request.method === "GET" ? "" : await request.text();
    this.problems.push(...checkRequest(request.method, request.url, text ? JSON.parse(text) : undefined));
    const url = new URL(request.url);
    const attempts = url.pathname.match(/^\/app\/hook\/deliveries\/(\d+)\/attempts$/);
    if (request.method === "GET" && url.pathname === "/app/hook/deliveries") {
      if (this.asking > 0) this.listedWhileAsking += 1;
      return this.answer(request, 200, ...this.page(url));
    }
    if (request.method === "POST" && attempts) {
      const found = this.entries.find((e) => e.id === Number(attempts[1]));
      if (!found) return this.answer(request, 404, { message: "Not Found" });
      const guid = String(found.guid);
      this.asked.push(guid);
      this.asking += 1;
      if (guid === this.hangOn) return new Promise<Response>(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, PACE_MS));
      this.asking -= 1;
      // The redelivery fails too: only lanegate's records keep it from being asked again.
      this.add(guid, true, new Date());
      return this.answer(request, 202, {});
    }
    return this.answer(request, 404, { message: "Not Found" });
  };

  private page(url: URL): [unknown, Record<string, string>] {
    const perPage = Number(url.searchParams.get("per_page")) || 30;
    const cursor = url.searchParams.get("cursor");
    const start = cursor ? this.entries.findIndex((e) => String(e.id) === cursor) : 0;
    const next = this.entries[start + perPage];
    const link: Record<string, string> = {};
    if (next)
      link.link = `<https://api.github.com/app/hook/deliveries?per_page=${perPage}&cursor=${next.id}>; rel="next"`;
    return [this.entries.slice(start, start + perPage), link];
  }

  private answer(request: Request, status: number, body: unknown, headers: Record<string, string> = {}) {
    this.problems.push(...checkResponse(request.method, request.url, status, body));
    return new Response(JSON.stringify(body), {
      status,
      headers: { "content-type": "application/json", ...headers },
    });
  }

  /** How many times each guid was asked for, for those asked more than once. */
  askedTwice(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const guid of this.asked) counts[guid] = (counts[guid] ?? 0) + 1;
    return Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 1));
  }
}

const octokitOptions = {
  retry: { enabled: false },
  throttle: { enabled: false },
};

/** lanegate as the server runs it, its redelivery timer every minute, GitHub answering from `log`. */
async function serverWith(log: DeliveryLog) {
  const db = openDatabase(":memory:");
  const lifecycle = new Lifecycle(createMetrics(db), () => new Date());
  // A plain token instead of the App's JWT: signing one is real asynchronous work that fake time
  // would race past. The requests are the same.
  const probot = new Probot({
    appId: 4242,
    githubToken: "app-token",
    secret: "test-secret",
    log: pino({ level: "silent" }),
    request: { fetch: log.fetch },
    Octokit: ProbotOctokit.defaults((o: ConstructorParameters<typeof ProbotOctokit>[0]) => ({
      ...o,
      retry: { enabled: false },
      throttle: { ...o?.throttle, enabled: false },
    })),
  });
  const warnings: string[] = [];
  await probot.load(
    lanegate({ db, appId: 4242, lifecycle, access: { kind: "public" }, redeliverEveryMs: MINUTE }),
    { cwd: process.cwd(), addHandler: () => undefined },
  );
  lifecycle.warn = (m) => warnings.push(m); // after load, which gives it the app's logger
  return { db, lifecycle, warnings };
}

/** The App's own client, as `recoverDeliveries` gets it, talking to `log`. */
const appClient = (log: DeliveryLog) =>
  new ProbotOctokit({ request: { fetch: log.fetch }, ...octokitOptions });

const quiet = { info: () => undefined, warn: () => undefined };

describe("redelivery of many failed deliveries", () => {
  it("asks for each of 150 failed deliveries once, with checks every minute that never overlap", async () => {
    vi.useFakeTimers({ now: START });
    const log = new DeliveryLog(150);
    const { db, lifecycle, warnings } = await serverWith(log);
    // The first check takes 150 s: the ticks at one and two minutes fall during it.
    await vi.advanceTimersByTimeAsync(10 * MINUTE);

    expect(log.problems).toEqual([]);
    expect(log.askedTwice()).toEqual({});
    expect(new Set(log.asked).size).toBe(150);
    expect(log.listedWhileAsking).toBe(0);
    const skips = (await lifecycle.metrics.jobSkips.get()).values;
    expect(skips).toEqual([{ labels: { job: "redelivery" }, value: 2 }]);
    expect(warnings.filter((w) => w.startsWith("redelivery skipped"))).toHaveLength(2);
    const rows = await read(db, (q) => q.select().from(tables(q).redeliveries));
    expect(rows).toHaveLength(150);
    expect(new Set(rows.map((r) => r.result))).toEqual(new Set(["asked"]));
  });

  it("does not ask again, after a restart, for a delivery whose request a stop cut short", async () => {
    vi.useFakeTimers({ now: START });
    const log = new DeliveryLog(5);
    log.hangOn = "guid-3";
    const db = openDatabase(":memory:");
    const deps = { db, appId: 4242, now: () => new Date(), log: quiet };
    // The first process asks for guid-5 and guid-4, then stops while GitHub answers guid-3.
    void recoverDeliveries(deps, appClient(log), () => undefined);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(log.asked).toEqual(["guid-5", "guid-4", "guid-3"]);

    log.hangOn = null;
    const report = await (async () => {
      const next = recoverDeliveries(deps, appClient(log), () => undefined);
      await vi.advanceTimersByTimeAsync(10_000);
      return next;
    })();
    expect(report.asked).toEqual(["guid-2", "guid-1"]);
    expect(log.askedTwice()).toEqual({});
    const cut = (await read(db, (q) => q.select().from(tables(q).redeliveries))).find(
      (r) => r.guid === "guid-3",
    );
    expect(cut?.result).toBe("claimed");
  });

  it("asks for each delivery once when two processes on one database check at the same time", async () => {
    vi.useFakeTimers({ now: START });
    const log = new DeliveryLog(20);
    const db = openDatabase(":memory:");
    const deps = { db, appId: 4242, now: () => new Date(), log: quiet };
    const both = Promise.all([
      recoverDeliveries(deps, appClient(log), () => undefined),
      recoverDeliveries(deps, appClient(log), () => undefined),
    ]);
    await vi.advanceTimersByTimeAsync(60_000);
    const [a, b] = await both;
    expect(log.askedTwice()).toEqual({});
    expect(new Set(log.asked).size).toBe(20);
    expect(a.asked.length + b.asked.length).toBe(20);
    expect(log.problems).toEqual([]);
  });
});
