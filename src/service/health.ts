// Readiness: can this process do its job right now? Each check says why when it cannot.
import type { Db } from "../adapters/store/db.ts";
import { transaction } from "../adapters/store/db.ts";
import { writeHeartbeat } from "../adapters/store/service.ts";
import type { Lifecycle } from "./lifecycle.ts";

export interface Check {
  ok: boolean;
  detail: string;
}

/** A timer is late when it missed two beats; the slack covers one slow run. */
const late = (everyMs: number) => 2 * everyMs + 30_000;

export async function readiness(
  db: Db,
  lifecycle: Lifecycle,
): Promise<{ ready: boolean; checks: Record<string, Check> }> {
  const checks: Record<string, Check> = {
    database: await probe(async () => {
      await transaction(db, (q) => writeHeartbeat(q, lifecycle.now()));
      return `${db.dialect === "postgres" ? "PostgreSQL" : "SQLite"} accepts a write`;
    }),
    migrations: await probe(async () => {
      const pending = await db.pendingMigrations();
      if (pending > 0) throw new Error(`${pending} migrations not applied`);
      return "current";
    }),
    timers: timers(lifecycle),
    github: github(lifecycle),
  };
  if (!lifecycle.accepting) checks.shutdown = { ok: false, detail: "stopping" };
  return { ready: Object.values(checks).every((c) => c.ok), checks };
}

/** A load balancer's probe must be answered before it times out, even when the store does not answer. */
const PROBE_TIMEOUT_MS = 3_000;

async function probe(check: () => Promise<string>): Promise<Check> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer within ${PROBE_TIMEOUT_MS / 1000} s`)),
      PROBE_TIMEOUT_MS,
    );
  });
  try {
    return { ok: true, detail: await Promise.race([check(), late]) };
  } catch (error) {
    return { ok: false, detail: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

function timers(lifecycle: Lifecycle): Check {
  const now = lifecycle.now().getTime();
  const behind = [...lifecycle.jobs].filter(([, j]) => now - j.since.getTime() > late(j.everyMs));
  if (behind.length > 0)
    return {
      ok: false,
      detail: `late: ${behind.map(([name, j]) => `${name} (last ${j.since.toISOString()})`).join(", ")}`,
    };
  return {
    ok: true,
    detail: lifecycle.jobs.size ? `on schedule: ${[...lifecycle.jobs.keys()].join(", ")}` : "none scheduled",
  };
}

function github(lifecycle: Lifecycle): Check {
  const call = lifecycle.lastGithubCall;
  if (!call) return { ok: true, detail: "no call needed yet" };
  const answered = call.status !== 0 && call.status < 500 && call.status !== 401;
  const said = `${call.route} answered ${call.status || "nothing"} at ${call.at.toISOString()}`;
  return { ok: answered, detail: `last call: ${said}` };
}
