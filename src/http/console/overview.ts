// The overview: every repository the person may read, each lane with its authority, grant and
// expiry, the operation holding it and what the evidence says. Lanes whose grant ends within a day
// and operations stale or past their lease are marked.
import type { Q } from "../../adapters/store/db.ts";
import { holdingOperations } from "../../adapters/store/operations.ts";
import { laneViews, repositoryView } from "../../adapters/store/read.ts";
import { html } from "./html.ts";
import { link, page, paths, table, type Viewer } from "./layout.ts";

const DAY = 86_400_000;

export async function overviewModel(q: Q, repos: string[], now: Date) {
  const repositories = [];
  for (const repo of repos) repositories.push(await repositoryModel(q, repo, now));
  return { repositories };
}

async function repositoryModel(q: Q, repo: string, now: Date) {
  const holding = await holdingOperations(q, repo);
  const config = await repositoryView(q, repo);
  const lanes = await laneViews(q, repo);
  return {
    repository: repo,
    config,
    lanes: lanes.map((lane) => {
      const op = holding.find((o) => o.lane === lane.lane);
      const expires = lane.grant?.expires_at ? Date.parse(lane.grant.expires_at) : Number.NaN;
      return {
        ...lane,
        expires_within_a_day: lane.state === "active" && expires - now.getTime() < DAY,
        in_flight: op
          ? {
              id: op.id,
              state: op.state,
              run_id: op.runId,
              lease_expires_at: op.leaseExpiresAt,
              past_lease: op.state === "stale" || Date.parse(op.leaseExpiresAt) < now.getTime(),
            }
          : null,
      };
    }),
  };
}

function configErrors(errors: unknown) {
  return Array.isArray(errors) && errors.length > 0 ? html` — ${errors.map(String).join("; ")}` : "";
}

export function overviewPage(model: Awaited<ReturnType<typeof overviewModel>>, viewer: Viewer) {
  const sections = model.repositories.map(
    (
      r,
    ) => html`<section aria-labelledby="repo-${r.repository}"><h2 id="repo-${r.repository}">${r.repository}</h2>
<p class="note">Config: ${r.config?.status ?? "never read"}${configErrors(r.config?.errors)}.
<a href="/lanegate/audit?repo=${r.repository}">Audit log</a></p>
${table(
  `Lanes of ${r.repository}`,
  ["Lane", "Authority", "State", "Grant", "Expires", "In flight", "Inventory"],
  r.lanes.map((l) => [
    link(paths.lane(r.repository, l.lane), l.lane),
    l.data_authority,
    html`<span class="tag">${l.state}</span> ${l.reason}`,
    l.grant ? html`${link(l.grant.url, `#${l.grant.issue}`)} by ${l.grant.approver ?? "nobody yet"}` : "—",
    l.expires_within_a_day
      ? html`<mark>${l.grant?.expires_at}</mark> (within 24 h)`
      : (l.grant?.expires_at ?? "—"),
    l.in_flight
      ? html`<span class="${l.in_flight.past_lease ? "warn" : ""}">${link(paths.operation(r.repository, l.in_flight.id), `operation ${l.in_flight.id}`)} ${l.in_flight.state}${l.in_flight.past_lease ? " — past its lease" : ""}</span>`
      : "—",
    html`<span class="tag">${l.inventory.state}</span>`,
  ]),
  "no lanes declared or granted yet",
)}</section>`,
  );
  const none = html`<p>No repository of this installation is readable for you, or lanegate has seen none yet.</p>`;
  return page("Overview", viewer, model.repositories.length ? sections : none);
}
