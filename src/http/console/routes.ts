// The operator console under /lanegate/: server-rendered pages for people signed in with GitHub,
// the same URLs answering JSON for `Accept: application/json`. A repository the person cannot read
// answers exactly as one that does not exist. Bearer tokens (machines) may read every page's JSON.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Octokit } from "../../adapters/github/client.ts";
import { auditKinds } from "../../adapters/store/console.ts";
import { type Db, read } from "../../adapters/store/db.ts";
import { knownRepositories, repositoryView } from "../../adapters/store/read.ts";
import { parseLaneId } from "../../core/domain.ts";
import type { Decision } from "../../core/gate/decision.ts";
import { type ApiAccess, refusal } from "../access.ts";
import { auditFilter, auditModel, auditPage, auditQuery } from "./audit.ts";
import { finishSignIn, type SignIn, startSignIn } from "./auth.ts";
import { type Html, html } from "./html.ts";
import { laneModel, lanePage } from "./lane.ts";
import { CSP, page, type Viewer } from "./layout.ts";
import { operationModel, operationPage, runModel, runPage } from "./operation.ts";
import { overviewModel, overviewPage } from "./overview.ts";
import { rerun } from "./rerun.ts";
import { simulatePage, simulateQuery, simulateRequest } from "./simulate.ts";
import type { Visibility } from "./visibility.ts";

export interface ConsoleOptions {
  db: Db;
  now: () => Date;
  access: ApiAccess;
  /** The console's public base URL; without it, the request's own host. */
  publicUrl?: string;
  /** Null when the App's client id and secret are not configured: then only machines get in. */
  signIn: SignIn | null;
  visibility: Visibility;
  octokitFor(installationId: number): Promise<Octokit>;
  simulate(repo: string, lane: string, source: string, confirmation: string): Promise<Decision>;
}

/** Who is asking: a signed-in person, or a machine with the read models' bearer token. */
export type Caller = { kind: "person"; login: string; exp: number } | { kind: "machine" };

const NOT_FOUND = "Not found: there is nothing here, or nothing you can read.";

export function consoleHandler(o: ConsoleOptions) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const started = process.hrtime.bigint();
    const url = new URL(req.url ?? "/", "http://lanegate.local");
    const path = url.pathname;
    if (!(path === "/lanegate" || path.startsWith("/lanegate/")) || path.startsWith("/lanegate/api"))
      return false;
    const timing = () => `app;dur=${(Number(process.hrtime.bigint() - started) / 1e6).toFixed(1)}`;
    res.setHeader("content-security-policy", CSP);
    res.setHeader("x-content-type-options", "nosniff");
    res.setHeader("referrer-policy", "same-origin");
    res.setHeader("cache-control", "no-store");
    res.setHeader("vary", "Accept, Cookie, Authorization");
    const base = (o.publicUrl ?? `http://${req.headers.host ?? "localhost"}`).replace(/\/+$/, "");
    const wantsJson =
      /application\/json/.test(req.headers.accept ?? "") && !/text\/html/.test(req.headers.accept ?? "");

    const answer = (status: number, json: unknown, view: () => Html) => {
      res.setHeader("server-timing", timing());
      if (wantsJson) {
        res
          .writeHead(status, { "content-type": "application/json; charset=utf-8" })
          .end(JSON.stringify(json));
      } else {
        res.writeHead(status, { "content-type": "text/html; charset=utf-8" }).end(view().text);
      }
      return true;
    };
    const caller = callerOf(o, req);
    const viewer: Viewer = {
      login: caller?.kind === "person" ? caller.login : null,
      csrf: caller?.kind === "person" && o.signIn ? o.signIn.sessions.csrfToken(caller) : null,
    };
    const problem = (status: number, message: string) =>
      answer(status, { message }, () =>
        page(status === 404 ? "Not found" : "Refused", viewer, html`<p>${message}</p>`),
      );

    if (path === "/lanegate") {
      res.writeHead(301, { location: "/lanegate/" }).end();
      return true;
    }
    if (path === "/lanegate/login" || path === "/lanegate/login/callback") {
      if (!o.signIn)
        return problem(
          503,
          "Sign-in needs the App's GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET (npm run register writes them).",
        );
      if (path === "/lanegate/login") startSignIn(o.signIn, base, url, res);
      else await finishSignIn(o.signIn, base, url, req, res);
      return true;
    }
    if (path === "/lanegate/logout") {
      if (req.method === "POST" && o.signIn) {
        res
          .writeHead(303, { location: "/lanegate/signed-out", "set-cookie": o.signIn.sessions.endSession() })
          .end();
        return true;
      }
      return answer(200, { message: "POST here to sign out" }, () =>
        page(
          "Sign out",
          viewer,
          viewer.csrf ? html`<p>Use the Sign out button above.</p>` : html`<p>You are not signed in.</p>`,
        ),
      );
    }
    if (path === "/lanegate/signed-out")
      return answer(200, { message: "signed out" }, () =>
        page(
          "Signed out",
          { login: null, csrf: null },
          html`<p>You are signed out. <a href="/lanegate/">Sign in again</a></p>`,
        ),
      );

    if (!caller) {
      if (wantsJson)
        return problem(401, "Sign in at /lanegate/login, or send the read models' Bearer token.");
      const back = encodeURIComponent(`${path}${url.search}`);
      res.writeHead(302, { location: `/lanegate/login?return_to=${back}` }).end();
      return true;
    }
    const canRead = async (repo: string) =>
      caller.kind === "machine"
        ? (await read(o.db, (q) => repositoryView(q, repo))) !== null
        : o.visibility.canRead(repo, caller.login);
    const readable = async () => {
      const all = (await read(o.db, (q) => knownRepositories(q))).sort();
      return caller.kind === "machine" ? all : o.visibility.readable(all, caller.login);
    };
    const now = o.now();

    if (req.method === "GET" && path === "/lanegate/") {
      const repos = await readable();
      const model = await read(o.db, (q) => overviewModel(q, repos, now));
      return answer(200, model, () => overviewPage(model, viewer));
    }
    if (req.method === "GET" && path === "/lanegate/audit") {
      const repos = await readable();
      const q = auditQuery(url.searchParams);
      const filter = auditFilter(q, repos);
      // The kinds fill the page's filter: a JSON answer has no use for them.
      const { result, kinds } = await read(o.db, async (store) => ({
        result: "error" in filter ? filter : await auditModel(store, filter),
        kinds: wantsJson ? [] : await auditKinds(store, repos),
      }));
      return answer("error" in result ? 400 : 200, result, () => auditPage(result, q, repos, kinds, viewer));
    }
    if (req.method === "GET" && path === "/lanegate/simulate") {
      const repos = await readable();
      const q = simulateQuery(url.searchParams);
      const request = simulateRequest(q, repos);
      const result: Decision | { error: string } | null =
        request === null || "error" in request
          ? request
          : await o.simulate(request.repo, request.lane, request.source, request.confirmation);
      const status = result && "error" in result ? 400 : 200;
      return answer(status, result ?? { message: "ask with repo, lane, source and confirmation" }, () =>
        simulatePage(q, repos, result, viewer),
      );
    }

    const m = /^\/lanegate\/repos\/([^/]+)\/([^/]+)\/(lanes|operations|runs)\/(.+)$/.exec(path);
    if (!m) return problem(404, NOT_FOUND);
    const [, owner = "", name = "", kind, rest = ""] = m;
    const repo = `${decodeURIComponent(owner)}/${decodeURIComponent(name)}`.toLowerCase();
    if (!(await canRead(repo))) return problem(404, NOT_FOUND);
    const flash =
      url.searchParams.get("rerun") === "requested"
        ? "Re-run requested: GitHub re-requests the check run and lanegate decides again. Reload to see the new decision."
        : null;

    if (req.method === "GET" && kind === "lanes") {
      const lane = parseLaneId(decodeURIComponent(rest));
      if (!lane) return problem(404, NOT_FOUND);
      const model = await read(o.db, (q) => laneModel(q, repo, lane.id, now));
      return answer(200, model, () => lanePage(model, viewer));
    }
    const id = /^[1-9][0-9]*$/.test(rest) ? Number(rest) : null;
    if (req.method === "GET" && kind === "operations" && id) {
      const model = await read(o.db, (q) => operationModel(q, repo, id));
      if (!model) return problem(404, NOT_FOUND);
      return answer(200, model, () => operationPage(model, viewer, { csrf: viewer.csrf, flash }));
    }
    if (req.method === "GET" && kind === "runs" && id) {
      const model = await read(o.db, (q) => runModel(q, repo, id));
      if (!model) return problem(404, NOT_FOUND);
      return answer(200, model, () => runPage(model, viewer, { csrf: viewer.csrf, flash }));
    }
    const rerunOf = /^([1-9][0-9]*)\/rerun$/.exec(rest);
    if (req.method === "POST" && kind === "runs" && rerunOf) {
      const outcome = await rerun(o, req, { caller, repo, runId: Number(rerunOf[1]), base });
      if ("location" in outcome) {
        res.setHeader("server-timing", timing());
        res.writeHead(303, { location: outcome.location }).end();
        return true;
      }
      return problem(outcome.status, outcome.message);
    }
    return problem(
      req.method === "GET" ? 404 : 405,
      req.method === "GET" ? NOT_FOUND : "Only re-running a decision is a write here.",
    );
  };
}

function callerOf(o: ConsoleOptions, req: IncomingMessage): Caller | null {
  const session = o.signIn?.sessions.login(req);
  if (session) return { kind: "person", ...session };
  // The read models' own rule decides a bearer token; "public" read models do not open the console.
  if (o.access.kind === "token" && req.headers.authorization && refusal(o.access, req) === null)
    return { kind: "machine" };
  return null;
}
