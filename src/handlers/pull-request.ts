// Turns pull-request deliveries, and re-requests of the pull-request checks, into plain requests
// for the checks pipeline. `check_run.rerequested` is routed by the check's name: the gate's
// check runs (`lanegate: <lane>`) go to the gate as before.
import type { Context } from "probot";
import { CHECK_NAMES, type CheckName } from "../core/checks/render.ts";
import { type CheckDeps, checkPullRequest, pullNumberOf } from "../pipelines/checks/pull-request.ts";
import { oncePerDelivery } from "./delivery.ts";

export const PULL_REQUEST_EVENTS = [
  "pull_request.opened",
  "pull_request.synchronize",
  "pull_request.reopened",
] as const;

type PullRequestEvent = (typeof PULL_REQUEST_EVENTS)[number];

function target(payload: Context<PullRequestEvent | "check_run.rerequested">["payload"]) {
  const repository = payload.repository;
  return {
    ref: { owner: repository.owner.login, repo: repository.name },
    installationId: payload.installation?.id ?? null,
    defaultBranch: repository.default_branch,
  };
}

const isCheckName = (name: string): name is CheckName => (CHECK_NAMES as readonly string[]).includes(name);

export function pullRequestHandlers(deps: CheckDeps) {
  const changed = oncePerDelivery(deps, async ({ payload, octokit }: Context<PullRequestEvent>) => {
    const pr = payload.pull_request;
    await checkPullRequest(deps, octokit, target(payload), { number: pr.number, headSha: pr.head.sha });
  });
  const rerequested = oncePerDelivery(
    deps,
    async ({ payload, octokit }: Context<"check_run.rerequested">) => {
      const c = payload.check_run;
      const number = pullNumberOf(c.external_id ?? null);
      if (c.app?.id !== deps.appId || number === null || !isCheckName(c.name)) return;
      // The check run's own commit: a newer push has its own check runs already.
      await checkPullRequest(deps, octokit, target(payload), { number, headSha: c.head_sha }, c.name);
    },
  );
  return {
    changed,
    /** Routes a re-request by the check's name: the pull-request checks here, the rest to the gate. */
    rerequestedOr(gate: (context: Context<"check_run.rerequested">) => Promise<void>) {
      return (context: Context<"check_run.rerequested">) =>
        isCheckName(context.payload.check_run.name) ? rerequested(context) : gate(context);
    },
  };
}
