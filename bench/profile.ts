// `npx tsx bench/profile.ts <file.cpuprofile> [--top n]`: where a server's CPU went, from a V8 CPU
// profile written under BENCH_CPU_PROF: busy time, self time by module (a package under
// node_modules, a folder of lanegate's src, Node's internals, V8's GC) and by function, and the
// inclusive time of lanegate's own functions (what they cost with everything they call).
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The module a frame belongs to: a package, a folder of src (two levels), or V8's own. */
export function moduleOf(url: string, functionName: string): string {
  if (url === "") return functionName.startsWith("(") ? functionName : "(native)";
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg?.[1]) return pkg[1];
  const own = /\/(src|bench|standin)\/((?:[^/]+\/)?[^/]+?)(?:\.ts)?$/.exec(url);
  if (own) return `${own[1]}/${own[2]}`;
  if (url.startsWith("node:")) return "node: internals";
  return url;
}

function where(url: string, line: number): string {
  const short = url.replace(/^.*node_modules\//, "").replace(/^.*\/(src|bench|standin)\//, "$1/");
  return short ? `${short}:${line + 1}` : "";
}

export function summarise(profile: Profile, top: number): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const idle = (n: ProfileNode) => n.callFrame.functionName === "(idle)";
  let busy = 0;
  const modules = new Map<string, number>();
  const functions = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const [id, us] of self) {
    const node = byId.get(id);
    if (!node || idle(node)) continue;
    busy += us;
    const { functionName, url, lineNumber } = node.callFrame;
    const module = moduleOf(url, functionName);
    modules.set(module, (modules.get(module) ?? 0) + us);
    const fn = `${functionName || "(anonymous)"} ${where(url, lineNumber)}`.trim();
    functions.set(fn, (functions.get(fn) ?? 0) + us);
    // Inclusive time of lanegate's functions: each counted once per sample, however deep the recursion.
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)?.callFrame;
      if (!frame || !/\/src\//.test(frame.url) || /node_modules/.test(frame.url)) continue;
      const key = `${frame.functionName || "(anonymous)"} ${where(frame.url, frame.lineNumber)}`;
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + us);
    }
  }
  const share = (us: number) =>
    `${((us / busy) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms`;
  const list = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, us]) => `  ${share(us)}  ${k}`);
  return [
    `busy ${(busy / 1000).toFixed(0)} ms (idle left out); shares of busy time`,
    "self time by module:",
    ...list(modules),
    "self time by function:",
    ...list(functions),
    "inclusive time of lanegate's functions (src/):",
    ...list(inclusive),
  ].join("\n");
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: "string", default: "25" } },
});
for (const file of positionals) {
  console.log(`== ${file}`);
  console.log(summarise(JSON.parse(readFileSync(file, "utf8")) as Profile, Number(values.top)));
}
