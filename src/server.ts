// Starts the real Probot server with lanegate loaded, from a Probot-style environment.
import { ProbotOctokit, run, type Server } from "probot";
import { type Db, openDatabase } from "./adapters/store/db.ts";
import { lanegate } from "./app.ts";

export interface StartOptions {
  env: Record<string, string | undefined>;
  /**
   * Octokit's throttling spaces writes a second apart to respect GitHub's secondary rate limits.
   * Against the local stand-in there is no such limit, so the demo and benchmarks turn it off.
   */
  throttle?: boolean;
  now?: () => Date;
  sweepEveryMs?: number;
  reconcileEveryMs?: number;
  reconcileOnStart?: boolean;
  commentBatchMs?: number;
}

export interface RunningLanegate {
  server: Server;
  db: Db;
  port: number;
  stop(): Promise<void>;
}

const MINUTE = 60_000;

export async function startLanegate(options: StartOptions): Promise<RunningLanegate> {
  const { env } = options;
  const appId = Number(env.APP_ID);
  if (!Number.isInteger(appId) || appId <= 0) throw new Error("APP_ID must be the GitHub App's numeric id");
  if (!env.WEBHOOK_SECRET)
    throw new Error("WEBHOOK_SECRET is required: unsigned webhooks are never accepted");
  const db = openDatabase(env.DATABASE_URL);
  const Octokit =
    options.throttle === false
      ? ProbotOctokit.defaults((o: ConstructorParameters<typeof ProbotOctokit>[0]) => ({
          ...o,
          throttle: { ...o?.throttle, enabled: false },
        }))
      : undefined;
  const server = await run(
    lanegate({
      db,
      appId,
      now: options.now,
      apiToken: env.LANEGATE_API_TOKEN || undefined,
      publicUrl: env.LANEGATE_PUBLIC_URL || undefined,
      sweepEveryMs: options.sweepEveryMs ?? MINUTE,
      reconcileEveryMs: options.reconcileEveryMs ?? 15 * MINUTE,
      reconcileOnStart: options.reconcileOnStart ?? true,
      commentBatchMs: options.commentBatchMs,
    }),
    { env, ...(Octokit ? { Octokit } : {}) },
  );
  let stopped: Promise<void> | null = null;
  return {
    server,
    db,
    port: server.port,
    stop() {
      stopped ??= server.stop().then(() => void db.$client.close());
      return stopped;
    },
  };
}
