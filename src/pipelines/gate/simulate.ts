// `lanegate simulate`: the gate's own decision on the stored facts, for a run that was never
// dispatched. Nothing is written, so an operator can ask "would this be allowed now?".

import { configFor, type Q } from "../../adapters/store/lanes.ts";
import { type Decision, decide } from "../../core/gate/decision.ts";
import { gatherFacts } from "./evaluate.ts";

export function simulate(
  q: Q,
  repo: string,
  lane: string,
  source: string,
  confirmation: string,
  now: Date,
): Decision {
  const config = configFor(q, repo);
  const branch = config.gate.branches?.[0] ?? "main";
  const [context = "", instance = ""] = lane.split("/");
  const run = {
    runId: 0,
    attempt: 1,
    event: "workflow_dispatch",
    headBranch: branch,
    joinProblem: null,
    finished: false,
  };
  const dispatch = { branch, inputs: { context, instance, source, confirmation } };
  return decide(gatherFacts(q, repo, run, dispatch, config, branch, null, now));
}
