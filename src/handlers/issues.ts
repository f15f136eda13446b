// Turns an `issues` delivery into a sync trigger. The payload only says which issue to look at
// and what its sender may have approved; the state itself is read from GitHub.
import type { Context } from "probot";
import { findPolicyBlocks } from "../core/policy/fence.ts";
import { type ApprovalClaim, type SyncDeps, syncIssue } from "../pipelines/lanes/sync.ts";
import { oncePerDelivery } from "./delivery.ts";

export const ISSUE_EVENTS = [
  "issues.opened",
  "issues.edited",
  "issues.labeled",
  "issues.unlabeled",
  "issues.closed",
  "issues.reopened",
  "issues.deleted",
  "issues.transferred",
] as const;

export function issueHandler(deps: SyncDeps) {
  return oncePerDelivery(deps, (context: Context<(typeof ISSUE_EVENTS)[number]>) => onIssue(deps, context));
}

async function onIssue(deps: SyncDeps, context: Context<(typeof ISSUE_EVENTS)[number]>) {
  const { payload } = context;
  const event = `${context.name}.${payload.action}`;
  const result = await syncIssue(
    deps,
    context.octokit,
    {
      ref: { owner: payload.repository.owner.login, repo: payload.repository.name },
      installationId: payload.installation?.id ?? null,
      number: payload.issue.number,
    },
    { deliveryId: context.id, event, actor: payload.sender.login },
    { claim: claimOf(payload) },
  );
  // Not applied: the delivery fails, so GitHub's log shows it and a redelivery retries it.
  if (!result.ok) throw new Error(`${event} not applied: ${result.error}`);
}

function claimOf(payload: Context<(typeof ISSUE_EVENTS)[number]>["payload"]): ApprovalClaim | undefined {
  // GitHub's time for the change, not the time the delivery happened to reach the app.
  const sender = {
    sender: payload.sender.login,
    senderIsBot: payload.sender.type === "Bot",
    at: payload.issue.updated_at,
  };
  const body = payload.issue.body ?? "";
  if (payload.action === "labeled" && payload.label) {
    return { via: "labeled", label: payload.label.name, body, ...sender };
  }
  if (payload.action === "edited" && payload.changes.body) {
    // An edit that leaves the block as it was changes nothing, so it approves nothing either.
    const blockOf = (text: string) => findPolicyBlocks(text).map((b) => b.text);
    const same = JSON.stringify(blockOf(payload.changes.body.from)) === JSON.stringify(blockOf(body));
    return same ? undefined : { via: "edited", body, ...sender };
  }
  return undefined;
}
