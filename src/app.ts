// The Probot app: wires events and routes to handlers, and starts the timers. No logic here.
import type { ApplicationFunction } from "probot";
import { statusCommentClient } from "./adapters/github/comment-client.ts";
import type { Db } from "./adapters/store/db.ts";
import { evidenceHandlers } from "./handlers/evidence.ts";
import { gateHandlers } from "./handlers/gate.ts";
import { ISSUE_EVENTS, issueHandler } from "./handlers/issues.ts";
import { pushHandler } from "./handlers/push.ts";
import { readModelHandler } from "./http/routes.ts";
import { evidenceSweep } from "./pipelines/evidence/sweep.ts";
import type { GateDeps } from "./pipelines/gate/context.ts";
import { gateSweep } from "./pipelines/gate/sweep.ts";
import { reconcileAll, sweepExpired } from "./pipelines/lanes/reconcile.ts";
import { rederive } from "./pipelines/lanes/sync.ts";

export interface LanegateOptions {
  db: Db;
  appId: number;
  now?: () => Date;
  apiToken?: string;
  /** The app's public base URL, for links from check runs to the read models. */
  publicUrl?: string;
  /** How long to gather decisions before refreshing the issues' status comments. */
  commentBatchMs?: number;
  /** How often to mark expired grants; 0 turns the timer off (tests drive it by hand). */
  sweepEveryMs?: number;
  /** How often to rebuild every repository's view from GitHub; 0 turns it off. */
  reconcileEveryMs?: number;
  /** Reconcile once at start, to catch what happened while the app was down. */
  reconcileOnStart?: boolean;
}

export function lanegate(options: LanegateOptions): ApplicationFunction {
  return (app, { addHandler }) => {
    const deps: GateDeps = {
      db: options.db,
      appId: options.appId,
      now: options.now ?? (() => new Date()),
      log: { info: (m) => app.log.info(m), warn: (m) => app.log.warn(m) },
      publicUrl: options.publicUrl,
      onDecided: batchedCommentRefresh(app, options.commentBatchMs ?? 2000),
      commentClient: commentClients(app),
    };
    // The status comments list recent gated runs; refreshing them per decision would cost a
    // write per run, so decisions of one repository share one refresh a moment later.
    function batchedCommentRefresh(probot: typeof app, delayMs: number): GateDeps["onDecided"] {
      const pending = new Map<string, NodeJS.Timeout>();
      return (ref, installationId) => {
        const key = `${ref.owner}/${ref.repo}`;
        if (pending.has(key) || installationId === null) return;
        const timer = setTimeout(async () => {
          pending.delete(key);
          try {
            const octokit = await probot.auth(installationId);
            await rederive(deps, octokit, ref, { deliveryId: null, event: "gate", actor: null }, true);
          } catch (error) {
            probot.log.warn(`status comments of ${key} not refreshed: ${String(error)}`);
          }
        }, delayMs);
        timer.unref();
        pending.set(key, timer);
      };
    }
    // One status-comment client per installation: its write queue outlives any one delivery.
    function commentClients(probot: typeof app): GateDeps["commentClient"] {
      const clients = new Map<number, ReturnType<typeof statusCommentClient>>();
      return (installationId) => {
        const client =
          clients.get(installationId) ??
          probot.auth().then((appClient) => statusCommentClient(appClient, installationId));
        clients.set(installationId, client);
        // A failed authentication is not kept: the next comment tries again.
        client.catch(() => clients.delete(installationId));
        return client;
      };
    }
    const gate = gateHandlers(deps);
    app.on([...ISSUE_EVENTS], issueHandler(deps));
    app.on("workflow_dispatch", gate.dispatch);
    app.on("workflow_run", gate.run);
    app.on("check_run.rerequested", gate.rerequested);
    app.on("deployment_protection_rule.requested", gate.protection);
    app.on("push", pushHandler(deps));
    // Evidence listens to completions beside the gate; neither depends on the other running first.
    const evidence = evidenceHandlers(deps);
    app.on("workflow_run.completed", evidence.completed);
    app.on("workflow_job", evidence.job);
    addHandler(readModelHandler(options.db, options.apiToken));

    const every = (ms: number | undefined, job: () => Promise<unknown>) => {
      if (!ms) return;
      const timer = setInterval(() => void job().catch((e) => app.log.warn(`timer: ${String(e)}`)), ms);
      timer.unref();
    };
    every(options.sweepEveryMs, async () => {
      await sweepExpired(deps, app);
      await gateSweep(deps, app);
      await evidenceSweep(deps, app);
    });
    every(options.reconcileEveryMs, () => reconcileAll(deps, app));
    if (options.reconcileOnStart)
      void reconcileAll(deps, app).catch((e) => app.log.warn(`reconcile: ${String(e)}`));
  };
}
