// The audit log of the repositories a person may read, with filters (repository, lane, issue,
// kind, time range) and paging by an id cursor.
import { type AuditFilter, auditSearch } from "../../adapters/store/console.ts";
import type { Q } from "../../adapters/store/db.ts";
import { parseLaneId } from "../../core/domain.ts";
import { html } from "./html.ts";
import { link, page, paths, table, type Viewer } from "./layout.ts";

const PAGE = 50;

export interface AuditQuery {
  repo: string;
  lane: string;
  issue: string;
  kind: string;
  since: string;
  until: string;
  before: string;
}

export function auditQuery(params: URLSearchParams): AuditQuery {
  const get = (k: string) => (params.get(k) ?? "").trim();
  return {
    repo: get("repo").toLowerCase(),
    lane: get("lane"),
    issue: get("issue"),
    kind: get("kind"),
    since: get("since"),
    until: get("until"),
    before: get("before"),
  };
}

/** A day (`2026-12-01`) or a full ISO time, as the ISO string the log stores; null if neither. */
function isoOf(text: string, endOfDay: boolean): string | null {
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) {
    const day = Date.parse(`${text}T00:00:00Z`);
    return Number.isNaN(day) ? null : new Date(day + (endOfDay ? 86_400_000 : 0)).toISOString();
  }
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : new Date(at).toISOString();
}

/** The filter the query asks for, or the first thing wrong with it. */
export function auditFilter(q: AuditQuery, readable: string[]): AuditFilter | { error: string } {
  if (q.repo && !readable.includes(q.repo)) return { error: `no repository ${q.repo} you can read` };
  const lane = q.lane ? parseLaneId(q.lane) : null;
  if (q.lane && !lane) return { error: `"${q.lane}" is not a lane id like cm/testing` };
  if (q.issue && !/^[1-9][0-9]*$/.test(q.issue)) return { error: `"${q.issue}" is not an issue number` };
  const since = q.since ? isoOf(q.since, false) : undefined;
  const until = q.until ? isoOf(q.until, true) : undefined;
  if (since === null || until === null) return { error: "times are days like 2026-12-01 or ISO times" };
  if (q.before && !/^[1-9][0-9]*$/.test(q.before)) return { error: "before is an audit line id" };
  return {
    repos: q.repo ? [q.repo] : readable,
    lane: lane?.id,
    issue: q.issue ? Number(q.issue) : undefined,
    kind: q.kind || undefined,
    since,
    until,
    before: q.before ? Number(q.before) : undefined,
    limit: PAGE,
  };
}

export function auditModel(q: Q, filter: AuditFilter) {
  return auditSearch(q, filter);
}

export function auditPage(
  result: Awaited<ReturnType<typeof auditModel>> | { error: string },
  q: AuditQuery,
  readable: string[],
  kinds: string[],
  viewer: Viewer,
) {
  const option = (value: string, chosen: string, text = value) =>
    html`<option value="${value}"${value === chosen ? html` selected` : ""}>${text}</option>`;
  const form = html`<form class="filters" method="get" action="/lanegate/audit" aria-label="Filter the audit log">
<label>Repository <select name="repo">${option("", q.repo, "all you can read")}${readable.map((r) => option(r, q.repo))}</select></label>
<label>Lane <input name="lane" value="${q.lane}" placeholder="cm/testing" size="12"></label>
<label>Issue <input name="issue" value="${q.issue}" inputmode="numeric" size="5"></label>
<label>Kind <select name="kind">${option("", q.kind, "any")}${kinds.map((k) => option(k, q.kind))}</select></label>
<label>From <input type="date" name="since" value="${q.since}"></label>
<label>Until <input type="date" name="until" value="${q.until}"></label>
<button type="submit">Filter</button></form>`;
  if ("error" in result)
    return page("Audit log", viewer, html`${form}<p role="alert" class="bad">${result.error}</p>`);
  const next = new URLSearchParams(
    Object.entries({ ...q, before: String(result.next_before ?? "") }).filter(([, v]) => v),
  );
  // A decision's line names its run: link it to the run's page.
  const subject = (repo: string, text: string) => {
    const run = /^run ([1-9][0-9]*) attempt/.exec(text);
    return run ? link(paths.run(repo, Number(run[1])), text) : text;
  };
  const rows = result.entries.map((e) => [
    e.at,
    e.repo,
    e.event,
    e.actor ?? "—",
    subject(e.repo, e.subject),
    e.change,
  ]);
  return page(
    "Audit log",
    viewer,
    html`${form}${table("Audit lines, newest first", ["At", "Repository", "Kind", "Actor", "Subject", "Change"], rows, "no audit line matches")}
${result.next_before ? html`<p><a href="/lanegate/audit?${next.toString()}" rel="next">Older lines</a></p>` : null}`,
  );
}
