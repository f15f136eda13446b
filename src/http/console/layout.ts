// The page shell every console page shares: one inline style sheet (no external assets, allowed by
// its hash in the Content-Security-Policy), a header with the signed-in person, and small helpers.
import { createHash } from "node:crypto";
import type { Check } from "../../core/gate/decision.ts";
import { Html, html, type Part } from "./html.ts";

const STYLE = `
:root{color-scheme:light dark;--fg:#1b1f24;--bg:#fff;--muted:#57606a;--line:#d0d7de;--warn:#fff1c2;--bad:#ffe1e1;--ok:#dafbe1;--link:#0550ae}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--bg:#0d1117;--muted:#9198a1;--line:#3d444d;--warn:#4b3a00;--bad:#5c1a1a;--ok:#0f3d1f;--link:#6cb6ff}}
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,sans-serif;color:var(--fg);background:var(--bg)}
a{color:var(--link)}
a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible{outline:3px solid var(--link);outline-offset:2px}
header{display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;align-items:center;padding:.75rem 1rem;border-bottom:1px solid var(--line)}
header nav ul{display:flex;flex-wrap:wrap;gap:.25rem 1rem;list-style:none;margin:0;padding:0}
header form{margin-left:auto}
main{padding:1rem;max-width:72rem;margin:0 auto}
h1{font-size:1.5rem;margin:.5rem 0 1rem}h2{font-size:1.2rem;margin:1.5rem 0 .5rem}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:.92rem}
th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
caption{text-align:left;font-weight:600;padding:.25rem 0}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:0}
dt{color:var(--muted)}dd{margin:0;overflow-wrap:anywhere}
code{font-size:.9em;overflow-wrap:anywhere}
.note{color:var(--muted)}
.warn{background:var(--warn)}.bad{background:var(--bad)}.ok{background:var(--ok)}
.tag{display:inline-block;padding:0 .4rem;border:1px solid var(--line);border-radius:.75rem;font-size:.85rem}
form.filters{display:flex;flex-wrap:wrap;gap:.75rem;align-items:end}
form.filters label,form.stack label{display:flex;flex-direction:column;font-size:.9rem}
form.stack{display:grid;gap:.75rem;max-width:32rem}
input,select,button{font:inherit;padding:.3rem .5rem;border:1px solid var(--line);border-radius:.3rem;background:var(--bg);color:var(--fg)}
button{cursor:pointer;background:var(--link);color:var(--bg);border-color:var(--link)}
svg text{fill:var(--fg);font-size:11px}
.flash{padding:.5rem .75rem;border:1px solid var(--line);border-radius:.3rem}
@media (max-width:40rem){dl{grid-template-columns:1fr}dt{margin-top:.4rem}}
`;

const STYLE_HASH = createHash("sha256").update(STYLE).digest("base64");

/** No script, no frames, no outside assets; forms post only back to the console. */
export const CSP = `default-src 'none'; style-src 'sha256-${STYLE_HASH}'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`;

export interface Viewer {
  login: string | null;
  csrf: string | null;
}

export function page(title: string, viewer: Viewer, body: Part): Html {
  const signOut =
    viewer.login && viewer.csrf
      ? html`<form method="post" action="/lanegate/logout"><span>${viewer.login}</span>
  <input type="hidden" name="csrf" value="${viewer.csrf}"> <button type="submit">Sign out</button></form>`
      : null;
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${title} · lanegate</title>
<style>${new Html(STYLE)}</style></head>
<body><header><a href="/lanegate/"><strong>lanegate</strong></a>
<nav aria-label="Console"><ul><li><a href="/lanegate/">Overview</a></li><li><a href="/lanegate/audit">Audit</a></li><li><a href="/lanegate/simulate">Simulate</a></li></ul></nav>
${signOut}</header>
<main><h1>${title}</h1>
${body}</main></body></html>`;
}

/** A table in a horizontally scrolling box, so a phone's width never clips it. */
export function table(caption: string, head: string[], rows: Part[][], empty = "None."): Html {
  if (rows.length === 0) return html`<p class="note">${caption}: ${empty}</p>`;
  return html`<div class="scroll"><table><caption>${caption}</caption>
<thead><tr>${head.map((h) => html`<th scope="col">${h}</th>`)}</tr></thead>
<tbody>${rows.map((r) => html`<tr>${r.map((c) => html`<td>${c}</td>`)}</tr>`)}</tbody></table></div>`;
}

/** A decision's checks as the gate made them, each with its reason code and sentence. */
export function checksTable(caption: string, checks: Check[], empty?: string): Html {
  const rows = checks.map((c, i) => [
    String(i + 1),
    c.name,
    c.ok ? "pass" : html`<strong>fail</strong>`,
    html`<code>${c.code}</code>`,
    c.message,
  ]);
  return table(caption, ["#", "Check", "Result", "Code", "Why"], rows, empty);
}

export function definitions(pairs: [string, Part][]): Html {
  return html`<dl>${pairs.map(([k, v]) => html`<dt>${k}</dt><dd>${v ?? "—"}</dd>`)}</dl>`;
}

export const link = (href: string | null | undefined, text: Part): Html =>
  href ? html`<a href="${href}">${text}</a>` : html`${text}`;

/** Console addresses; each part is URL-encoded. */
export const paths = {
  lane: (repo: string, lane: string) => `/lanegate/repos/${repo}/lanes/${lane}`,
  operation: (repo: string, id: number) => `/lanegate/repos/${repo}/operations/${id}`,
  run: (repo: string, runId: number) => `/lanegate/repos/${repo}/runs/${runId}`,
};
