// A local stand-in for the slice of GitHub's REST API and webhooks that lanegate uses.
export type { Issue, Repo, Role, StateReason, User, WorkflowRun } from "./model.ts";
export { type RunningStandin, startStandin } from "./server.ts";
export {
  type FailRule,
  type RecordedRequest,
  type RunOptions,
  Standin,
  type WorkflowInputs,
} from "./standin.ts";
export { type Delivery, deliver, sign } from "./webhooks.ts";
