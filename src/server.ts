// Starts the real Probot server with lanegate loaded, from a Probot-style environment, and stops it
// cleanly: no new deliveries, the ones in flight finish (bounded), timers stop, the store is
// closed (SQLite checkpointed).
import { ProbotOctokit, run, type Server } from "probot";
import { hostsFrom } from "./adapters/github/console.ts";
import { telemetryPlugin } from "./adapters/github/telemetry.ts";
import { type Db, openStore, printableUrl } from "./adapters/store/db.ts";
import { lanegate } from "./app.ts";
import { type Env, EnvError, readServiceEnv } from "./env.ts";
import { type ApiAccess, describeAccess } from "./http/access.ts";
import { storeLease } from "./service/job-lease.ts";
import { Lifecycle } from "./service/lifecycle.ts";
import { createMetrics } from "./service/metrics.ts";

export interface StartOptions {
  env: Env;
  /**
   * Octokit's throttling spaces writes a second apart to respect GitHub's secondary rate limits.
   * Against the local stand-in there is no such limit, so the demo and benchmarks turn it off.
   */
  throttle?: boolean;
  /** The local playground serves its read models openly, whatever the environment says. */
  access?: ApiAccess;
  now?: () => Date;
  sweepEveryMs?: number;
  reconcileEveryMs?: number;
  reconcileOnStart?: boolean;
  redeliverEveryMs?: number;
  commentBatchMs?: number;
}

export interface RunningLanegate {
  server: Server;
  db: Db;
  port: number;
  lifecycle: Lifecycle;
  /** Stops cleanly; resolves once the database is closed. Safe to call twice. */
  stop(): Promise<void>;
}

const MINUTE = 60_000;

export function accessFrom(env: { LANEGATE_API_TOKEN?: string; LANEGATE_API_PUBLIC?: string }): ApiAccess {
  if (env.LANEGATE_API_TOKEN) return { kind: "token", token: env.LANEGATE_API_TOKEN };
  return env.LANEGATE_API_PUBLIC === "true" ? { kind: "public" } : { kind: "closed" };
}

async function open(url: string | undefined): Promise<Db> {
  try {
    return await openStore(url);
  } catch (error) {
    throw new EnvError(
      `DATABASE_URL: cannot open ${url ? printableUrl(url) : "the default database"}: ${(error as Error).message}`,
    );
  }
}

export async function startLanegate(options: StartOptions): Promise<RunningLanegate> {
  const config = readServiceEnv(options.env);
  const db = await open(config.DATABASE_URL);
  const now = options.now ?? (() => new Date());
  // Leases in the store on either driver: replicas on PostgreSQL share them, and one SQLite
  // process behaves the same way.
  const lifecycle = new Lifecycle(createMetrics(db), now, storeLease(db, now));
  const access = options.access ?? accessFrom(config);
  const observed = ProbotOctokit.plugin(telemetryPlugin((call) => lifecycle.recordApiCall(call)));
  const Octokit =
    options.throttle === false
      ? observed.defaults((o: ConstructorParameters<typeof ProbotOctokit>[0]) => ({
          ...o,
          throttle: { ...o?.throttle, enabled: false },
        }))
      : observed;
  // Probot's run() stops the process on SIGINT without waiting for anything; main.ts owns the
  // signals, so that listener is taken off again.
  const probotListeners = new Set(process.listeners("SIGINT"));
  const server = await run(
    lanegate({
      db,
      appId: config.APP_ID,
      lifecycle,
      access,
      publicUrl: config.LANEGATE_PUBLIC_URL,
      signIn:
        config.GITHUB_CLIENT_ID && config.GITHUB_CLIENT_SECRET
          ? {
              client: { clientId: config.GITHUB_CLIENT_ID, clientSecret: config.GITHUB_CLIENT_SECRET },
              hosts: hostsFrom(config),
            }
          : undefined,
      docsUrl: config.LANEGATE_DOCS_URL,
      sweepEveryMs: options.sweepEveryMs ?? MINUTE,
      reconcileEveryMs: options.reconcileEveryMs ?? 15 * MINUTE,
      reconcileOnStart: options.reconcileOnStart ?? true,
      redeliverEveryMs: options.redeliverEveryMs ?? (config.LANEGATE_REDELIVER_MINUTES ?? 5) * MINUTE,
      commentBatchMs: options.commentBatchMs,
    }),
    { env: options.env, Octokit },
  );
  for (const listener of process.listeners("SIGINT"))
    if (!probotListeners.has(listener)) process.off("SIGINT", listener);
  lifecycle.warn(describeAccess(access));
  const graceMs = (config.LANEGATE_SHUTDOWN_SECONDS ?? 10) * 1000;
  let stopped: Promise<void> | null = null;
  return {
    server,
    db,
    port: server.port,
    lifecycle,
    stop() {
      stopped ??= (async () => {
        const closing = server.stop();
        const left = await lifecycle.drain(graceMs);
        if (left > 0)
          lifecycle.warn(`stopped waiting after ${graceMs / 1000} s: ${left} handlers still running`);
        // Idle keep-alive connections close at once; a stuck one must not hold the stop.
        await Promise.race([closing, new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
        await db.close();
      })();
      return stopped;
    },
  };
}
