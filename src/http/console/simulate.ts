// The simulate form: the same question as `lanegate simulate`, answered by the same pipeline on
// the stored facts. Nothing is written and GitHub is not asked.
import { parseLaneId, REBUILD_SOURCES } from "../../core/domain.ts";
import type { Decision } from "../../core/gate/decision.ts";
import { html } from "./html.ts";
import { checksTable, page, type Viewer } from "./layout.ts";

export interface SimulateQuery {
  repo: string;
  lane: string;
  source: string;
  confirmation: string;
}

export function simulateQuery(params: URLSearchParams): SimulateQuery {
  const get = (k: string) => params.get(k) ?? "";
  return {
    repo: get("repo").trim().toLowerCase(),
    lane: get("lane"),
    source: get("source") || "empty",
    confirmation: get("confirmation"),
  };
}

/** The question to put to the gate, or why it cannot be put; null when the form is still empty. */
export function simulateRequest(
  q: SimulateQuery,
  readable: string[],
): { error: string } | { repo: string; lane: string; source: string; confirmation: string } | null {
  if (!q.repo && !q.lane) return null;
  if (!readable.includes(q.repo)) return { error: `no repository ${q.repo || "(none chosen)"} you can read` };
  const lane = parseLaneId(q.lane);
  if (!lane) return { error: `"${q.lane}" is not a lane id like cm/testing` };
  if (!(REBUILD_SOURCES as readonly string[]).includes(q.source))
    return { error: `the source is one of ${REBUILD_SOURCES.join(", ")}` };
  return { repo: q.repo, lane: lane.id, source: q.source, confirmation: q.confirmation };
}

export function simulatePage(
  q: SimulateQuery,
  readable: string[],
  answer: Decision | { error: string } | null,
  viewer: Viewer,
) {
  const option = (value: string, chosen: string) =>
    html`<option value="${value}"${value === chosen ? html` selected` : ""}>${value}</option>`;
  const form = html`<form class="stack" method="get" action="/lanegate/simulate" aria-label="Ask the gate">
<label>Repository <select name="repo" required>${readable.map((r) => option(r, q.repo))}</select></label>
<label>Lane <input name="lane" value="${q.lane}" placeholder="cm/testing" required></label>
<label>Source <select name="source">${REBUILD_SOURCES.map((s) => option(s, q.source))}</select></label>
<label>Confirmation phrase <input name="confirmation" value="${q.confirmation}" placeholder="bootstrap cm testing"></label>
<button type="submit">Would it be allowed?</button></form>
<p class="note">The gate's own decision on what lanegate has stored, for a run dispatched by hand now. Nothing is written and GitHub is not asked.</p>`;
  let result = null;
  if (answer && "error" in answer) result = html`<p role="alert" class="bad">${answer.error}</p>`;
  else if (answer)
    result = html`<section aria-labelledby="answer"><h2 id="answer" class="${answer.allowed ? "ok" : "bad"}">${answer.title}</h2>
${checksTable("Every check", answer.checks)}</section>`;
  return page("Simulate a run", viewer, html`${form}${result}`);
}
