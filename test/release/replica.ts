// One replica of lanegate, as the two-replica tests and bench/replicas.ts run it: what src/main.ts
// starts, with the timers' periods taken from REPLICA_SWEEP_MS and REPLICA_RECONCILE_MS (so a
// hand-over is seen in seconds, not minutes) and Octokit's pacing off (the local stand-in has no
// secondary rate limit; paced, a burst would measure the pacing). It prints its holder name, the
// one it writes in the shared claims and leases, once it serves.
import { startLanegate } from "../../src/server.ts";

const period = (name: string) => Number(process.env[name] ?? 0);

const running = await startLanegate({
  env: process.env,
  throttle: false,
  sweepEveryMs: period("REPLICA_SWEEP_MS"),
  reconcileEveryMs: period("REPLICA_RECONCILE_MS"),
  reconcileOnStart: true,
  redeliverEveryMs: 0,
});
console.log(`replica ready: ${running.db.holder}`);
process.once("SIGTERM", async () => {
  await running.stop();
  process.exit(0);
});
