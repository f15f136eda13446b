// lanegate's wait action: the first step of a gated workflow. It polls the check runs on the
// run's commit until lanegate (and only lanegate, by app id) has written the decision for this
// very run attempt, then passes only if that decision is `success`. Everything else fails
// closed: no decision in time, a refusal, an API error that does not clear, an answer it cannot
// read. Plain JavaScript with no dependencies, because an action ships without node_modules.
import { randomUUID } from "node:crypto";
import { appendFileSync, realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";

const PART = /^[a-z0-9][a-z0-9-]{0,62}$/;
const MAX_INTERVAL_MS = 30_000;
const BACKOFF = 1.5;
const REQUEST_TIMEOUT_MS = 30_000;
// GitHub lists at most the 1000 most recent check suites on a ref: 10 pages of 100.
const MAX_PAGES = 10;

class Failure extends Error {}

/** Reads an input the way the Actions runtime passes it: INPUT_<NAME>, upper-cased. */
function input(env, name) {
  const value = env[`INPUT_${name.replace(/ /g, "_").toUpperCase()}`];
  return typeof value === "string" ? value.trim() : "";
}

function required(env, name, what) {
  const value = env[name]?.trim();
  if (!value) throw new Failure(`${name} is not set: ${what}`);
  return value;
}

function seconds(env, name, fallback) {
  const raw = input(env, name);
  if (raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Failure(`input ${name} must be a positive number`);
  return value;
}

function settings(env) {
  const appIdText = input(env, "app-id");
  if (!/^[1-9][0-9]*$/.test(appIdText) || !Number.isSafeInteger(Number(appIdText))) {
    throw new Failure(
      `input app-id must be lanegate's GitHub App id (a positive integer), got ${JSON.stringify(appIdText)}`,
    );
  }
  const parts = input(env, "lane")
    .split("/")
    .map((part) => part.trim().toLowerCase());
  if (parts.length !== 2 || !parts.every((part) => PART.test(part))) {
    throw new Failure(
      `input lane must be <context>/<instance> (each part ${PART.source}), got ${JSON.stringify(input(env, "lane"))}`,
    );
  }
  const token = input(env, "token");
  if (token === "") throw new Failure("input token is empty: the job needs `permissions: checks: read`");
  const repository = required(env, "GITHUB_REPOSITORY", "run this inside GitHub Actions");
  if (!/^[\w.-]+\/[\w.-]+$/.test(repository))
    throw new Failure(`GITHUB_REPOSITORY is malformed: ${repository}`);
  const sha = required(env, "GITHUB_SHA", "run this inside GitHub Actions");
  if (!/^[0-9a-f]{40}$/i.test(sha)) throw new Failure(`GITHUB_SHA is not a commit SHA: ${sha}`);
  const runId = required(env, "GITHUB_RUN_ID", "run this inside GitHub Actions");
  const attempt = required(env, "GITHUB_RUN_ATTEMPT", "run this inside GitHub Actions");
  const api = (env.GITHUB_API_URL?.trim() || "https://api.github.com").replace(/\/+$/, "");
  const interval = seconds(env, "interval-seconds", 5) * 1000;
  return {
    appId: Number(appIdText),
    lane: parts.join("/"),
    checkName: `lanegate: ${parts.join("/")}`,
    token,
    repository,
    sha,
    externalId: `${runId}:${attempt}`,
    api,
    timeoutMs: seconds(env, "timeout-seconds", 600) * 1000,
    intervalMs: interval,
    maxIntervalMs: Math.max(MAX_INTERVAL_MS, interval),
  };
}

const isObject = (value) => typeof value === "object" && value !== null && !Array.isArray(value);

/** The outcome of one request: a page of check runs, a transient error, or a hard failure. */
async function getPage(fetch, url, token) {
  let response;
  try {
    response = await fetch(url, {
      headers: {
        authorization: `Bearer ${token}`,
        accept: "application/vnd.github+json",
        "x-github-api-version": "2022-11-28",
        "user-agent": "lanegate-wait",
      },
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (error) {
    return { transient: `network error: ${error instanceof Error ? error.message : String(error)}` };
  }
  const text = await response.text().catch(() => "");
  if (!response.ok) {
    const message = messageOf(text);
    const what = `GitHub answered ${response.status}${message ? ` (${message})` : ""}`;
    const limited =
      response.status === 429 ||
      (response.status === 403 &&
        (response.headers.get("x-ratelimit-remaining") === "0" || /rate limit/i.test(message)));
    if (response.status >= 500 || limited) return { transient: what };
    const hint =
      response.status === 401 || response.status === 403 || response.status === 404
        ? "; the job needs `permissions: checks: read` and a token for this repository"
        : "";
    throw new Failure(`${what} for ${url}${hint}`);
  }
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Failure(`malformed answer from GitHub: not JSON (${text.slice(0, 80)})`);
  }
  if (!isObject(body) || !Array.isArray(body.check_runs)) {
    throw new Failure("malformed answer from GitHub: no check_runs list");
  }
  return { runs: body.check_runs, next: nextLink(response.headers.get("link")) };
}

function messageOf(text) {
  try {
    const body = JSON.parse(text);
    return isObject(body) && typeof body.message === "string" ? body.message : "";
  } catch {
    return "";
  }
}

function nextLink(header) {
  for (const part of (header ?? "").split(",")) {
    const match = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part);
    if (match) return match[1];
  }
  return undefined;
}

/** One poll: every page, then the newest of lanegate's check runs for this run attempt. */
async function poll(fetch, s) {
  const query = new URLSearchParams({
    check_name: s.checkName,
    app_id: String(s.appId),
    filter: "all",
    per_page: "100",
  });
  let url = `${s.api}/repos/${s.repository}/commits/${s.sha}/check-runs?${query}`;
  const runs = [];
  for (let page = 1; url !== undefined; page += 1) {
    if (page > MAX_PAGES) break;
    const answer = await getPage(fetch, url, s.token);
    if (answer.transient !== undefined) return answer;
    runs.push(...answer.runs);
    // Never send the token anywhere but the API it was given for.
    url = answer.next?.startsWith(`${s.api}/`) ? answer.next : undefined;
  }
  let newest;
  for (const run of runs) {
    if (!isObject(run)) throw new Failure("malformed answer from GitHub: a check run is not an object");
    // Filter again here: a workflow token can create a check run with the same name.
    if (!isObject(run.app) || run.app.id !== s.appId) continue;
    if (run.external_id !== s.externalId || run.name !== s.checkName) continue;
    if (!Number.isSafeInteger(run.id))
      throw new Failure("malformed answer from GitHub: a check run has no id");
    if (newest === undefined || run.id > newest.id) newest = run;
  }
  if (newest === undefined) return { pending: "check not written yet" };
  if (typeof newest.status !== "string") {
    throw new Failure(`malformed answer from GitHub: check run ${newest.id} has no status`);
  }
  if (newest.status !== "completed") return { pending: `check ${newest.status}` };
  if (typeof newest.conclusion !== "string") {
    throw new Failure(`malformed answer from GitHub: completed check run ${newest.id} has no conclusion`);
  }
  return { decided: newest };
}

/** Escapes a workflow command's message (`::error::...`). */
const commandData = (text) => text.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
const commandProperty = (text) => commandData(text).replace(/:/g, "%3A").replace(/,/g, "%2C");
const oneLine = (text) => String(text).replace(/[\r\n]+/g, " ");

function writeOutputs(env, values) {
  const file = env.GITHUB_OUTPUT;
  if (!file) return;
  appendFileSync(
    file,
    Object.entries(values)
      .map(([name, value]) => `${name}=${oneLine(value)}\n`)
      .join(""),
  );
}

function writeSummary(env, markdown) {
  const file = env.GITHUB_STEP_SUMMARY;
  if (file) appendFileSync(file, `${markdown}\n`);
}

/** Prints text the runner must not read as workflow commands (a summary can quote users). */
function untrusted(log, text) {
  if (text === "") return;
  const token = randomUUID();
  log(`::stop-commands::${token}`);
  for (const line of text.split("\n")) log(line);
  log(`::${token}::`);
}

const defaultLog = (line) => process.stdout.write(`${line}\n`);

/**
 * Waits for lanegate's decision on this run attempt. Never throws for an expected failure;
 * returns exit code 1 instead, after logging why.
 */
export async function wait(env, fetch, sleep, now, log = defaultLog) {
  let s;
  const fail = (message, conclusion = "", checkRunUrl = "", details = "") => {
    log(`::error title=lanegate${s ? ` ${commandProperty(s.lane)}` : ""}::${commandData(message)}`);
    writeOutputs(env, { conclusion, "check-run-url": checkRunUrl });
    writeSummary(env, `### ${s ? s.checkName : "lanegate"}: not allowed\n\n${message}\n${details}`);
    return { exitCode: 1, conclusion, checkRunUrl };
  };
  try {
    s = settings(env);
    const deadline = now() + s.timeoutMs;
    let delay = s.intervalMs;
    let lastProblem = "";
    for (;;) {
      const result = await poll(fetch, s);
      if (result.decided !== undefined) return decide(env, s, result.decided, log, fail);
      lastProblem = result.transient ?? "";
      log(`waiting for ${s.checkName} (${result.pending ?? `${result.transient}; retrying`})`);
      const left = deadline - now();
      if (left <= 0) {
        const seconds = Math.round(s.timeoutMs / 1000);
        const last = lastProblem ? `; last error: ${lastProblem}` : "";
        return fail(`no decision from lanegate within ${seconds} s for run ${s.externalId}${last}`);
      }
      await sleep(Math.min(delay, left));
      delay = Math.min(delay * BACKOFF, s.maxIntervalMs);
    }
  } catch (error) {
    if (error instanceof Failure) return fail(error.message);
    return fail(`unexpected error: ${error instanceof Error ? error.stack || error.message : String(error)}`);
  }
}

function decide(env, s, run, log, fail) {
  const url = typeof run.html_url === "string" ? run.html_url : "";
  const output = isObject(run.output) ? run.output : {};
  const title = typeof output.title === "string" && output.title ? output.title : "(no title)";
  const summary = typeof output.summary === "string" ? output.summary : "";
  if (run.conclusion !== "success") {
    log(`lanegate did not allow ${s.lane} (conclusion: ${run.conclusion}): ${title}`);
    untrusted(log, summary);
    if (url) log(`check run: ${url}`);
    return fail(
      `lanegate refused ${s.lane} (${run.conclusion}): ${title}${url ? ` (${url})` : ""}`,
      run.conclusion,
      url,
      summary ? `\n${summary}\n` : "",
    );
  }
  log(`lanegate allowed ${s.lane}: ${title}`);
  if (url) log(`check run: ${url}`);
  writeOutputs(env, { conclusion: run.conclusion, "check-run-url": url });
  writeSummary(env, `### ${s.checkName}: allowed\n\n**${title}**\n\n${summary}\n${url ? `\n${url}\n` : ""}`);
  return { exitCode: 0, conclusion: run.conclusion, checkRunUrl: url };
}

function runDirectly() {
  try {
    return realpathSync(process.argv[1] ?? "") === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (runDirectly()) {
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const result = await wait(process.env, globalThis.fetch, sleep, Date.now);
  process.exitCode = result.exitCode;
}
