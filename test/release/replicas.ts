// Replicas of lanegate as an operator runs them on PostgreSQL: separate processes (each in its own
// process group, test/release/replica.ts) sharing one database, with no balancer in front, and
// the local stand-in for GitHub in the calling process. Shared by test/release/replicas.test.ts
// and bench/replicas.ts, which also runs one replica on SQLite for comparison.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { type Delivery, deliver } from "../../standin/index.ts";
import { cmOpwApprovalBody, DEMO_REPO, type LocalGitHub, startLocalGitHub } from "../../standin/world.ts";
import { freePort } from "../support/ports.ts";
import { freshDatabase } from "../support/postgres.ts";
import { killGroup, type Started, start, until } from "./process.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const ENTRY = resolve(import.meta.dirname, "replica.ts");
export const LANE = "cm/testing";
const WORKFLOW = ".github/workflows/odoo-stable-bootstrap.yml";

export interface Replica {
  name: string;
  process: Started;
  /** Its name in the shared claims and leases (job_leases.holder, deliveries.holder). */
  holder: string;
  base: string;
  hook: string;
}

export interface Timers {
  /** The sweep's period; 0 turns it off. */
  sweepMs?: number;
  /** The reconcile's period (it also runs at start); 0 runs it only at start. */
  reconcileMs?: number;
}

export interface Stand {
  local: LocalGitHub;
  databaseUrl: string;
  replicas: Replica[];
  /**
   * Runs SQL on the shared database (the tests read job_leases and deliveries with it). On a
   * SQLite stand, SQL both dialects read alike.
   */
  sql<T extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<T[]>;
  /** Posts a signed delivery to one replica: its status, or 0 when nothing answered. */
  send(replica: Replica, d: Delivery): Promise<number>;
  /** Kills every replica, stops the stand-in and drops the database. */
  stop(): Promise<void>;
}

async function startReplica(name: string, env: NodeJS.ProcessEnv): Promise<Replica> {
  const port = await freePort();
  const started = start(process.execPath, ["--import", "tsx", ENTRY], {
    cwd: ROOT,
    env: { ...env, PORT: String(port), HOST: "127.0.0.1" },
  });
  try {
    const holder = await until(
      `replica ${name} to serve`,
      async () => /replica ready: (\S+)/.exec(started.output())?.[1],
      60_000,
    );
    const base = `http://127.0.0.1:${port}`;
    return { name, process: started, holder, base, hook: `${base}/api/github/webhooks` };
  } catch (error) {
    killGroup(started.child.pid);
    throw new Error(`${(error as Error).message}\n${started.output()}`);
  }
}

interface StandDatabase {
  url: string;
  sql: Stand["sql"];
  close(): Promise<void>;
}

/** A fresh PostgreSQL database, read through a small pool of its own. */
async function postgresDatabase(): Promise<StandDatabase> {
  const database = await freshDatabase("replicas");
  const pool = new pg.Pool({ connectionString: database.url, max: 2 });
  // An idle connection the server ends must not crash the test or the benchmark (an 'error' event
  // with no listener is thrown); the next query reconnects, as the app's pool does.
  pool.on("error", () => {});
  return {
    url: database.url,
    sql: async (text, values) => (await pool.query(text, values)).rows,
    close: async () => {
      await pool.end();
      await database.drop();
    },
  };
}

/** A SQLite file in a temporary directory; the replica creates it, and it is read once it has. */
function sqliteDatabase(): StandDatabase {
  const dir = mkdtempSync(join(tmpdir(), "lanegate-replica-"));
  const path = join(dir, "lanegate.sqlite");
  let client: Database.Database | undefined;
  return {
    url: `file:${path}`,
    sql: async <T>(text: string, values: unknown[] = []) => {
      client ??= new Database(path, { fileMustExist: true });
      return client.prepare(text).all(...values) as T[];
    },
    close: async () => {
      client?.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The stand-in, one fresh database and `count` replicas on it, started together: PostgreSQL, or
 * SQLite for one replica (the embedded default, measured beside them by the bench).
 */
export async function startStand(
  count: number,
  timers: Timers = {},
  store: "postgres" | "sqlite" = "postgres",
): Promise<Stand> {
  if (store === "sqlite" && count !== 1) throw new Error("a SQLite store serves one replica");
  const local = await startLocalGitHub();
  const database = store === "sqlite" ? sqliteDatabase() : await postgresDatabase();
  const replicas: Replica[] = [];
  const stop = async () => {
    for (const r of replicas) killGroup(r.process.child.pid);
    await Promise.all(replicas.map((r) => r.process.exited));
    await local.running.close();
    await database.close();
  };
  const env = {
    ...process.env,
    ...local.env,
    DATABASE_URL: database.url,
    LOG_LEVEL: "warn" as const,
    LANEGATE_API_PUBLIC: "true",
    REPLICA_SWEEP_MS: String(timers.sweepMs ?? 0),
    REPLICA_RECONCILE_MS: String(timers.reconcileMs ?? 0),
  };
  try {
    const names = Array.from({ length: count }, (_, i) => String.fromCharCode(65 + i));
    // Together, as a rollout starts them: both migrate the same empty database at once.
    const settled = await Promise.allSettled(names.map((name) => startReplica(name, env)));
    for (const s of settled) if (s.status === "fulfilled") replicas.push(s.value);
    const failed = settled.find((s) => s.status === "rejected");
    if (failed) throw failed.reason;
  } catch (error) {
    await stop();
    throw error;
  }
  const secret = local.env.WEBHOOK_SECRET ?? "";
  return {
    local,
    databaseUrl: database.url,
    replicas,
    sql: database.sql,
    send: (replica, d) => deliver(replica.hook, secret, d).catch(() => 0),
    stop,
  };
}

/** GET from a replica's read models. */
export async function readModel<T>(replica: Replica, path: string): Promise<T> {
  const response = await fetch(`${replica.base}/lanegate/api/repos/${DEMO_REPO}${path}`);
  if (!response.ok) throw new Error(`${path}: ${response.status}`);
  return (await response.json()) as T;
}

/**
 * Approves the CM and OPW lanes through `replica`: the approval issue is opened and labelled by a
 * maintainer on the stand-in, its deliveries go to that replica, and this waits until `LANE` is
 * active as every replica reads it.
 */
export async function approveLane(stand: Stand, through: Replica): Promise<void> {
  const gh = stand.local.standin;
  const opened = gh.openIssue(DEMO_REPO, {
    author: "olivia",
    title: "CM and OPW",
    body: cmOpwApprovalBody(),
  });
  for (const d of [...opened.deliveries, gh.addLabel(DEMO_REPO, opened.number, "lane-policy", "mia")]) {
    const status = await stand.send(through, d);
    if (status !== 200) throw new Error(`the approval's ${d.name} delivery answered ${status}`);
  }
  for (const replica of stand.replicas)
    await until(`${LANE} active on ${replica.name}`, async () => {
      const lane = await readModel<{ state: string }>(replica, `/lanes/${LANE}`);
      return lane.state === "active" ? true : undefined;
    });
}

/** A manual run of the gated workflow on `LANE`: its `workflow_dispatch` and `workflow_run.requested`. */
export function dispatchOnLane(stand: Stand): { runId: number; dispatch: Delivery; requested: Delivery } {
  return stand.local.standin.dispatchWorkflow(DEMO_REPO, {
    workflowPath: WORKFLOW,
    inputs: { context: "cm", instance: "testing", source: "empty", confirmation: "bootstrap cm testing" },
    actor: "olivia",
  });
}

export interface CheckSeen {
  conclusion: string | null;
  /** The code of the first failing check in the summary, or `ok` when every check passed. */
  reason: string | null;
}

/** The gate's check runs the stand-in holds for a run's first attempt, oldest first. */
export function checksOf(stand: Stand, runId: number): CheckSeen[] {
  return [...stand.local.standin.repo(DEMO_REPO).checkRuns.values()]
    .filter((c) => c.externalId === `${runId}:1`)
    .sort((a, b) => a.id - b.id)
    .map((c) => ({ conclusion: c.conclusion, reason: reasonIn(c.output.summary ?? "") }));
}

/** The summary's table has a row per check: `| n | name | ❌ fail | \`code\` | why |`. */
function reasonIn(summary: string): string | null {
  const rows = summary.split("\n").filter((line) => /^\| \d+ \|/.test(line));
  if (rows.length === 0) return null;
  const failing = rows.find((row) => row.includes("❌ fail"));
  return failing ? (/`([a-z_]+)`/.exec(failing)?.[1] ?? null) : "ok";
}

/** Sends each delivery to the replica `to(i)` names, all at once; their statuses in order. */
export function burst(stand: Stand, deliveries: Delivery[], to: (i: number) => Replica): Promise<number[]> {
  return Promise.all(deliveries.map((d, i) => stand.send(to(i), d)));
}

/**
 * Holds the stand-in's answers to `method path` until released: a GitHub slow to answer, which
 * keeps whatever run asked (a timer job, say) going, and its lease held, for as long as the test
 * needs. `waiting` counts the requests held so far.
 */
export function holdAnswers(stand: Stand, method: string, path: string) {
  let release = () => {};
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const hold = { waiting: 0, release };
  stand.local.standin.holdAnswer = (m, p) => {
    if (m !== method || p !== path) return undefined;
    hold.waiting += 1;
    return gate;
  };
  return hold;
}

/**
 * When `holder` first took each job's lease after `after` (its `since`), watched from now on: a
 * later run overwrites the row, so the first hand-over is caught as it happens.
 */
export function firstClaims(stand: Stand, holder: string, jobs: string[], after: number) {
  const seen = new Map<string, number>();
  return until(
    `${holder} to take ${jobs.join(" and ")}`,
    async () => {
      const rows = await stand.sql<{ job: string; since: string }>(
        "select job, since from job_leases where holder = $1",
        [holder],
      );
      for (const row of rows) {
        const since = Date.parse(row.since);
        if (since > after && !seen.has(row.job)) seen.set(row.job, since);
      }
      return jobs.every((job) => seen.has(job)) ? seen : undefined;
    },
    60_000,
  );
}
