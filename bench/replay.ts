// The same-requests baseline: a Probot app that, for each delivery, makes the GitHub requests
// lanegate made for it and does nothing else. The driver takes each delivery's requests from the
// stand-in's log (`planOf`), hands them to the app before the delivery, and the app replays them
// (`replay`) through the same Octokit lanegate runs on. Reads go to the stand-in; writes go to
// the mirror (`startMirror`), which answers them as the stand-in answered lanegate.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { ProbotOctokit } from "probot";
import { telemetryPlugin } from "../src/adapters/github/telemetry.ts";
import type { RecordedRequest } from "../standin/index.ts";

/**
 * lanegate's Octokit as src/server.ts builds it for the bench (`throttle: false`): Probot's
 * (retry, pagination, REST methods, enterprise compatibility, request logging, config), the
 * telemetry plugin, throttling off. The telemetry's report is empty: feeding lanegate's metrics
 * with it is lanegate's own work.
 */
export const ReplayOctokit = ProbotOctokit.plugin(telemetryPlugin(() => {})).defaults(
  (o: ConstructorParameters<typeof ProbotOctokit>[0]) => ({
    ...o,
    throttle: { ...o?.throttle, enabled: false },
  }),
);

/** One request to make again: what lanegate sent, and the status the stand-in answered. */
export interface PlannedRequest {
  method: string;
  /** Under the API prefix, numbers as they were: `/repos/acme/platform/issues/7/events`. */
  path: string;
  query: Record<string, string>;
  body: unknown;
  status: number;
}

/** A replayed request whose answer's status differs from the one lanegate got. */
export interface Mismatch {
  route: string;
  expected: number;
  got: number;
}

/** Octokit's auth asks for installation tokens on its own when its cache has none: not replayed. */
const TOKEN = /^\/app\/installations\/\d+\/access_tokens$/;

export function planOf(log: readonly RecordedRequest[]): PlannedRequest[] {
  return log
    .filter((r) => !(r.method === "POST" && TOKEN.test(r.path)))
    .map(({ method, path, query, body, status }) => ({ method, path, query, body, status }));
}

/** The part of Octokit the replay uses: a request by route, as `context.octokit` offers it. */
export interface Requester {
  request(
    route: string,
    parameters: Record<string, unknown>,
  ): Promise<{ status: number; headers: { location?: string } }>;
}

const statusOf = (error: unknown) =>
  typeof error === "object" && error !== null && "status" in error && typeof error.status === "number"
    ? error.status
    : 0;

/**
 * Makes the planned requests one after the other, answers discarded. A write goes to the mirror,
 * which answers with the status in its path. A redirect's target is fetched without credentials
 * and read to the end, as any client must download an artifact (GitHub's storage refuses the
 * token). Answers whose status differs from the plan's are returned, not thrown: the request was
 * made all the same, and the run reports them.
 */
export async function replay(octokit: Requester, plan: readonly PlannedRequest[], mirrorUrl: string) {
  const mismatches: Mismatch[] = [];
  for (const r of plan) {
    const write = r.method !== "GET";
    let got: number;
    try {
      const response = await octokit.request(`${r.method} ${r.path}`, {
        ...r.query,
        ...(write ? { baseUrl: `${mirrorUrl}/${r.status}`, data: r.body } : {}),
        request: { redirect: "manual" },
      });
      got = response.status;
      const location = response.headers.location;
      if (got >= 300 && got < 400 && location) await (await fetch(location)).arrayBuffer();
    } catch (error) {
      got = statusOf(error);
    }
    if (got !== r.status) mismatches.push({ route: `${r.method} ${r.path}`, expected: r.status, got });
  }
  return mismatches;
}

export interface Mirror {
  url: string;
  /** Told of each write answered, as `METHOD /path` and its body: for the tests. */
  onWrite?: (route: string, body: string) => void;
  close(): Promise<void>;
}

/**
 * Answers writes as the stand-in answered lanegate's: the status is the first path segment
 * (`/201/repos/...`), the body is the write's own JSON body (GitHub's answer to a write is the
 * resource it wrote, which carries what was sent). Writes cannot go to the stand-in itself: a
 * replayed write there would change what lanegate reads next (a second status comment, a second
 * check run) or fail where lanegate's succeeded (cancelling a run lanegate already cancelled
 * answers 409, which Octokit's retry plugin retries with back-off).
 */
export async function startMirror(): Promise<Mirror> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const match = /^\/(\d{3})(\/[^?]*)/.exec(req.url ?? "");
      const status = Number(match?.[1] ?? 404);
      const body = Buffer.concat(chunks).toString("utf8");
      mirror.onWrite?.(`${req.method} ${match?.[2] ?? req.url}`, body);
      if (status === 204 || status === 304) res.writeHead(status).end();
      else res.writeHead(status, { "content-type": "application/json; charset=utf-8" }).end(body || "{}");
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as AddressInfo;
  const mirror: Mirror = {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
  return mirror;
}
