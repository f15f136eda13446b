// `lanegate simulate`: the gate's own decision on the stored facts, for a run that was never
// dispatched. Nothing is written and GitHub is not asked, so an operator can ask "would this be
// allowed now?" of what lanegate knows.

import { read } from "../../adapters/store/db.ts";
import { configFor, defaultBranchOf } from "../../adapters/store/repositories.ts";
import { type Decision, decide } from "../../core/gate/decision.ts";
import type { GateDeps } from "../deps.ts";
import { gather } from "./gather.ts";

export async function simulate(
  deps: Pick<GateDeps, "db" | "now" | "appId" | "log">,
  repo: string,
  lane: string,
  source: string,
  confirmation: string,
): Promise<Decision> {
  const { config, defaultBranch } = await read(deps.db, async (q) => ({
    config: await configFor(q, repo),
    defaultBranch: await defaultBranchOf(q, repo),
  }));
  // The run is imagined on the first allowed branch; with none named, on the default branch the
  // store recorded. When that was never recorded, gathering says so and the decision refuses.
  const branch = config.gate.branches?.[0] ?? defaultBranch;
  const [owner = "", name = ""] = repo.split("/");
  const [context = "", instance = ""] = lane.split("/");
  const dispatch = { branch: branch ?? "", inputs: { context, instance, source, confirmation } };
  const run = {
    dispatch,
    runId: 0,
    attempt: 1,
    event: "workflow_dispatch",
    headBranch: branch,
    joinProblem: null,
    dispatchId: null,
    status: "queued",
  };
  const target = { ref: { owner, repo: name }, installationId: null, defaultBranch };
  const gathered = await gather(deps, null, target, run, "stored");
  return decide(await read(deps.db, (q) => gathered.facts(q, deps.now())));
}
