// Turns an `issue_comment` delivery into an approval: a `/lanegate approve <prefix>` comment on an
// approval issue is a further approval of the block version it names; editing or deleting such a
// comment withdraws it. Every other comment stops here, with no request and no write.

import type { Context } from "probot";
import { read } from "../adapters/store/db.ts";
import { isApprovalComment, isTracked } from "../adapters/store/issues.ts";
import { parseApproveCommand } from "../core/lanes/approval-command.ts";
import { repoKey } from "../core/repository.ts";
import type { SyncDeps } from "../pipelines/deps.ts";
import { type IssueTarget, syncIssue, withdrawApproval } from "../pipelines/lanes/sync.ts";
import { oncePerDelivery } from "./delivery.ts";

export const COMMENT_EVENTS = [
  "issue_comment.created",
  "issue_comment.edited",
  "issue_comment.deleted",
] as const;

type CommentContext = Context<(typeof COMMENT_EVENTS)[number]>;

export function commentHandler(deps: SyncDeps) {
  const apply = oncePerDelivery(deps, (context: CommentContext) => onComment(deps, context));
  return async (context: CommentContext) => {
    if (await mayMatter(deps, context.payload)) await apply(context);
  };
}

/** From the store alone: a command on a tracked issue, or a change to a standing approval. */
async function mayMatter(deps: SyncDeps, payload: CommentContext["payload"]): Promise<boolean> {
  if (payload.issue.pull_request) return false;
  const { ref, number } = targetOf(payload);
  const repo = repoKey(ref);
  if (payload.action === "created")
    return (
      parseApproveCommand(payload.comment.body) !== null &&
      (await read(deps.db, (q) => isTracked(q, repo, number)))
    );
  return read(deps.db, (q) => isApprovalComment(q, repo, number, payload.comment.id));
}

function targetOf(payload: CommentContext["payload"]): IssueTarget {
  return {
    ref: { owner: payload.repository.owner.login, repo: payload.repository.name },
    installationId: payload.installation?.id ?? null,
    number: payload.issue.number,
  };
}

async function onComment(deps: SyncDeps, context: CommentContext) {
  const { payload } = context;
  const event = `${context.name}.${payload.action}`;
  const trigger = { deliveryId: context.id, event, actor: payload.sender.login };
  const target = targetOf(payload);
  if (payload.action !== "created") {
    await withdrawApproval(deps, context.octokit, target, payload.comment.id, trigger);
    return;
  }
  const prefix = parseApproveCommand(payload.comment.body);
  if (prefix === null) return;
  const claim = {
    via: "comment" as const,
    comment: { id: payload.comment.id, prefix },
    sender: payload.sender.login,
    senderIsBot: payload.sender.type === "Bot",
    body: "",
    at: payload.comment.created_at,
  };
  const result = await syncIssue(deps, context.octokit, target, trigger, { claim });
  // Not applied: the delivery fails, so GitHub's log shows it and a redelivery retries it.
  if (!result.ok) throw new Error(`${event} not applied: ${result.error}`);
}
