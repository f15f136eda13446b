// Turns an `issues` delivery into a sync trigger. The payload only says which issue to look at
// and what its sender may have approved; the state itself is read from GitHub.
import type { Context } from "probot";
import { findPolicyBlocks } from "../core/policy/fence.ts";
import type { SyncDeps } from "../pipelines/deps.ts";
import { type IssueSigns, issueMayMatter } from "../pipelines/lanes/relevance.ts";
import { type ApprovalClaim, type IssueTarget, syncIssue } from "../pipelines/lanes/sync.ts";
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

type IssueContext = Context<(typeof ISSUE_EVENTS)[number]>;

export function issueHandler(deps: SyncDeps) {
  const sync = oncePerDelivery(deps, (context: IssueContext) => onIssue(deps, context));
  // Unrelated deliveries stop here: no request, no write, not even the delivery mark.
  return async (context: IssueContext) => {
    if (await issueMayMatter(deps, context.octokit, targetOf(context.payload), signsOf(context.payload)))
      await sync(context);
  };
}

function targetOf(payload: IssueContext["payload"]): IssueTarget {
  return {
    ref: { owner: payload.repository.owner.login, repo: payload.repository.name },
    installationId: payload.installation?.id ?? null,
    number: payload.issue.number,
  };
}

function signsOf(payload: IssueContext["payload"]): IssueSigns {
  const labels = (payload.issue.labels ?? []).flatMap((l) => (l ? [l.name] : []));
  const changed = "label" in payload && payload.label ? [payload.label.name] : [];
  const before = payload.action === "edited" ? [payload.changes.body?.from ?? ""] : [];
  return { labels: [...labels, ...changed], bodies: [payload.issue.body ?? "", ...before] };
}

async function onIssue(deps: SyncDeps, context: IssueContext) {
  const { payload } = context;
  const event = `${context.name}.${payload.action}`;
  const result = await syncIssue(
    deps,
    context.octokit,
    targetOf(payload),
    { deliveryId: context.id, event, actor: payload.sender.login },
    { claim: claimOf(payload) },
  );
  // Not applied: the delivery fails, so GitHub's log shows it and a redelivery retries it.
  if (!result.ok) throw new Error(`${event} not applied: ${result.error}`);
}

function claimOf(payload: IssueContext["payload"]): ApprovalClaim | undefined {
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
