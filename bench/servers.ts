// The three servers every section of the benchmark measures side by side: lanegate, the
// same-requests app (the floor of receiving a delivery and making lanegate's requests for it) and
// the no-op app (the floor of receiving it). One delivery goes to each in turn.
import type { Delivery, RecordedRequest, Standin } from "../standin/index.ts";
import type { LocalGitHub } from "../standin/world.ts";
import { Child } from "./child.ts";
import { type Mirror, type Mismatch, planOf, startMirror } from "./replay.ts";

export interface Measured {
  /** Round trip of the signed POST, seen by the driver. */
  wallMs: number;
  /** Part of it with at least one GitHub API request in flight (0 for the no-op). */
  blockedMs: number;
  /** The server process's CPU time (user + system) for the delivery. */
  cpuMs: number;
}

/** One delivery as the three servers took it. */
export interface Trio {
  app: Measured;
  same: Measured;
  noop: Measured;
}

export interface Servers {
  app: Child;
  same: Child;
  noop: Child;
  mirror: Mirror;
  /** Replayed requests answered otherwise than lanegate's were, over the whole run. */
  mismatches: Mismatch[];
  stop(): Promise<void>;
}

/** The three servers, lanegate on `databaseUrl`; `label` names the store in their CPU profiles. */
export async function startServers(local: LocalGitHub, databaseUrl: string, label: string): Promise<Servers> {
  const mirror = await startMirror();
  const app = await Child.start("lanegate", { ...local.env, DATABASE_URL: databaseUrl }, label);
  const same = await Child.start("same-requests", { ...local.env, BENCH_MIRROR_URL: mirror.url }, label);
  const noop = await Child.start("noop", local.env, label);
  return {
    app,
    same,
    noop,
    mirror,
    mismatches: [],
    async stop() {
      await Promise.all([app.stop(), same.stop(), noop.stop()]);
      await mirror.close();
    },
  };
}

/**
 * Sends one delivery to lanegate (counting its database statements, with their texts when
 * asked), then (with the requests lanegate made meanwhile, from the
 * stand-in's log) to the same-requests app, then to the no-op. Each server's counters are read
 * right after its delivery, so what one does is never counted as another's.
 */
export async function measure(
  s: Servers,
  standin: Standin,
  d: Delivery,
  o: { texts?: boolean } = {},
): Promise<
  Trio & { statuses: number[]; requests: RecordedRequest[]; statements: number; texts: string[] | undefined }
> {
  standin.requests.length = 0;
  const a = await s.app.deliver(d);
  const requests = [...standin.requests];
  const aTook = await s.app.take(o.texts);
  s.same.plan(d.id, planOf(requests));
  // The plan's own IPC message is not the delivery's cost: this take starts the count after it.
  await s.same.take();
  const m = await s.same.deliver(d);
  const mTook = await s.same.take();
  s.mismatches.push(...mTook.mismatches);
  const n = await s.noop.deliver(d);
  const nTook = await s.noop.take();
  return {
    statuses: [a.status, m.status, n.status],
    requests,
    statements: aTook.statements,
    texts: aTook.texts,
    app: { wallMs: a.wallMs, blockedMs: aTook.blockedMs, cpuMs: aTook.cpuMs },
    same: { wallMs: m.wallMs, blockedMs: mTook.blockedMs, cpuMs: mTook.cpuMs },
    noop: { wallMs: n.wallMs, blockedMs: nTook.blockedMs, cpuMs: nTook.cpuMs },
  };
}
