// Turns a `push` into a config refresh: the only push that matters is one to a default branch
// touching a file some repository's config was read from. Refreshing is idempotent, so a push is
// not deduplicated; a failed refresh marks the config stale, and the next decision reads it again.
import type { Context } from "probot";
import type { SyncDeps } from "../pipelines/deps.ts";
import { refreshOnPush } from "../pipelines/lanes/config-push.ts";

export function pushHandler(deps: SyncDeps) {
  return async ({ payload, octokit }: Context<"push">) => {
    const commits = payload.commits;
    // GitHub lists at most 2048 commits (and fewer file names); when the list may be cut short,
    // or there is none, every file of the repository counts as touched.
    const listed = commits.length > 0 && commits.length < 2048;
    const paths = listed
      ? commits.flatMap((c) => [...(c.added ?? []), ...(c.modified ?? []), ...(c.removed ?? [])])
      : null;
    await refreshOnPush(deps, octokit, {
      ref: { owner: payload.repository.owner?.login ?? "", repo: payload.repository.name },
      installationId: payload.installation?.id ?? null,
      branch: payload.ref.replace(/^refs\/heads\//, ""),
      defaultBranch: payload.repository.default_branch,
      paths,
    });
  };
}
