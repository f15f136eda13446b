// Webhook payloads with GitHub's real shapes: recorded examples from @octokit/webhooks-examples,
// with only the fields a scenario cares about changed. Tests check them against the webhook schema.
import { createRequire } from "node:module";
import { cmOpwApprovalBody } from "../../standin/world.ts";

type Json = Record<string, unknown>;
interface ExampleGroup {
  name: string;
  examples: Json[];
}
const examples = createRequire(import.meta.url)("@octokit/webhooks-examples") as ExampleGroup[];

export function example(event: string, action: string): Json {
  const group = examples.find((g) => g.name === event);
  const found = group?.examples.find((e) => e.action === action && (e.installation as Json | undefined)?.id);
  const any = found ?? group?.examples.find((e) => e.action === action);
  if (!any) throw new Error(`no example for ${event}.${action}`);
  return structuredClone(any);
}

export const OWNER = "acme";
export const REPO = "platform";

export function user(login: string, type: "User" | "Bot" = "User", id = 1000 + login.length): Json {
  const base = example("issues", "labeled").sender as Json;
  const url = `https://api.github.com/users/${login}`;
  return { ...base, login, id, type, url, html_url: `https://github.com/${login}` };
}

export interface IssueSpec {
  number: number;
  body: string;
  author: string;
  state?: "open" | "closed";
  labels?: string[];
}

export function issueJson(spec: IssueSpec): Json {
  const issue = example("issues", "labeled").issue as Json;
  const api = `https://api.github.com/repos/${OWNER}/${REPO}`;
  const labelTemplate = (issue.labels as Json[])[0] ?? {};
  return {
    ...issue,
    number: spec.number,
    body: spec.body,
    user: user(spec.author),
    state: spec.state ?? "open",
    closed_at: spec.state === "closed" ? "2026-11-23T10:00:00Z" : null,
    labels: (spec.labels ?? []).map((name, i) => ({ ...labelTemplate, id: 500 + i, name })),
    url: `${api}/issues/${spec.number}`,
    repository_url: api,
    html_url: `https://github.com/${OWNER}/${REPO}/issues/${spec.number}`,
    comments_url: `${api}/issues/${spec.number}/comments`,
    events_url: `${api}/issues/${spec.number}/events`,
    labels_url: `${api}/issues/${spec.number}/labels{/name}`,
  };
}

export function issuesPayload(
  action: "opened" | "edited" | "labeled" | "unlabeled" | "closed" | "reopened" | "deleted",
  spec: IssueSpec,
  sender: string,
  extra: Json = {},
): Json {
  const payload = example("issues", action === "deleted" ? "deleted" : action);
  const repository = payload.repository as Json;
  return {
    ...payload,
    issue: issueJson(spec),
    sender: user(sender),
    repository: {
      ...repository,
      name: REPO,
      full_name: `${OWNER}/${REPO}`,
      owner: user(OWNER),
    },
    installation: { id: 1, node_id: "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMQ==" },
    ...(action === "labeled" || action === "unlabeled"
      ? { label: { ...((payload.label as Json | undefined) ?? {}), name: "lane-policy" } }
      : {}),
    ...(action === "edited" ? { changes: { body: { from: "previous body" } } } : {}),
    ...extra,
  };
}

export const CM_OPW_BLOCK = cmOpwApprovalBody();

export const CONFIG_YAML = [
  "label: lane-policy",
  "approvers:",
  "  min_permission: maintain",
  "lanes:",
  "  syo/prod: { data_authority: authoritative }",
  "  verireel/prod: { data_authority: authoritative }",
].join("\n");
