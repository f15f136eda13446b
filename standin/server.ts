// The HTTP face of the stand-in: prefix handling, auth, pagination, fault injection and the
// request log around the routes in routes.ts.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { serveBlob } from "./actions.ts";
import { type Ctx, HttpError, type Reply, ROUTES } from "./routes.ts";
import { Standin } from "./standin.ts";

const DOCS = "https://docs.github.com/rest";
// GitHub Enterprise Server (how Probot's GHE_HOST reaches us) serves the API under /api/v3.
const PREFIX = "/api/v3";

const MESSAGES: Record<number, string> = {
  400: "Problems parsing JSON",
  401: "Bad credentials",
  403: "Resource not accessible by integration",
  404: "Not Found",
  409: "Conflict",
  422: "Validation Failed",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
};

interface Answer extends Reply {
  headers: Record<string, string>;
}

const errorAnswer = (
  status: number,
  message = MESSAGES[status] ?? "Error",
  headers = {},
  extra = {},
): Answer => ({
  status,
  headers,
  json: { message, ...extra, documentation_url: DOCS },
});

function authorize(s: Standin, route: (typeof ROUTES)[number], header: string | undefined): number | Answer {
  if (route.auth === "none") return 0;
  const match = /^(?:token|bearer)\s+(\S+)$/i.exec(header ?? "");
  const credential = match?.[1];
  if (!credential) return errorAnswer(401, "Requires authentication");
  if (route.auth === "app") {
    // Any JWT will do: the stand-in trusts whoever holds a key for the app.
    const isJwt = /^bearer/i.test(header ?? "") && credential.split(".").length === 3;
    return isJwt ? 0 : errorAnswer(401, "A JSON web token could not be decoded");
  }
  // Expiry is not enforced: the app's token cache runs on real time while tests move the clock.
  return s.tokens.get(credential) ?? errorAnswer(401);
}

function answer(s: Standin, req: IncomingMessage, url: URL, path: string, body: unknown): Answer {
  const method = req.method ?? "GET";
  const failure = s.takeFailure(method, path);
  if (failure !== undefined) return errorAnswer(failure);
  for (const route of ROUTES) {
    const match = route.method === method ? route.pattern.exec(path) : null;
    if (!match) continue;
    const auth = authorize(s, route, req.headers.authorization);
    if (typeof auth !== "number") return auth;
    const headers: Record<string, string> = {};
    const params = Object.fromEntries(
      route.names.map((name, i) => [name, decodeURIComponent(match[i + 1] ?? "")]),
    );
    const ctx: Ctx = {
      s,
      params,
      query: url.searchParams,
      body,
      accept: req.headers.accept ?? "",
      ifNoneMatch: req.headers["if-none-match"] ?? "",
      installationId: auth,
      authorization: req.headers.authorization ?? "",
      page: (items) => paginate(url, items, headers),
    };
    try {
      const reply = route.handle(ctx);
      return { ...reply, headers: { ...headers, ...reply.headers } };
    } catch (error) {
      if (error instanceof HttpError)
        return errorAnswer(error.status, error.message, error.headers, error.extra);
      throw error;
    }
  }
  return errorAnswer(404);
}

function paginate<T>(url: URL, items: T[], headers: Record<string, string>): T[] {
  const perPage = Math.min(100, Math.max(1, Number(url.searchParams.get("per_page")) || 30));
  const page = Math.max(1, Number(url.searchParams.get("page")) || 1);
  const last = Math.max(1, Math.ceil(items.length / perPage));
  const link = (n: number, rel: string) => {
    const target = new URL(url);
    target.searchParams.set("page", String(n));
    return `<${target}>; rel="${rel}"`;
  };
  const links = [
    ...(page > 1 ? [link(page - 1, "prev")] : []),
    ...(page < last ? [link(page + 1, "next"), link(last, "last")] : []),
    ...(page > 1 ? [link(1, "first")] : []),
  ];
  if (links.length > 0) headers.link = links.join(", ");
  return items.slice((page - 1) * perPage, page * perPage);
}

async function readBody(req: IncomingMessage): Promise<{ body: unknown; bad: boolean }> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  const raw = Buffer.concat(chunks).toString("utf8");
  if (raw.trim() === "") return { body: undefined, bad: false };
  try {
    return { body: JSON.parse(raw), bad: false };
  } catch {
    return { body: raw, bad: true };
  }
}

async function handle(s: Standin, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", `http://${req.headers.host ?? "127.0.0.1"}`);
  const path = url.pathname.startsWith(`${PREFIX}/`) ? url.pathname.slice(PREFIX.length) : url.pathname;
  const method = req.method ?? "GET";
  if (serveBlob(s, req, res, url.pathname)) return;
  const { body, bad } = await readBody(req);
  s.onRequest?.(method, `${path}${url.search}`, body);
  await s.holdAnswer?.(method, path);
  const reply = bad ? errorAnswer(400) : answer(s, req, url, path, body);
  const query = Object.fromEntries(url.searchParams);
  s.requests.push({ method, path, query, status: reply.status, body });
  const headers = { ...reply.headers, "x-github-request-id": `STANDIN:${s.requests.length}` };
  if (reply.html !== undefined) {
    res.writeHead(reply.status, { ...headers, "content-type": "text/html; charset=utf-8" }).end(reply.html);
  } else if (reply.text !== undefined) {
    res.writeHead(reply.status, { ...headers, "content-type": "text/plain; charset=utf-8" }).end(reply.text);
  } else if (reply.json === undefined) {
    res.writeHead(reply.status, headers).end();
  } else {
    const json = JSON.stringify(reply.json);
    res.writeHead(reply.status, { ...headers, "content-type": "application/json; charset=utf-8" }).end(json);
  }
}

export interface RunningStandin {
  url: string;
  port: number;
  standin: Standin;
  close(): Promise<void>;
}

/** Serves a stand-in on 127.0.0.1 (port 0 picks a free one) and points its URLs at itself. */
export async function startStandin(
  options: { port?: number; standin?: Standin } = {},
): Promise<RunningStandin> {
  const standin = options.standin ?? new Standin();
  const server = createServer((req, res) => {
    handle(standin, req, res).catch((error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      if (!res.headersSent) res.writeHead(500, { "content-type": "application/json; charset=utf-8" });
      res.end(JSON.stringify({ message, documentation_url: DOCS }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  standin.apiUrl = `${url}${PREFIX}`;
  standin.htmlUrl = url;
  const close = () =>
    new Promise<void>((resolve, reject) => {
      server.closeAllConnections();
      server.close((error) => (error ? reject(error) : resolve()));
    });
  return { url, port, standin, close };
}
