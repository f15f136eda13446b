// The Probot app: wires events and routes to handlers, and starts the timers. No logic here.
import type { ApplicationFunction } from "probot";
import { ISSUE_EVENTS, onIssue } from "./handlers/issues.ts";
import { readModelHandler } from "./http/routes.ts";
import { reconcileAll, sweepExpired } from "./lanes/reconcile.ts";
import type { SyncDeps } from "./lanes/sync.ts";
import type { Db } from "./store/db.ts";

export interface LanegateOptions {
  db: Db;
  appId: number;
  now?: () => Date;
  apiToken?: string;
  /** How often to mark expired grants; 0 turns the timer off (tests drive it by hand). */
  sweepEveryMs?: number;
  /** How often to rebuild every repository's view from GitHub; 0 turns it off. */
  reconcileEveryMs?: number;
  /** Reconcile once at start, to catch what happened while the app was down. */
  reconcileOnStart?: boolean;
}

export function lanegate(options: LanegateOptions): ApplicationFunction {
  return (app, { addHandler }) => {
    const deps: SyncDeps = {
      db: options.db,
      appId: options.appId,
      now: options.now ?? (() => new Date()),
      log: { info: (m) => app.log.info(m), warn: (m) => app.log.warn(m) },
    };
    app.on([...ISSUE_EVENTS], (context) => onIssue(deps, context));
    addHandler(readModelHandler(options.db, options.apiToken));

    const every = (ms: number | undefined, job: () => Promise<unknown>) => {
      if (!ms) return;
      const timer = setInterval(() => void job().catch((e) => app.log.warn(`timer: ${String(e)}`)), ms);
      timer.unref();
    };
    every(options.sweepEveryMs, () => sweepExpired(deps, app));
    every(options.reconcileEveryMs, () => reconcileAll(deps, app));
    if (options.reconcileOnStart)
      void reconcileAll(deps, app).catch((e) => app.log.warn(`reconcile: ${String(e)}`));
  };
}
