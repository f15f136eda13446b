// The console's pieces without a browser: escaping, the weekly plot's counting, the signed cookies
// and their CSRF tokens, where a sign-in may return to, and the audit filter's checks.
import { describe, expect, it } from "vitest";
import { auditFilter, auditQuery } from "../../src/http/console/audit.ts";
import { safeReturn } from "../../src/http/console/auth.ts";
import { html } from "../../src/http/console/html.ts";
import { operationsPerWeek } from "../../src/http/console/plot.ts";
import { SESSION_COOKIE, Sessions } from "../../src/http/console/session.ts";

const request = (cookie: string) =>
  ({ headers: { cookie: cookie.split(";")[0] } }) as unknown as Parameters<Sessions["login"]>[0];

describe("console pages", () => {
  it("escapes every interpolated value but keeps markup made by the template", () => {
    const title = '<img src=x onerror="alert(1)">&';
    expect(html`<p>${title}</p>${html`<b>${"it's"}</b>`}${[1, null, false]}`.text).toBe(
      "<p>&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;</p><b>it&#39;s</b>1",
    );
  });

  it("counts a lane's operations per week by what their evidence left the lane as", () => {
    const now = new Date("2026-12-03T12:00:00Z"); // a Thursday
    const weeks = operationsPerWeek(
      [
        { startedAt: "2026-11-30T00:00:00Z", state: "completed", laneState: "verification_failed" },
        { startedAt: "2026-12-03T08:00:00Z", state: "completed", laneState: "ready" },
        { startedAt: "2026-12-03T09:00:00Z", state: "in_flight", laneState: null },
        { startedAt: "2026-11-29T23:59:59Z", state: "completed", laneState: null },
        { startedAt: "2025-01-01T00:00:00Z", state: "completed", laneState: "ready" },
      ],
      now,
    );
    expect(weeks).toHaveLength(12);
    expect(weeks.at(-1)).toEqual({
      week: "2026-11-30",
      counts: { ready: 1, "not ready": 1, "no evidence": 0, "in flight": 1, stale: 0 },
    });
    expect(weeks.at(-2)?.counts["no evidence"]).toBe(1);
  });

  it("trusts a session cookie only as signed and until it expires, and binds the CSRF token to it", () => {
    let now = new Date("2026-12-03T00:00:00Z");
    const sessions = new Sessions("client-secret", false, () => now);
    const cookie = sessions.startSession("mia");
    expect(cookie).toMatch(/HttpOnly; SameSite=Lax; Max-Age=28800$/);
    const session = sessions.login(request(cookie));
    expect(session?.login).toBe("mia");
    const [body = "", mac = ""] = (cookie.split(";")[0] ?? "").slice(SESSION_COOKIE.length + 1).split(".");
    const forged = Buffer.from(JSON.stringify({ login: "admin", exp: 9e15 })).toString("base64url");
    expect(sessions.login(request(`${SESSION_COOKIE}=${forged}.${mac}`))).toBeNull();
    expect(new Sessions("another-secret", false, () => now).login(request(cookie))).toBeNull();
    if (!session) throw new Error("no session");
    expect(sessions.checkCsrf(session, sessions.csrfToken(session))).toBe(true);
    expect(sessions.checkCsrf(session, undefined)).toBe(false);
    expect(sessions.checkCsrf({ ...session, login: "olivia" }, sessions.csrfToken(session))).toBe(false);
    now = new Date("2026-12-03T08:00:01Z");
    expect(sessions.login(request(`${SESSION_COOKIE}=${body}.${mac}`))).toBeNull();
    expect(new Sessions("client-secret", true, () => now).startSession("mia")).toMatch(/; Secure$/);
  });

  it("finishes a sign-in only in the browser that started it, with the state it was given", () => {
    const sessions = new Sessions("client-secret", false, () => new Date());
    const started = sessions.startSignIn("/lanegate/audit");
    expect(sessions.finishSignIn(request(started.cookie), started.state)?.returnTo).toBe("/lanegate/audit");
    expect(sessions.finishSignIn(request(started.cookie), "another-state")).toBeNull();
    expect(sessions.finishSignIn(request(""), started.state)).toBeNull();
  });

  it("returns after sign-in only to a console page, never to another site", () => {
    expect(safeReturn("/lanegate/repos/acme/platform/lanes/cm/prod")).toBe(
      "/lanegate/repos/acme/platform/lanes/cm/prod",
    );
    for (const bad of [
      "https://evil.example/",
      "//evil.example/lanegate/",
      "/lanegate/\\evil",
      "/other",
      null,
    ])
      expect(safeReturn(bad)).toBe("/lanegate/");
  });

  it("says what is wrong with an audit filter instead of guessing", () => {
    const filter = (query: string) => auditFilter(auditQuery(new URLSearchParams(query)), ["acme/platform"]);
    expect(filter("repo=acme/secret")).toEqual({ error: "no repository acme/secret you can read" });
    expect(filter("lane=cm")).toEqual({ error: '"cm" is not a lane id like cm/testing' });
    expect(filter("since=yesterday")).toEqual({ error: "times are days like 2026-12-01 or ISO times" });
    expect(filter("lane=CM/Prod&issue=3&since=2026-12-01&until=2026-12-02")).toMatchObject({
      repos: ["acme/platform"],
      lane: "cm/prod",
      issue: 3,
      since: "2026-12-01T00:00:00.000Z",
      until: "2026-12-03T00:00:00.000Z",
    });
  });
});
