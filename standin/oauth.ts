// GitHub's web sign-in for a GitHub App (user-to-server OAuth with PKCE), as far as lanegate's
// console uses it: the authorize page (here a chooser of the stand-in's people, since there is
// no password to type), the code-for-token exchange, and `GET /user` with the user's token.
import { createHash, randomBytes } from "node:crypto";
import type { Ctx, Reply } from "./routes.ts";

export interface OAuthCode {
  login: string;
  clientId: string;
  redirectUri: string;
  challenge: string;
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function field(body: unknown, name: string): string | undefined {
  const value = typeof body === "object" && body !== null ? Reflect.get(body, name) : undefined;
  return typeof value === "string" ? value : undefined;
}

/** GET /login/oauth/authorize: with `login` chosen, straight back to the app with a code. */
function authorize(ctx: Ctx): Reply {
  const q = ctx.query;
  const clientId = q.get("client_id") ?? "";
  const redirectUri = q.get("redirect_uri") ?? "";
  const challenge = q.get("code_challenge") ?? "";
  if (clientId !== ctx.s.oauthApp.clientId) return { status: 404, html: "<p>No such application.</p>" };
  if (!challenge || q.get("code_challenge_method") !== "S256")
    return { status: 400, html: "<p>This stand-in insists on PKCE with S256.</p>" };
  const login = q.get("login");
  if (!login) {
    const people = [...ctx.s.users.values()].filter((u) => u.type === "User");
    const links = people.map((u) => {
      const next = new URLSearchParams(q);
      next.set("login", u.login);
      return `<li><a href="/login/oauth/authorize?${esc(next.toString())}">Sign in as ${esc(u.login)}</a></li>`;
    });
    return {
      status: 200,
      html: `<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>Sign in to the GitHub stand-in</title></head><body><main><h1>Sign in to the GitHub stand-in</h1><p>Authorize ${esc(ctx.s.app.name)} as one of these people:</p><ul>${links.join("")}</ul></main></body></html>`,
    };
  }
  const code = randomBytes(10).toString("hex");
  ctx.s.oauthCodes.set(code, { login: ctx.s.user(login).login, clientId, redirectUri, challenge });
  const back = new URL(redirectUri);
  back.searchParams.set("code", code);
  back.searchParams.set("state", q.get("state") ?? "");
  return { status: 302, headers: { location: back.toString() } };
}

/** POST /login/oauth/access_token: GitHub answers 200 with `error` for a bad code. */
function accessToken(ctx: Ctx): Reply {
  const { body, s } = ctx;
  const code = field(body, "code") ?? "";
  const grant = s.oauthCodes.get(code);
  s.oauthCodes.delete(code);
  const verifier = field(body, "code_verifier") ?? "";
  const challenge = createHash("sha256").update(verifier).digest("base64url");
  const bad = (error: string) => ({ status: 200, json: { error, error_description: error } });
  if (
    field(body, "client_id") !== s.oauthApp.clientId ||
    field(body, "client_secret") !== s.oauthApp.clientSecret
  )
    return bad("incorrect_client_credentials");
  if (!grant || grant.redirectUri !== (field(body, "redirect_uri") ?? grant.redirectUri))
    return bad("bad_verification_code");
  if (grant.challenge !== challenge) return bad("bad_verification_code");
  const token = `ghu_${randomBytes(18).toString("base64url")}`;
  s.userTokens.set(token, grant.login);
  return {
    status: 200,
    json: {
      access_token: token,
      expires_in: 28800,
      refresh_token: `ghr_${randomBytes(18).toString("base64url")}`,
      refresh_token_expires_in: 15811200,
      token_type: "bearer",
      scope: "",
    },
  };
}

/** GET /user: the person a user token belongs to. */
function user(ctx: Ctx): Reply {
  const token = /^(?:token|bearer)\s+(\S+)$/i.exec(ctx.authorization)?.[1] ?? "";
  const login = ctx.s.userTokens.get(token);
  if (!login) return { status: 401, json: { message: "Requires authentication" } };
  const u = ctx.s.user(login);
  return {
    status: 200,
    json: {
      login: u.login,
      id: u.id,
      node_id: `U_${u.id}`,
      type: u.type,
      site_admin: false,
      html_url: `${ctx.s.htmlUrl}/${u.login}`,
    },
  };
}

export function oauthRoutes(): [string, string, "none", (ctx: Ctx) => Reply][] {
  return [
    ["GET", "/login/oauth/authorize", "none", authorize],
    ["POST", "/login/oauth/access_token", "none", accessToken],
    ["GET", "/user", "none", user],
  ];
}
