// The console's cookies. The session cookie holds the login and its expiry, signed with a key
// derived from the App's client secret; nothing else (the user's GitHub token is never kept). The
// sign-in cookie holds the OAuth state and the PKCE verifier for the ten minutes a sign-in may take.
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";

export const SESSION_COOKIE = "lanegate_session";
export const SIGNIN_COOKIE = "lanegate_signin";
const SESSION_HOURS = 8;

export class Sessions {
  private readonly key: Buffer;
  constructor(
    clientSecret: string,
    /** Whether the console is served over https: then every cookie is `Secure`. */
    readonly secure: boolean,
    private readonly now: () => Date,
  ) {
    // A key of its own, so a signature made here is never a valid signature of anything else.
    this.key = createHmac("sha256", clientSecret).update("lanegate console cookies v1").digest();
  }

  private sign(text: string): string {
    return createHmac("sha256", this.key).update(text).digest("base64url");
  }

  private seal(value: object): string {
    const body = Buffer.from(JSON.stringify(value)).toString("base64url");
    return `${body}.${this.sign(body)}`;
  }

  private open(sealed: string | undefined): Record<string, unknown> | null {
    const [body, mac] = (sealed ?? "").split(".");
    if (!body || !mac || !same(mac, this.sign(body))) return null;
    try {
      const value: unknown = JSON.parse(Buffer.from(body, "base64url").toString("utf8"));
      if (typeof value !== "object" || value === null) return null;
      const exp = Reflect.get(value, "exp");
      return typeof exp === "number" && exp > this.now().getTime()
        ? (value as Record<string, unknown>)
        : null;
    } catch {
      return null;
    }
  }

  private cookie(name: string, value: string, maxAgeSeconds: number): string {
    const secure = this.secure ? "; Secure" : "";
    return `${name}=${value}; Path=/lanegate; HttpOnly; SameSite=Lax; Max-Age=${maxAgeSeconds}${secure}`;
  }

  /** The signed-in login, or null. */
  login(req: IncomingMessage): { login: string; exp: number } | null {
    const session = this.open(cookieOf(req, SESSION_COOKIE));
    const login = session?.login;
    return typeof login === "string" && typeof session?.exp === "number" ? { login, exp: session.exp } : null;
  }

  startSession(login: string): string {
    const exp = this.now().getTime() + SESSION_HOURS * 3_600_000;
    return this.cookie(SESSION_COOKIE, this.seal({ login, exp }), SESSION_HOURS * 3600);
  }

  endSession(): string {
    return this.cookie(SESSION_COOKIE, "", 0);
  }

  /** The form token of a session: bound to the login and the session's expiry, so it dies with it. */
  csrfToken(session: { login: string; exp: number }): string {
    return this.sign(`csrf:${session.login}:${session.exp}`);
  }

  checkCsrf(session: { login: string; exp: number }, given: string | undefined): boolean {
    return given !== undefined && same(given, this.csrfToken(session));
  }

  /** A new sign-in: the state, the PKCE verifier and its S256 challenge, and the cookie holding them. */
  startSignIn(returnTo: string) {
    const state = randomBytes(24).toString("base64url");
    const verifier = randomBytes(48).toString("base64url");
    const challenge = createHash("sha256").update(verifier).digest("base64url");
    const exp = this.now().getTime() + 10 * 60_000;
    const cookie = this.cookie(SIGNIN_COOKIE, this.seal({ state, verifier, returnTo, exp }), 600);
    return { state, challenge, cookie };
  }

  /** The sign-in this browser started, when the callback's state is its state. */
  finishSignIn(req: IncomingMessage, state: string | null): { verifier: string; returnTo: string } | null {
    const signIn = this.open(cookieOf(req, SIGNIN_COOKIE));
    const { verifier, returnTo } = signIn ?? {};
    if (!signIn || typeof signIn.state !== "string" || state === null || !same(signIn.state, state))
      return null;
    return typeof verifier === "string" && typeof returnTo === "string" ? { verifier, returnTo } : null;
  }

  endSignIn(): string {
    return this.cookie(SIGNIN_COOKIE, "", 0);
  }
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookieOf(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const [key, ...value] = part.trim().split("=");
    if (key === name) return value.join("=");
  }
  return undefined;
}
