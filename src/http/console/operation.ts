// An operation (an allowed run) or a run lanegate refused: every decision made for the run with
// each check and its reason, the dispatch inputs, the phases, the evidence with its probes and the
// artifact's provenance, and the one write action: re-running the decision.
import { z } from "zod";
import type { Q } from "../../adapters/store/db.ts";
import { operationView, runView } from "../../adapters/store/read.ts";
import { checkSchema } from "../../core/gate/decision.ts";
import { type Html, html, type Part } from "./html.ts";
import { checksTable, definitions, link, page, paths, table, type Viewer } from "./layout.ts";

export async function operationModel(q: Q, repo: string, id: number) {
  const op = await operationView(q, repo, id);
  if (!op) return null;
  return { repository: repo, operation: op, decisions: (await runView(q, repo, op.run_id))?.decisions ?? [] };
}

export async function runModel(q: Q, repo: string, runId: number) {
  const run = await runView(q, repo, runId);
  return run ? { repository: repo, ...run } : null;
}

type RunView = NonNullable<Awaited<ReturnType<typeof runView>>>;
type Decisions = RunView["decisions"];
type Run = RunView["run"] | null;
type Op = NonNullable<Awaited<ReturnType<typeof operationView>>>;

const checks = z.array(checkSchema);

/** Any stored JSON, as nested definition lists: the dispatch inputs and the runtime identity. */
function data(value: unknown): Part {
  if (value === null || value === undefined) return "—";
  if (typeof value !== "object") return String(value);
  const entries = Object.entries(value);
  if (entries.length === 0) return "none";
  return definitions(entries.map(([k, v]) => [k, data(v)]));
}

function decisionsSection(repo: string, decisions: Decisions): Html {
  const shown = decisions.map((d) => {
    const parsed = checks.safeParse(d.checks);
    return html`<article aria-labelledby="decision-${d.id}">
<h3 id="decision-${d.id}">Attempt ${d.run_attempt}: ${d.allowed ? "allowed" : "refused"} at ${d.decided_at}</h3>
${definitions([
  ["Lane", d.lane ? link(paths.lane(repo, d.lane), d.lane) : "not named"],
  ["Approval issue", d.approval_issue ? `#${d.approval_issue}` : "none"],
  [
    "Check run",
    d.check_run_id
      ? `${d.check_run_id}${d.write_error ? ` (last write failed: ${d.write_error})` : ""}`
      : `not written yet${d.write_error ? `: ${d.write_error}` : ""}`,
  ],
  ["Dispatch", data(d.request)],
])}
${checksTable("Every check, in the order the gate makes them", parsed.success ? parsed.data : [], "the stored checks could not be read")}
</article>`;
  });
  return html`<section aria-labelledby="decisions"><h2 id="decisions">Decisions</h2>${shown.length ? shown : html`<p>No decision yet.</p>`}</section>`;
}

function runSection(run: Run): Html {
  if (!run) return html`<p>GitHub never reported this run to lanegate.</p>`;
  return definitions([
    ["Run", link(run.url, `${run.title ?? run.workflow} (run ${run.id}, attempt ${run.attempt})`)],
    ["Workflow", run.workflow],
    ["Started by", `${run.actor ?? "—"} (${run.event}) from ${run.branch ?? "—"}`],
    ["Head", html`<code>${run.head_sha}</code>`],
    ["Status", `${run.status}${run.conclusion ? `: ${run.conclusion}` : ""}`],
  ]);
}

function evidenceSection(op: Op): Html {
  const phases = table(
    "Phases",
    ["Phase", "Job", "Status", "Started", "Completed"],
    op.phases.map((p) => [
      p.phase,
      p.job,
      `${p.status}${p.conclusion ? ` (${p.conclusion})` : ""}`,
      p.started_at ?? "—",
      p.completed_at ?? "—",
    ]),
    "no job of this run is mapped to a phase",
  );
  const e = op.evidence;
  if (!e) return html`${phases}<p>No evidence recorded yet.</p>`;
  const a = e.artifact;
  const facts = definitions([
    ["Lane state it left", html`<span class="tag">${e.lane_state ?? "—"}</span> ${e.reason ?? ""}`],
    ["Evidence", `${e.status}${e.error ? ` — ${e.error.code}: ${e.error.message}` : ""}`],
    ...(a
      ? ([
          ["Kind", a.kind],
          [
            "Artifact",
            html`<code>${a.artifact_id ?? "—"}</code> from <code>${a.source_git_ref ?? "—"}</code> for ${a.target_name ?? "—"}`,
          ],
          ["Bootstrap", a.bootstrap_run_status],
          ["Post-deploy", a.post_deploy_status],
          ["Health, canonical, logo", `${a.health_status}, ${a.canonical_status}, ${a.logo_status}`],
          ["Readiness", a.readiness_status],
          [
            "Runtime identity",
            html`${a.runtime_identity.status} ${data({ expected: a.runtime_identity.expected, observed: a.runtime_identity.observed })}`,
          ],
          ["Error", a.error_message],
        ] as [string, Part][])
      : []),
  ]);
  const probes = a
    ? table(
        "Probes",
        ["Probe", "Status", "HTTP", "URL", "Detail"],
        a.probes.map((p) => [
          p.probe,
          p.status === "pass" ? "pass" : html`<strong>${p.status}</strong>`,
          p.status_code === null || p.status_code === undefined ? "—" : String(p.status_code),
          html`<code>${p.url ?? "—"}</code>`,
          p.detail ?? "—",
        ]),
        "the artifact lists no probes",
      )
    : null;
  return html`${phases}<h3>What the run reported</h3>${facts}${probes}`;
}

export interface RerunForm {
  csrf: string | null;
  flash: string | null;
}

function rerunSection(repo: string, runId: number, form: RerunForm): Html {
  const flash = form.flash ? html`<p class="flash" role="status">${form.flash}</p>` : null;
  const button = form.csrf
    ? html`<form method="post" action="${paths.run(repo, runId)}/rerun">
<input type="hidden" name="csrf" value="${form.csrf}">
<button type="submit">Re-run the decision</button></form>
<p class="note">GitHub re-requests lanegate's check run; lanegate decides again against the policy in force now. Needs maintain or admin on ${repo}.</p>`
    : html`<p class="note">Sign in as a person to re-run the decision.</p>`;
  return html`<section aria-labelledby="rerun"><h2 id="rerun">Re-run</h2>${flash}${button}</section>`;
}

export function operationPage(
  m: NonNullable<Awaited<ReturnType<typeof operationModel>>>,
  viewer: Viewer,
  form: RerunForm,
) {
  const op = m.operation;
  const repo = m.repository;
  return page(
    `Operation ${op.id}: ${op.lane}`,
    viewer,
    html`${definitions([
      ["Repository", repo],
      ["Lane", link(paths.lane(repo, op.lane), op.lane)],
      ["Source", op.source],
      ["State", html`<span class="tag">${op.state}</span>${op.outcome ? ` — ${op.outcome}` : ""}`],
      ["Approval issue", `#${op.approval_issue}, block ${op.block_sha256?.slice(0, 12) ?? "—"}`],
      ["Started", op.started_at],
      ["Lease until", op.lease_expires_at],
      ["Ended", op.ended_at ? `${op.ended_at}${op.ended_by ? ` (${op.ended_by})` : ""}` : "—"],
    ])}
<section aria-labelledby="run"><h2 id="run">Run</h2>${runSection(op.run)}</section>
${decisionsSection(repo, m.decisions)}
<section aria-labelledby="evidence"><h2 id="evidence">Evidence</h2>${evidenceSection(op)}</section>
${rerunSection(repo, op.run_id, form)}`,
  );
}

export function runPage(
  m: NonNullable<Awaited<ReturnType<typeof runModel>>>,
  viewer: Viewer,
  form: RerunForm,
) {
  const repo = m.repository;
  const id = m.run?.id ?? 0;
  return page(
    `Run ${id} in ${repo}`,
    viewer,
    html`<section aria-labelledby="run"><h2 id="run">Run</h2>${runSection(m.run)}</section>
${m.operations.map((o) => html`<p>This run opened ${link(paths.operation(repo, o.id), `operation ${o.id}`)}.</p>`)}
${decisionsSection(repo, m.decisions)}
${rerunSection(repo, id, form)}`,
  );
}
