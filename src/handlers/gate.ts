// Turns gate deliveries into plain requests for the gate pipeline. No decisions here.
import type { Context } from "probot";
import { transaction } from "../adapters/store/db.ts";
import { deliverySeen, markDelivery } from "../adapters/store/deliveries.ts";
import type { GateDeps } from "../pipelines/gate/context.ts";
import { onCheckRerequested, onDispatch, onProtectionRule, onWorkflowRun } from "../pipelines/gate/intake.ts";
import { repoKey } from "../pipelines/lanes/sync.ts";

type GateEvent =
  | "workflow_dispatch"
  | "workflow_run"
  | "check_run.rerequested"
  | "deployment_protection_rule.requested";

function target(payload: Context<GateEvent>["payload"]) {
  const repository = payload.repository;
  return {
    ref: { owner: repository?.owner.login ?? "", repo: repository?.name ?? "" },
    installationId: payload.installation?.id ?? null,
    defaultBranch: repository?.default_branch ?? "main",
  };
}

const eventName = (context: Context<GateEvent>) =>
  "action" in context.payload && typeof context.payload.action === "string"
    ? `${context.name}.${context.payload.action}`
    : context.name;

/** Runs a handler once per delivery id: a redelivery has one effect. */
function once<E extends GateEvent>(deps: GateDeps, handle: (context: Context<E>) => Promise<void>) {
  return async (context: Context<E>) => {
    if (deliverySeen(deps.db, context.id)) return;
    await handle(context);
    transaction(deps.db, (q) =>
      markDelivery(q, context.id, eventName(context), repoKey(target(context.payload).ref), deps.now()),
    );
  };
}

export function gateHandlers(deps: GateDeps) {
  return {
    dispatch: once<"workflow_dispatch">(deps, async ({ payload, id, octokit }) => {
      await onDispatch(deps, octokit, target(payload), {
        deliveryId: id,
        workflowPath: payload.workflow,
        ref: payload.ref,
        actor: payload.sender.login,
        inputs: payload.inputs ?? {},
      });
    }),
    run: once<"workflow_run">(deps, async ({ payload, octokit, id }) => {
      const r = payload.workflow_run;
      await onWorkflowRun(
        deps,
        octokit,
        target(payload),
        { id, action: payload.action },
        {
          runId: r.id,
          attempt: r.run_attempt,
          workflowPath: r.path,
          headSha: r.head_sha,
          headBranch: r.head_branch,
          event: r.event,
          actor: r.actor?.login ?? "ghost",
          displayTitle:
            "display_title" in r && typeof r.display_title === "string" ? r.display_title : (r.name ?? ""),
          htmlUrl: r.html_url,
          status: r.status ?? "unknown",
          conclusion: r.conclusion,
          createdAt: r.created_at,
          updatedAt: r.updated_at,
        },
      );
    }),
    rerequested: once<"check_run.rerequested">(deps, async ({ payload, octokit }) => {
      const c = payload.check_run;
      await onCheckRerequested(deps, octokit, target(payload), {
        checkRunId: c.id,
        externalId: c.external_id ?? null,
        appId: c.app?.id ?? null,
      });
    }),
    protection: once<"deployment_protection_rule.requested">(deps, async ({ payload, octokit }) => {
      await onProtectionRule(deps, octokit, target(payload), {
        callbackUrl: payload.deployment_callback_url ?? "",
        environment: payload.environment ?? "",
      });
    }),
  };
}
