// The wait action (wait/index.js) against the real local stand-in over HTTP. lanegate's check
// runs are written through the stand-in's REST API with an installation token, as the app
// writes them; time is a fake clock that the injected sleep moves, so waiting costs nothing.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type RunningStandin, startStandin } from "../../standin/index.ts";
import { type Env, type WaitResult, wait } from "../../wait/index.js";
import { checkRequest } from "../support/openapi.ts";

const REPO = "acme/infra";
const LANE = "cm/testing";
const CHECK = `lanegate: ${LANE}`;
const FAKE_JWT = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOjF9.c2lnbmF0dXJl";
// The app id GitHub gives check runs that a workflow's GITHUB_TOKEN writes.
const GITHUB_ACTIONS_APP_ID = 15368;
const ACTION = join(import.meta.dirname, "../../wait/index.js");

let running: RunningStandin;
let token: string;
let runId: number;
let sha: string;
let clock: number;
let sleeps: number[];
let lines: string[];
let onSleep: ((count: number) => Promise<void>) | undefined;

beforeEach(async () => {
  running = await startStandin();
  const s = running.standin;
  s.addRepo(REPO);
  const minted = await fetch(
    `${running.url}/api/v3/app/installations/${s.repo(REPO).installationId}/access_tokens`,
    {
      method: "POST",
      headers: { authorization: `Bearer ${FAKE_JWT}`, accept: "application/vnd.github+json" },
    },
  );
  token = String(field(await minted.json(), "token"));
  const dispatched = s.dispatchWorkflow(REPO, {
    workflowPath: "odoo-stable-bootstrap.yml",
    actor: "alice",
    inputs: { context: "cm", instance: "testing", source: "empty", confirmation: "wipe cm/testing" },
  });
  runId = dispatched.runId;
  const run = s.repo(REPO).runs.get(runId);
  if (!run) throw new Error("the stand-in lost the run");
  sha = run.headSha;
  clock = 1_700_000_000_000;
  sleeps = [];
  lines = [];
  onSleep = undefined;
});

afterEach(() => running.close());

function field(value: unknown, ...path: (string | number)[]): unknown {
  let current = value;
  for (const key of path) {
    if (typeof current !== "object" || current === null) return undefined;
    current = Reflect.get(current, key);
  }
  return current;
}

async function api(method: string, path: string, body: unknown): Promise<unknown> {
  const response = await fetch(`${running.url}/api/v3${path}`, {
    method,
    headers: {
      authorization: `token ${token}`,
      accept: "application/vnd.github+json",
      "content-type": "application/json",
    },
    body: JSON.stringify(body),
  });
  expect(response.ok).toBe(true);
  return response.json();
}

interface CheckOptions {
  externalId?: string;
  status?: "queued" | "in_progress" | "completed";
  conclusion?: string;
  title?: string;
  summary?: string;
}

/** Writes a check run the way lanegate does; returns its id. */
async function writeCheck(o: CheckOptions = {}): Promise<number> {
  const created = await api("POST", `/repos/${REPO}/check-runs`, {
    name: CHECK,
    head_sha: sha,
    external_id: o.externalId ?? `${runId}:1`,
    status: o.status ?? "completed",
    ...(o.status === undefined || o.status === "completed" ? { conclusion: o.conclusion ?? "success" } : {}),
    output: { title: o.title ?? "Allowed cm/testing", summary: o.summary ?? "- lane known: ok" },
  });
  return Number(field(created, "id"));
}

async function completeCheck(id: number, conclusion: string): Promise<void> {
  await api("PATCH", `/repos/${REPO}/check-runs/${id}`, {
    conclusion,
    output: { title: `Decided: ${conclusion}`, summary: "- every check: ok" },
  });
}

function actionEnv(extra: Env = {}): Env {
  return {
    "INPUT_APP-ID": String(running.standin.app.id),
    INPUT_LANE: LANE,
    INPUT_TOKEN: token,
    "INPUT_TIMEOUT-SECONDS": "600",
    "INPUT_INTERVAL-SECONDS": "5",
    GITHUB_REPOSITORY: REPO,
    GITHUB_SHA: sha,
    GITHUB_RUN_ID: String(runId),
    GITHUB_RUN_ATTEMPT: "1",
    GITHUB_API_URL: `${running.url}/api/v3`,
    ...extra,
  };
}

function runWait(extra: Env = {}, fetchImpl: typeof fetch = fetch): Promise<WaitResult> {
  const sleep = async (ms: number): Promise<void> => {
    sleeps.push(ms);
    clock += ms;
    await onSleep?.(sleeps.length);
  };
  return wait(
    actionEnv(extra),
    fetchImpl,
    sleep,
    () => clock,
    (line) => lines.push(line),
  );
}

const output = (): string => lines.join("\n");

/** Answers with the stand-in's real list plus check runs it cannot write (another app's). */
function withExtraCheckRuns(extra: () => unknown[]): typeof fetch {
  return async (input, init) => {
    const real = await fetch(input, init);
    const body: unknown = await real.json();
    const runs = field(body, "check_runs");
    if (!Array.isArray(runs)) throw new Error("the stand-in sent no check_runs");
    const all = [...runs, ...extra()];
    const headers = new Headers(real.headers);
    headers.delete("content-length");
    return new Response(JSON.stringify({ total_count: all.length, check_runs: all }), {
      status: real.status,
      headers,
    });
  };
}

/** A check run with lanegate's name and this run's external_id, written by a workflow token. */
function forgedCheckRun(): unknown {
  return {
    id: 9_999_999,
    name: CHECK,
    head_sha: sha,
    external_id: `${runId}:1`,
    status: "completed",
    conclusion: "success",
    html_url: `${running.url}/${REPO}/runs/9999999`,
    output: { title: "Allowed (forged)", summary: "" },
    app: { id: GITHUB_ACTIONS_APP_ID, slug: "github-actions" },
  };
}

describe("deciding", () => {
  it("passes when lanegate's check run for this run attempt concluded success", async () => {
    await writeCheck({ conclusion: "success", title: "Allowed cm/testing" });
    const result = await runWait();
    expect(result).toMatchObject({ exitCode: 0, conclusion: "success" });
    expect(result.checkRunUrl).toMatch(new RegExp(`/${REPO}/runs/\\d+$`));
    expect(output()).toContain("lanegate allowed cm/testing: Allowed cm/testing");
  });

  it("fails with exit code 1 and prints the title and summary when lanegate refused the run", async () => {
    await writeCheck({
      conclusion: "failure",
      title: "Refused cm/testing: no active grant allows source empty",
      summary: "- lane known: ok\n- grant allows source: **refused**",
    });
    const result = await runWait();
    expect(result).toMatchObject({ exitCode: 1, conclusion: "failure" });
    expect(lines).toContain("- grant allows source: **refused**");
    expect(lines.find((l) => l.startsWith("::error "))).toContain(
      "Refused cm/testing: no active grant allows source empty",
    );
  });

  it("keeps the refusal summary from being read as workflow commands", async () => {
    await writeCheck({ conclusion: "failure", summary: "::add-mask::nothing\n::set-env name=X::y" });
    await runWait();
    const stop = lines.findIndex((l) => l.startsWith("::stop-commands::"));
    const token = lines[stop]?.slice("::stop-commands::".length);
    const resume = lines.indexOf(`::${token}::`);
    expect(stop).toBeGreaterThanOrEqual(0);
    expect(lines.indexOf("::add-mask::nothing")).toBeGreaterThan(stop);
    expect(resume).toBeGreaterThan(lines.indexOf("::set-env name=X::y"));
  });

  it("fails on any conclusion other than success", async () => {
    await writeCheck({ conclusion: "neutral" });
    expect(await runWait()).toMatchObject({ exitCode: 1, conclusion: "neutral" });
  });

  it("lets the newest of lanegate's check runs for the attempt carry the decision", async () => {
    await writeCheck({ conclusion: "success" });
    await writeCheck({ conclusion: "failure", title: "Refused on re-request" });
    // GitHub documents no order for this list; the stand-in's newest-first must not matter.
    const oldestFirst: typeof fetch = async (input, init) => {
      const real = await fetch(input, init);
      const runs = field(await real.json(), "check_runs");
      if (!Array.isArray(runs)) throw new Error("the stand-in sent no check_runs");
      return Response.json({ total_count: runs.length, check_runs: [...runs].reverse() });
    };
    expect(await runWait({}, oldestFirst)).toMatchObject({ exitCode: 1, conclusion: "failure" });
  });

  it("trims and lower-cases the lane as lanegate does before naming the check", async () => {
    await writeCheck({ conclusion: "success" });
    expect(await runWait({ INPUT_LANE: " CM/Testing " })).toMatchObject({ exitCode: 0 });
  });
});

describe("whose check run counts", () => {
  // The stand-in writes every check run as lanegate (installation tokens act as the app) and
  // filters by app_id itself, so another app's check run cannot come from it: a fetch wrapper
  // in front of the real stand-in adds one to the real answer, as GitHub would list a check run
  // that a workflow's GITHUB_TOKEN wrote with the same name and external_id.
  it("ignores a newer check run with lanegate's name and external_id written by another app", async () => {
    await writeCheck({ conclusion: "failure", title: "Refused cm/testing" });
    const result = await runWait(
      {},
      withExtraCheckRuns(() => [forgedCheckRun()]),
    );
    expect(result).toMatchObject({ exitCode: 1, conclusion: "failure" });
  });

  it("does not take another app's success as a decision", async () => {
    const result = await runWait(
      { "INPUT_TIMEOUT-SECONDS": "30" },
      withExtraCheckRuns(() => [forgedCheckRun()]),
    );
    expect(result).toMatchObject({ exitCode: 1, conclusion: "" });
    expect(output()).toContain("no decision from lanegate within 30 s");
  });

  it("ignores lanegate's decision for another attempt of the same run", async () => {
    await writeCheck({ externalId: `${runId}:1`, conclusion: "success" });
    running.standin.rerunRun(REPO, runId, "alice");
    const result = await runWait({ GITHUB_RUN_ATTEMPT: "2", "INPUT_TIMEOUT-SECONDS": "30" });
    expect(result.exitCode).toBe(1);
    expect(output()).toContain("no decision from lanegate within 30 s");
  });

  it("finds its check run on a later page of a busy commit", async () => {
    await writeCheck({ externalId: `${runId}:1`, conclusion: "success" });
    for (let other = 1; other <= 100; other += 1) {
      await writeCheck({ externalId: `${runId + other}:1`, conclusion: "failure" });
    }
    expect(await runWait()).toMatchObject({ exitCode: 0, conclusion: "success" });
    const pages = running.standin.requests.filter((r) => r.method === "GET").map((r) => r.query.page);
    expect(pages).toEqual([undefined, "2"]);
  });
});

describe("waiting", () => {
  it("waits for a check run that is still in progress", async () => {
    const id = await writeCheck({ status: "in_progress" });
    onSleep = async (count) => {
      if (count === 2) await completeCheck(id, "success");
    };
    expect(await runWait()).toMatchObject({ exitCode: 0, conclusion: "success" });
    expect(lines.filter((l) => l === `waiting for ${CHECK} (check in_progress)`)).toHaveLength(2);
  });

  it("waits for a check run that lanegate has not written yet", async () => {
    onSleep = async (count) => {
      if (count === 1) await writeCheck({ conclusion: "success" });
    };
    expect(await runWait()).toMatchObject({ exitCode: 0 });
    expect(lines).toContain(`waiting for ${CHECK} (check not written yet)`);
  });

  it("fails closed when lanegate decides nothing within the timeout", async () => {
    const result = await runWait();
    expect(result).toMatchObject({ exitCode: 1, conclusion: "", checkRunUrl: "" });
    expect(output()).toContain("no decision from lanegate within 600 s");
    expect(clock - 1_700_000_000_000).toBe(600_000);
  });

  it("backs off from the interval to at most 30 s between polls", async () => {
    await runWait({ "INPUT_TIMEOUT-SECONDS": "300" });
    expect(sleeps.slice(0, 3)).toEqual([5_000, 7_500, 11_250]);
    expect(Math.max(...sleeps)).toBe(30_000);
  });

  it("logs one progress line per poll", async () => {
    await runWait({ "INPUT_TIMEOUT-SECONDS": "60" });
    const polls = running.standin.requests.filter((r) => r.method === "GET").length;
    expect(lines.filter((l) => l.startsWith("waiting for "))).toHaveLength(polls);
  });
});

describe("errors", () => {
  it("retries a transient 502 and then takes the decision", async () => {
    await writeCheck({ conclusion: "success" });
    running.standin.failNext({ method: "GET", pathPattern: /\/check-runs$/, status: 502, times: 2 });
    expect(await runWait()).toMatchObject({ exitCode: 0, conclusion: "success" });
    expect(lines).toContain(`waiting for ${CHECK} (GitHub answered 502 (Bad Gateway); retrying)`);
  });

  it("retries a network error and then takes the decision", async () => {
    await writeCheck({ conclusion: "success" });
    let failures = 1;
    const flaky: typeof fetch = (input, init) =>
      failures-- > 0 ? Promise.reject(new TypeError("fetch failed")) : fetch(input, init);
    expect(await runWait({}, flaky)).toMatchObject({ exitCode: 0 });
    expect(output()).toContain("network error: fetch failed; retrying");
  });

  it("fails closed when 5xx answers persist past the timeout", async () => {
    await writeCheck({ conclusion: "success" });
    running.standin.failNext({ method: "GET", pathPattern: /\/check-runs$/, status: 503, times: 1_000 });
    const result = await runWait({ "INPUT_TIMEOUT-SECONDS": "60" });
    expect(result.exitCode).toBe(1);
    expect(output()).toContain("no decision from lanegate within 60 s");
    expect(output()).toContain("last error: GitHub answered 503");
  });

  it("fails at once when GitHub refuses the token", async () => {
    await writeCheck({ conclusion: "success" });
    const result = await runWait({ INPUT_TOKEN: "ghs_not-a-token" });
    expect(result.exitCode).toBe(1);
    expect(sleeps).toEqual([]);
    expect(output()).toContain("GitHub answered 401");
  });

  it("fails closed on an answer that is not JSON", async () => {
    const html: typeof fetch = async () => new Response("<html>hi</html>", { status: 200 });
    const result = await runWait({}, html);
    expect(result.exitCode).toBe(1);
    expect(output()).toContain("malformed answer from GitHub");
  });

  it("fails closed on a completed check run without a conclusion", async () => {
    const broken = withExtraCheckRuns(() => [
      {
        id: 9_999_999,
        name: CHECK,
        external_id: `${runId}:1`,
        status: "completed",
        conclusion: null,
        app: { id: running.standin.app.id },
      },
    ]);
    const result = await runWait({}, broken);
    expect(result.exitCode).toBe(1);
    expect(output()).toContain("has no conclusion");
  });

  it("fails at once on a lane that is not <context>/<instance>", async () => {
    const result = await runWait({ INPUT_LANE: "cm" });
    expect(result.exitCode).toBe(1);
    expect(running.standin.requests.filter((r) => r.method === "GET")).toEqual([]);
    expect(output()).toContain("input lane must be <context>/<instance>");
  });

  it("fails at once without lanegate's app id", async () => {
    const result = await runWait({ "INPUT_APP-ID": "" });
    expect(result.exitCode).toBe(1);
    expect(output()).toContain("input app-id must be lanegate's GitHub App id");
  });
});

describe("talking to GitHub", () => {
  it("asks for the app's check runs by name with filter=all, as GitHub documents the request", async () => {
    await writeCheck({ conclusion: "success" });
    const seen: { url: string; headers: Headers }[] = [];
    const spy: typeof fetch = (input, init) => {
      seen.push({ url: String(input), headers: new Headers(init?.headers) });
      return fetch(input, init);
    };
    await runWait({}, spy);
    const [first] = seen;
    if (!first) throw new Error("no request");
    const url = new URL(first.url);
    expect(url.pathname).toBe(`/api/v3/repos/${REPO}/commits/${sha}/check-runs`);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      check_name: CHECK,
      app_id: String(running.standin.app.id),
      filter: "all",
      per_page: "100",
    });
    expect(first.headers.get("authorization")).toBe(`Bearer ${token}`);
    expect(first.headers.get("accept")).toBe("application/vnd.github+json");
    expect(first.headers.get("x-github-api-version")).toBe("2022-11-28");
    expect(checkRequest("GET", first.url, undefined)).toEqual([]);
  });
});

describe("as an action", () => {
  it("writes the conclusion and check-run-url outputs and a step summary", async () => {
    await writeCheck({ conclusion: "success", title: "Allowed cm/testing", summary: "- lane known: ok" });
    const dir = mkdtempSync(join(tmpdir(), "lanegate-wait-"));
    const outputs = join(dir, "output");
    const summary = join(dir, "summary");
    writeFileSync(outputs, "earlier=1\n");
    const result = await runWait({ GITHUB_OUTPUT: outputs, GITHUB_STEP_SUMMARY: summary });
    expect(readFileSync(outputs, "utf8")).toBe(
      `earlier=1\nconclusion=success\ncheck-run-url=${result.checkRunUrl}\n`,
    );
    expect(readFileSync(summary, "utf8")).toContain("- lane known: ok");
  });

  it("exits 0 when run with node and lanegate allowed the run", async () => {
    await writeCheck({ conclusion: "success" });
    const dir = mkdtempSync(join(tmpdir(), "lanegate-wait-"));
    const env = { PATH: process.env.PATH, ...actionEnv({ GITHUB_OUTPUT: join(dir, "output") }) };
    const { stdout } = await promisify(execFile)(process.execPath, [ACTION], { env });
    expect(stdout).toContain("lanegate allowed cm/testing");
    expect(readFileSync(join(dir, "output"), "utf8")).toContain("conclusion=success\n");
  });

  it("exits 1 when run with node and lanegate refused the run", async () => {
    await writeCheck({ conclusion: "failure", title: "Refused cm/testing" });
    const env = { PATH: process.env.PATH, ...actionEnv() };
    const exit = await promisify(execFile)(process.execPath, [ACTION], { env }).then(
      () => 0,
      (error: unknown) => field(error, "code"),
    );
    expect(exit).toBe(1);
  });
});
