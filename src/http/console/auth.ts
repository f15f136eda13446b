// Sign-in with the App's user-to-server OAuth: /lanegate/login sends the browser to GitHub with a
// state and a PKCE challenge, /lanegate/login/callback checks the state, trades the code (with the
// verifier) for a user token, asks GitHub whose it is, drops the token and sets the session cookie.
import type { IncomingMessage, ServerResponse } from "node:http";
import {
  authorizeUrl,
  type GitHubHosts,
  type OAuthClient,
  OAuthError,
  signedInLogin,
} from "../../adapters/github/console.ts";
import { html } from "./html.ts";
import { page } from "./layout.ts";
import type { Sessions } from "./session.ts";

export interface SignIn {
  sessions: Sessions;
  hosts: GitHubHosts;
  client: OAuthClient;
  warn(message: string): void;
}

/** Only a console path may be returned to after sign-in: never another site. */
export function safeReturn(raw: string | null): string {
  return raw && /^\/lanegate\/[^/\\]?/.test(raw) && !raw.startsWith("//") && !raw.includes("\\")
    ? raw
    : "/lanegate/";
}

export function startSignIn(s: SignIn, base: string, url: URL, res: ServerResponse) {
  const { state, challenge, cookie } = s.sessions.startSignIn(safeReturn(url.searchParams.get("return_to")));
  const target = authorizeUrl(s.hosts, s.client, {
    redirectUri: `${base}/lanegate/login/callback`,
    state,
    codeChallenge: challenge,
  });
  res.writeHead(302, { location: target, "set-cookie": cookie, "cache-control": "no-store" }).end();
}

export async function finishSignIn(
  s: SignIn,
  base: string,
  url: URL,
  req: IncomingMessage,
  res: ServerResponse,
) {
  const started = s.sessions.finishSignIn(req, url.searchParams.get("state"));
  const code = url.searchParams.get("code");
  const refuse = (status: number, why: string) => {
    const body = page(
      "Sign-in failed",
      { login: null, csrf: null },
      html`<p>${why}</p><p><a href="/lanegate/login">Sign in again</a></p>`,
    );
    res
      .writeHead(status, { "content-type": "text/html; charset=utf-8", "set-cookie": s.sessions.endSignIn() })
      .end(body.text);
  };
  if (!started) return refuse(400, "This sign-in was not started here, or it took longer than ten minutes.");
  if (!code)
    return refuse(
      400,
      `GitHub did not sign you in: ${url.searchParams.get("error_description") ?? "no code came back"}.`,
    );
  let login: string;
  try {
    login = await signedInLogin(s.hosts, s.client, {
      code,
      codeVerifier: started.verifier,
      redirectUri: `${base}/lanegate/login/callback`,
    });
  } catch (error) {
    s.warn(`console sign-in failed: ${String(error)}`);
    return refuse(
      502,
      error instanceof OAuthError ? error.message : "GitHub could not be reached to finish the sign-in.",
    );
  }
  res
    .writeHead(303, {
      location: started.returnTo,
      "set-cookie": [s.sessions.endSignIn(), s.sessions.startSession(login)],
      "cache-control": "no-store",
    })
    .end();
}
