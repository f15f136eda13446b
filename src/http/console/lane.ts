// One lane: where it stands, what the evidence says, a plot of its operations per week, every
// grant it ever had and its operations.
import { laneOperationTimes } from "../../adapters/store/console.ts";
import type { Q } from "../../adapters/store/db.ts";
import { oneLaneView } from "../../adapters/store/read.ts";
import { html, type Part } from "./html.ts";
import { definitions, link, page, paths, table, type Viewer } from "./layout.ts";
import { operationsPerWeek, weeklyPlot } from "./plot.ts";

export async function laneModel(q: Q, repo: string, lane: string, now: Date) {
  return {
    repository: repo,
    ...(await oneLaneView(q, repo, lane)),
    operations_per_week: operationsPerWeek(await laneOperationTimes(q, repo, lane), now),
  };
}

const short = (sha: string | null) => (sha ? html`<code title="${sha}">${sha.slice(0, 12)}</code>` : "—");

function deployment(d: unknown): Part {
  if (typeof d !== "object" || d === null) return "none recorded";
  const get = (k: string) => String(Reflect.get(d, k) ?? "—");
  const verified = Reflect.get(d, "verified") === false ? " (unverified)" : "";
  return html`<code>${get("artifact_id")}</code> from <code>${get("source_git_ref")}</code>, run ${get("run_id")}${verified}`;
}

export function lanePage(m: Awaited<ReturnType<typeof laneModel>>, viewer: Viewer) {
  const repo = m.repository;
  const bootstrap = m.inventory.last_bootstrap as Record<string, unknown> | null;
  return page(
    `${m.lane} in ${repo}`,
    viewer,
    html`<section aria-labelledby="now"><h2 id="now">Now</h2>${definitions([
      ["State", html`<span class="tag">${m.state}</span> ${m.reason}`],
      ["Data authority", `${m.data_authority} (from ${m.from.data_authority})`],
      ["Rebuild sources", m.allowed_rebuild_sources.join(", ") || "none"],
      ["Upstream source", m.upstream_source],
      [
        "Grant",
        m.grant
          ? html`${link(m.grant.url, `issue #${m.grant.issue}`)}, approved by ${m.grant.approver ?? "—"}, block ${short(m.grant.block_sha256)}, expires ${m.grant.expires_at ?? "never"}`
          : "none",
      ],
    ])}</section>
<section aria-labelledby="inventory"><h2 id="inventory">Inventory</h2>${definitions([
      ["Evidence says", html`<span class="tag">${m.inventory.state}</span> ${m.inventory.reason}`],
      ["Current deployment", deployment(m.inventory.current_deployment)],
      [
        "Last bootstrap",
        bootstrap
          ? html`run ${String(bootstrap.run_id)}: ${String(bootstrap.row)} at ${String(bootstrap.at)}${
              typeof bootstrap.operation_id === "number"
                ? html` (${link(paths.operation(repo, bootstrap.operation_id), `operation ${bootstrap.operation_id}`)})`
                : ""
            }`
          : "none",
      ],
    ])}</section>
<section aria-labelledby="plot"><h2 id="plot">Operations per week</h2>${weeklyPlot(m.operations_per_week)}</section>
<section aria-labelledby="history"><h2 id="history">Grant history</h2>${table(
      "Every grant, newest first",
      ["Issue", "State", "Approver", "Block", "Expires", "Started", "Ended"],
      m.history.map((g) => [
        link(g.url, `#${g.issue}`),
        html`<span class="tag">${g.state}</span> ${g.reason}`,
        g.approver ?? "—",
        short(g.block_sha256),
        g.expires_at ?? "—",
        g.started_at,
        g.ended_at ? `${g.ended_at}${g.ended_by ? ` by ${g.ended_by}` : ""}` : "—",
      ]),
      "no grant yet",
    )}</section>
<section aria-labelledby="operations"><h2 id="operations">Operations</h2>${table(
      "Operations on this lane, newest first",
      ["Operation", "Source", "State", "Outcome", "Run", "Started", "Ended"],
      m.operations.map((o) => [
        link(paths.operation(repo, o.id), `operation ${o.id}`),
        o.source,
        o.state,
        o.outcome ?? "—",
        link(paths.run(repo, o.run_id), `run ${o.run_id} #${o.run_attempt}`),
        o.started_at,
        o.ended_at ?? "—",
      ]),
      "none yet",
    )}</section>`,
  );
}
