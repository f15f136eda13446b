// The console over plain HTTP against the real server and the stand-in: what is answered before
// anyone signs in, the sign-in's checks of state and PKCE, and bearer tokens for machines.
import { describe, expect, it } from "vitest";
import { hostsFrom, OAuthError, signedInLogin } from "../../src/adapters/github/console.ts";
import { deliver } from "../../standin/index.ts";
import { startLocalGitHub } from "../../standin/world.ts";
import { boot, onCleanup, tempDatabase } from "../support/http.ts";

const TOKEN = "console-machine-token-0123456789";

async function setup() {
  const local = await startLocalGitHub();
  onCleanup(() => local.running.close());
  const app = await boot(local, tempDatabase(), {
    env: { LANEGATE_API_TOKEN: TOKEN, LANEGATE_API_PUBLIC: "" },
  });
  return { local, app };
}

describe("the console over HTTP", () => {
  it("sends a browser that is not signed in to sign in, and answers a JSON client 401", async () => {
    const { app } = await setup();
    const page = await fetch(`${app.base}/lanegate/audit?kind=gate`, { redirect: "manual" });
    expect(page.status).toBe(302);
    expect(page.headers.get("location")).toBe("/lanegate/login?return_to=%2Flanegate%2Faudit%3Fkind%3Dgate");
    const json = await fetch(`${app.base}/lanegate/`, { headers: { accept: "application/json" } });
    expect(json.status).toBe(401);
  });

  it("refuses a callback whose state is not the one this browser was given", async () => {
    const { app } = await setup();
    const login = await fetch(`${app.base}/lanegate/login`, { redirect: "manual" });
    const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
    const callback = await fetch(`${app.base}/lanegate/login/callback?code=abc&state=forged`, {
      headers: { cookie },
      redirect: "manual",
    });
    expect(callback.status).toBe(400);
    expect(callback.headers.get("set-cookie") ?? "").not.toMatch(/lanegate_session=[^;]/);
  });

  it("trades a code only with the verifier of its challenge (PKCE), as GitHub does", async () => {
    const { local } = await setup();
    const gh = local.standin;
    const hosts = hostsFrom(local.env);
    const client = { clientId: gh.oauthApp.clientId, clientSecret: gh.oauthApp.clientSecret };
    const authorize = new URL(`${hosts.web}/login/oauth/authorize`);
    const params = {
      client_id: client.clientId,
      redirect_uri: "http://localhost/cb",
      state: "s",
      code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
      code_challenge_method: "S256",
      login: "mia",
    };
    for (const [k, v] of Object.entries(params)) authorize.searchParams.set(k, v);
    const code = async () =>
      new URL(
        (await fetch(authorize, { redirect: "manual" })).headers.get("location") ?? "",
      ).searchParams.get("code") ?? "";
    const redirectUri = params.redirect_uri;
    await expect(
      signedInLogin(hosts, client, { code: await code(), codeVerifier: "wrong", redirectUri }),
    ).rejects.toThrow(OAuthError);
    // RFC 7636's example verifier for that challenge.
    const verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    expect(
      await signedInLogin(hosts, client, { code: await code(), codeVerifier: verifier, redirectUri }),
    ).toBe("mia");
  });

  it("lets a machine with the read models' bearer token read the console's JSON, and nothing without it", async () => {
    const { app, local } = await setup();
    const gh = local.standin;
    const opened = gh.openIssue("acme/platform", { author: "olivia", title: "t", body: "no block" });
    for (const d of opened.deliveries) await deliver(app.hook, local.env.WEBHOOK_SECRET ?? "", d);
    const asMachine = await fetch(`${app.base}/lanegate/`, {
      headers: { accept: "application/json", authorization: `Bearer ${TOKEN}` },
    });
    expect(asMachine.status).toBe(200);
    const body = (await asMachine.json()) as { repositories: { repository: string }[] };
    expect(body.repositories.map((r) => r.repository)).toEqual(["acme/platform"]);
    const wrong = await fetch(`${app.base}/lanegate/`, {
      headers: { accept: "application/json", authorization: "Bearer not-the-token-at-all-000000" },
    });
    expect(wrong.status).toBe(401);
  });
});
