// A client of one installation whose writes are paced in a queue of their own. Octokit's
// throttling queues every write of an installation one second apart, in arrival order: a check
// run would wait behind every status comment queued before it. Status comments go through this
// client, so decisions never queue behind them.
import type { Octokit } from "./client.ts";

interface InstallationAuth {
  octokit: { constructor: new (options: Record<string, unknown>) => unknown };
  octokitOptions: {
    throttle?: { enabled?: boolean } & Record<string, unknown>;
    auth?: Record<string, unknown>;
  };
  [other: string]: unknown;
}

/** Like Probot's installation client (same auth, same token cache), with its own write queue. */
export async function statusCommentClient(app: Octokit, installationId: number): Promise<Octokit> {
  const client = await app.auth({
    type: "installation",
    installationId,
    // Probot's own factory, but for the throttling queue's id.
    factory: ({ octokit, octokitOptions, ...otherOptions }: InstallationAuth) =>
      new octokit.constructor({
        ...octokitOptions,
        throttle: octokitOptions.throttle?.enabled
          ? { ...octokitOptions.throttle, id: `${installationId}:status-comments` }
          : { enabled: false },
        auth: { ...octokitOptions.auth, otherOptions, installationId },
      }),
  });
  return client as Octokit;
}
