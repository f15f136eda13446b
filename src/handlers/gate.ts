// Turns gate deliveries into plain requests for the gate pipeline. No decisions here.
import type { Context } from "probot";
import { targetOf } from "../core/repository.ts";
import { whileDeciding } from "../pipelines/decisions-first.ts";
import type { GateDeps } from "../pipelines/deps.ts";
import { onCheckRerequested, onDispatch, onProtectionRule, onWorkflowRun } from "../pipelines/gate/intake.ts";
import { oncePerDelivery } from "./delivery.ts";

type GateEvent =
  | "workflow_dispatch"
  | "workflow_run"
  | "check_run.rerequested"
  | "deployment_protection_rule.requested";

function target(payload: Context<GateEvent>["payload"]) {
  const repository = payload.repository;
  return targetOf(
    { owner: repository?.owner.login ?? "", repo: repository?.name ?? "" },
    payload.installation?.id ?? null,
    { delivered: repository?.default_branch },
  );
}

/** Status comments of the installation wait while its gate deliveries are decided and published. */
function deciding<C extends Context<GateEvent>>(handle: (context: C) => Promise<void>) {
  return (context: C) => whileDeciding(context.payload.installation?.id ?? null, () => handle(context));
}

export function gateHandlers(deps: GateDeps) {
  return {
    dispatch: oncePerDelivery(
      deps,
      deciding(async ({ payload, id, octokit }: Context<"workflow_dispatch">) => {
        await onDispatch(deps, octokit, target(payload), {
          deliveryId: id,
          workflowPath: payload.workflow,
          ref: payload.ref,
          actor: payload.sender.login,
          inputs: payload.inputs ?? {},
        });
      }),
    ),
    run: oncePerDelivery(
      deps,
      deciding(async ({ payload, octokit, id }: Context<"workflow_run">) => {
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
    ),
    rerequested: oncePerDelivery(
      deps,
      deciding(async ({ payload, octokit }: Context<"check_run.rerequested">) => {
        const c = payload.check_run;
        await onCheckRerequested(deps, octokit, target(payload), {
          checkRunId: c.id,
          externalId: c.external_id ?? null,
          appId: c.app?.id ?? null,
        });
      }),
    ),
    protection: oncePerDelivery(
      deps,
      deciding(async ({ payload, octokit }: Context<"deployment_protection_rule.requested">) => {
        await onProtectionRule(deps, octokit, target(payload), {
          callbackUrl: payload.deployment_callback_url ?? "",
          environment: payload.environment ?? "",
        });
      }),
    ),
  };
}
