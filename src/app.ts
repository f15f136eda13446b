// The Probot app: wires events and routes to handlers, and schedules the jobs. No logic here.
import type { ApplicationFunction } from "probot";
import { statusCommentClient } from "./adapters/github/comment-client.ts";
import type { GitHubHosts, OAuthClient } from "./adapters/github/console.ts";
import type { Db } from "./adapters/store/db.ts";
import { type RepoRef, repoKey } from "./core/repository.ts";
import { COMMENT_EVENTS, commentHandler } from "./handlers/comments.ts";
import { evidenceHandlers } from "./handlers/evidence.ts";
import { gateHandlers } from "./handlers/gate.ts";
import { instrumented } from "./handlers/instrument.ts";
import { ISSUE_EVENTS, issueHandler } from "./handlers/issues.ts";
import { PULL_REQUEST_EVENTS, pullRequestHandlers } from "./handlers/pull-request.ts";
import { pushHandler } from "./handlers/push.ts";
import type { ApiAccess } from "./http/access.ts";
import { consoleHandler } from "./http/console/routes.ts";
import { Sessions } from "./http/console/session.ts";
import { Visibility } from "./http/console/visibility.ts";
import { readModelHandler } from "./http/routes.ts";
import { serviceHandler } from "./http/service.ts";
import type { CheckDeps } from "./pipelines/checks/pull-request.ts";
import type { GateDeps } from "./pipelines/deps.ts";
import { evidenceSweep } from "./pipelines/evidence/sweep.ts";
import { simulate } from "./pipelines/gate/simulate.ts";
import { gateSweep } from "./pipelines/gate/sweep.ts";
import { reconcileAll, sweepExpired } from "./pipelines/lanes/reconcile.ts";
import { rederive } from "./pipelines/lanes/sync.ts";
import { recoverDeliveries } from "./pipelines/redeliver.ts";
import type { Lifecycle } from "./service/lifecycle.ts";

export interface LanegateOptions {
  db: Db;
  appId: number;
  lifecycle: Lifecycle;
  /** Who may read the read models and /metrics. */
  access: ApiAccess;
  /** The app's public base URL, for links from check runs to the read models. */
  publicUrl?: string;
  /** docs/operations.md as published, for the pull-request checks' links to each rule. */
  docsUrl?: string;
  /** How long to gather decisions before refreshing the issues' status comments. */
  commentBatchMs?: number;
  /** The console's sign-in: the App's OAuth client and where GitHub's pages are. Without it only
   * machines with the read models' token can read the console. */
  signIn?: { client: OAuthClient; hosts: GitHubHosts };
  /** How often to mark expired grants; 0 turns the timer off (tests drive it by hand). */
  sweepEveryMs?: number;
  /** How often to rebuild every repository's view from GitHub; 0 turns it off. */
  reconcileEveryMs?: number;
  /** Reconcile once at start, to catch what happened while the app was down. */
  reconcileOnStart?: boolean;
  /** How often to ask GitHub for failed deliveries again (also once at start); 0 turns it off. */
  redeliverEveryMs?: number;
}

/**
 * The status comments list recent gated runs; refreshing them per decision would cost a write
 * per run, so the decisions of one repository share one refresh `delayMs` after the first.
 */
export function batchedCommentRefresh(
  lifecycle: Lifecycle,
  delayMs: number,
  refresh: (ref: RepoRef, installationId: number) => Promise<void>,
): NonNullable<GateDeps["onDecided"]> {
  const pending = new Set<string>();
  return (ref, installationId) => {
    // As the records key it: a delivery names the repository as GitHub cases it, the records
    // in lower case, and both must join one batch.
    const key = repoKey(ref);
    if (pending.has(key) || installationId === null) return;
    pending.add(key);
    lifecycle.later(delayMs, async () => {
      pending.delete(key);
      await refresh(ref, installationId);
    });
  };
}

export function lanegate(options: LanegateOptions): ApplicationFunction {
  return (app, { addHandler }) => {
    const { lifecycle } = options;
    lifecycle.warn = (m) => app.log.warn(m);
    const deps: GateDeps & CheckDeps = {
      db: options.db,
      appId: options.appId,
      now: lifecycle.now,
      // Fields first, as pino takes them: each line is JSON with its repository, run and lane.
      log: { info: (m, f) => app.log.info(f ?? {}, m), warn: (m, f) => app.log.warn(f ?? {}, m) },
      publicUrl: options.publicUrl,
      docsUrl: options.docsUrl,
      onDecided: batchedCommentRefresh(
        lifecycle,
        options.commentBatchMs ?? 2000,
        async (ref, installationId) => {
          try {
            const octokit = await app.auth(installationId);
            await rederive(deps, octokit, ref, { deliveryId: null, event: "gate", actor: null }, true);
          } catch (error) {
            app.log.warn(`status comments of ${ref.owner}/${ref.repo} not refreshed: ${String(error)}`);
          }
        },
      ),
      commentClient: commentClients(app),
    };
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
    const svc = { db: options.db, lifecycle, log: app.log };
    const gate = gateHandlers(deps);
    app.on([...ISSUE_EVENTS], instrumented(svc, issueHandler(deps)));
    app.on([...COMMENT_EVENTS], instrumented(svc, commentHandler(deps)));
    app.on("workflow_dispatch", instrumented(svc, gate.dispatch));
    app.on("workflow_run", instrumented(svc, gate.run));
    const checks = pullRequestHandlers(deps);
    app.on([...PULL_REQUEST_EVENTS], instrumented(svc, checks.changed));
    // One subscription, routed by the check's name: the gate's re-requests reach the gate unchanged.
    app.on("check_run.rerequested", instrumented(svc, checks.rerequestedOr(gate.rerequested)));
    app.on("deployment_protection_rule.requested", instrumented(svc, gate.protection));
    app.on("push", instrumented(svc, pushHandler(deps)));
    // Evidence listens to completions beside the gate; neither depends on the other running first.
    // A completed run is therefore counted once by each in the delivery metrics.
    const evidence = evidenceHandlers(deps);
    app.on("workflow_run.completed", instrumented(svc, evidence.completed));
    app.on("workflow_job", instrumented(svc, evidence.job));
    addHandler(serviceHandler(options.db, lifecycle, options.access));
    addHandler(readModelHandler(options.db, options.access));
    const octokitFor = (installationId: number) => app.auth(installationId);
    const { signIn } = options;
    addHandler(
      consoleHandler({
        db: options.db,
        now: lifecycle.now,
        access: options.access,
        publicUrl: options.publicUrl,
        signIn: signIn
          ? {
              ...signIn,
              sessions: new Sessions(
                signIn.client.clientSecret,
                options.publicUrl?.startsWith("https:") ?? false,
                lifecycle.now,
              ),
              warn: (m) => app.log.warn(m),
            }
          : null,
        visibility: new Visibility(options.db, octokitFor, lifecycle.now, (m) => app.log.warn(m)),
        octokitFor,
        simulate: (repo, lane, source, confirmation) => simulate(deps, repo, lane, source, confirmation),
      }),
    );

    const sweep = async () => {
      await sweepExpired(deps, app);
      await gateSweep(deps, app);
      await evidenceSweep(deps, app);
    };
    const reconcile = () => reconcileAll(deps, app);
    const redeliver = async () =>
      recoverDeliveries(deps, await app.auth(), (result) => lifecycle.metrics.redeliveries.inc({ result }));
    lifecycle.every("sweep", options.sweepEveryMs ?? 0, sweep);
    lifecycle.every("reconcile", options.reconcileEveryMs ?? 0, reconcile);
    lifecycle.every("redelivery", options.redeliverEveryMs ?? 0, redeliver);
    if (options.reconcileOnStart) void lifecycle.run("reconcile", reconcile);
    if (options.redeliverEveryMs) void lifecycle.run("redelivery", redeliver);
  };
}
