// The demo's evidence chapter: what CM testing's runs really did. A deploy run puts an artifact on
// the lane; a bootstrap passes but the logo probe answers 404 (verification_failed, the deployment
// kept); after the fix a second bootstrap makes the lane ready.

import { table } from "../src/cli/table.ts";
import { logo404, result, resultZip } from "../standin/artifacts.ts";
import type { Delivery, Standin } from "../standin/index.ts";
import { DEMO_REPO } from "../standin/world.ts";

const LANE = "cm/testing";
const LOGO = "https://cm-testing.example/web/image/website/1/logo";

export interface DemoWorld {
  gh: Standin;
  base: string;
  send(...deliveries: Delivery[]): Promise<void>;
}

/** The run's result artifact: the contract's example for CM testing, with the logo answering 200 or 404. */
function resultOf(
  runId: number,
  kind: "bootstrap" | "deployment",
  logoCode: number,
  identity: "match" | "unchecked",
) {
  const over = {
    kind,
    lane: LANE,
    run_id: runId,
    run_attempt: 1,
    source: kind === "bootstrap" ? ("empty" as const) : null,
    runtime_identity: {
      status: identity,
      expected: { artifact_id: "artifact-cm-d86025a" },
      observed: { artifact_id: "artifact-cm-d86025a" },
    },
    artifact_id: "artifact-cm-d86025a",
  };
  const probe = { probe: "logo", url: LOGO, status: "fail" as const, status_code: 404, detail: "not found" };
  return logoCode === 200 ? result(over) : logo404({ ...over, probes: [probe] });
}

async function show(w: DemoWorld, title: string) {
  const lane = (await (await fetch(`${w.base}/lanegate/api/repos/${DEMO_REPO}/lanes/${LANE}`)).json()) as {
    inventory: {
      state: string;
      reason: string;
      current_deployment: { artifact_id: string; verified: boolean } | null;
    };
  };
  const inv = lane.inventory;
  const check = [...w.gh.repo(DEMO_REPO).checkRuns.values()]
    .filter((c) => c.name === `lanegate evidence: ${LANE}`)
    .at(-1);
  console.log(`\n== ${title}`);
  console.log(
    table(
      ["LANE", "INVENTORY", "CURRENT DEPLOYMENT", "EVIDENCE CHECK", "WHY"],
      [
        [
          LANE,
          inv.state,
          inv.current_deployment
            ? `${inv.current_deployment.artifact_id}${inv.current_deployment.verified ? "" : " (unverified)"}`
            : "none",
          check ? `${check.conclusion}: ${check.output.title}` : "-",
          inv.reason,
        ],
      ],
    ),
  );
}

/** The run's jobs report their phases, the run uploads its artifact, and it completes. */
async function finish(w: DemoWorld, runId: number, artifact: unknown) {
  const jobs = ["bootstrap", "post-deploy", "verify"];
  await w.send(...jobs.map((j) => w.gh.jobEvent(DEMO_REPO, runId, j, "in_progress")));
  await w.send(
    ...jobs.map((j, i) =>
      w.gh.jobEvent(
        DEMO_REPO,
        runId,
        j,
        "completed",
        i === 2 && JSON.stringify(artifact).includes('"status":"fail"') ? "failure" : "success",
      ),
    ),
  );
  w.gh.uploadArtifact(DEMO_REPO, runId, "lanegate-result", resultZip(artifact));
  await w.send(w.gh.completeRun(DEMO_REPO, runId, "success"));
}

/** A deploy run of deploy.yml (evidence.deploy_workflows) reports artifact-cm-d86025a on cm/testing. */
export async function deployCmTesting(w: DemoWorld) {
  const deploy = w.gh.createRun(DEMO_REPO, {
    workflowPath: "deploy.yml",
    actor: "olivia",
    event: "workflow_dispatch",
  });
  await w.send(deploy.requested);
  w.gh.uploadArtifact(
    DEMO_REPO,
    deploy.runId,
    "lanegate-result",
    resultZip(resultOf(deploy.runId, "deployment", 200, "match")),
  );
  await w.send(w.gh.completeRun(DEMO_REPO, deploy.runId, "success"));
  await show(w, "a deploy run reports artifact-cm-d86025a on cm/testing: the lane is ready");
}

/** The allowed CM testing bootstrap finishes with a logo 404, then a second one after the fix. */
export async function evidenceStory(w: DemoWorld, firstRunId: number, dispatchAgain: () => Promise<number>) {
  await finish(w, firstRunId, resultOf(firstRunId, "bootstrap", 404, "unchecked"));
  await show(w, "CM testing's bootstrap passes, but the logo probe answers 404");
  const second = await dispatchAgain();
  await finish(w, second, resultOf(second, "bootstrap", 200, "match"));
  await show(w, "the logo is fixed; a second bootstrap passes every check");
}
