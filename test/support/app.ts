// A real Probot instance running lanegate against a new store (test/support/store.ts), with every outgoing
// GitHub request checked against GitHub's OpenAPI description before it is sent on (to nock or
// to the local stand-in).
import { generateKeyPairSync } from "node:crypto";
import { type Logger, Probot, ProbotOctokit } from "probot";
import { afterEach, expect } from "vitest";
import type { Db } from "../../src/adapters/store/db.ts";
import { lanegate } from "../../src/app.ts";
import { Lifecycle } from "../../src/service/lifecycle.ts";
import { createMetrics } from "../../src/service/metrics.ts";
import { checkRequest } from "./openapi.ts";
import { testStore } from "./store.ts";

export const APP_ID = 4242;
export const { privateKey: PRIVATE_KEY } = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  privateKeyEncoding: { type: "pkcs8", format: "pem" },
  publicKeyEncoding: { type: "spki", format: "pem" },
});

const watched: string[][] = [];
// Every test that drives the app ends by checking each request it made against GitHub's OpenAPI
// description: not an opt-in assertion a test can forget.
afterEach(() => {
  const problems = watched.splice(0).flat();
  expect(problems, "requests that do not match GitHub's OpenAPI description").toEqual([]);
});

/** A list the current test's requests are checked into; it must be empty when the test ends. */
export function watchedRequests(): string[] {
  const problems: string[] = [];
  watched.push(problems);
  return problems;
}

export interface TestApp {
  probot: Probot;
  db: Db;
  /** Every request that did not match GitHub's description; a test ends with this empty. */
  problems: string[];
  clock: { now: Date };
}

export interface TestAppOptions {
  baseUrl?: string;
  db?: Db;
  /** Keep Octokit's throttling on: writes of an installation paced a second apart, as in production. */
  paced?: boolean;
  /** The app's logger; Probot's default otherwise. */
  log?: Logger;
  /** LANEGATE_DOCS_URL: where the pull-request checks link their rules. */
  docsUrl?: string;
}

export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const db = options.db ?? (await testStore());
  const problems = watchedRequests();
  const clock = { now: new Date("2026-11-23T10:00:00Z") };
  const checkedFetch: typeof fetch = async (input, init) => {
    const request = new Request(input, init);
    const text = request.method === "GET" ? "" : await request.clone().text();
    const body = text ? JSON.parse(text) : undefined;
    problems.push(...checkRequest(request.method, request.url, body));
    return fetch(request);
  };
  const probot = new Probot({
    appId: APP_ID,
    privateKey: PRIVATE_KEY,
    secret: "test-secret",
    baseUrl: options.baseUrl,
    ...(options.log ? { log: options.log } : {}),
    request: { fetch: checkedFetch },
    Octokit: ProbotOctokit.defaults((o: ConstructorParameters<typeof ProbotOctokit>[0]) => ({
      ...o,
      retry: { enabled: false },
      throttle: { ...o?.throttle, enabled: options.paced === true },
    })),
  });
  // Read-model routes are tested through a real server elsewhere; here nothing serves them.
  const lifecycle = new Lifecycle(createMetrics(db), () => clock.now);
  const app = lanegate({
    db,
    appId: APP_ID,
    lifecycle,
    access: { kind: "public" },
    commentBatchMs: 5,
    docsUrl: options.docsUrl,
  });
  await probot.load(app, {
    cwd: process.cwd(),
    addHandler: () => undefined,
  });
  return { probot, db, problems, clock };
}
