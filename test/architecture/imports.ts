// Reads the import graph of a source tree, for the layering rules in layers.test.ts: which layer a
// file belongs to, what it imports (files and packages), and the cycles in a graph of units.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

export interface Import {
  from: string;
  /** A path from the tree's root for a relative import, else the package's name. */
  to: string;
  kind: "file" | "package";
}

export function sources(root: string, dir: string): string[] {
  if (!existsSync(join(root, dir))) return [];
  return readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith(".ts"))
    .map((e) => relative(root, join(e.parentPath, e.name)))
    .sort();
}

/** The package a specifier names: `node:fs`, `zod`, `@octokit/webhooks` (not its subpath). */
function packageOf(spec: string): string {
  const parts = spec.split("/");
  return spec.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] ?? spec);
}

/** Every import of a file: static, re-exports, side-effect and dynamic ones, type-only included. */
export function importsOf(root: string, file: string): Import[] {
  const text = readFileSync(join(root, file), "utf8");
  const specs = [
    ...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^"';]*?from\s*["']([^"']+)["']/g),
    ...text.matchAll(/(?:^|\n)\s*import\s*["']([^"']+)["']/g),
    ...text.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g),
  ].map((m) => m[1] ?? "");
  return specs.map((spec) =>
    spec.startsWith(".")
      ? { from: file, to: relative(root, resolve(join(root, dirname(file)), spec)), kind: "file" }
      : { from: file, to: packageOf(spec), kind: "package" },
  );
}

/** Which layer a path belongs to: a folder of src/ (the adapters by their own folder), `app` for src/'s files. */
export function layerOf(path: string): string {
  const [top, second, third] = path.split("/");
  if (top !== "src") return top ?? "";
  if (second === "adapters") return `adapters/${third}`;
  return second?.endsWith(".ts") ? "app" : (second ?? "");
}

/**
 * A module of a layer: a folder of it or one of its own files (`pipelines/gate`, `core/operations`);
 * circles are looked for between these, so two folders that need each other are one thing.
 */
export function moduleOf(path: string): string {
  const [, layer, unit] = path.split("/");
  return `${layer}/${(unit ?? "").replace(/\.ts$/, "")}`;
}

/** The cycles of a directed graph, each as its path back to its start; one per strongly linked set. */
export function cycles(edges: [string, string][]): string[] {
  const next = new Map<string, Set<string>>();
  for (const [a, b] of edges) if (a !== b) next.set(a, (next.get(a) ?? new Set()).add(b));
  const found: string[] = [];
  const done = new Set<string>();
  const visit = (node: string, path: string[]) => {
    const at = path.indexOf(node);
    if (at >= 0) {
      found.push([...path.slice(at), node].join(" -> "));
      return;
    }
    if (done.has(node)) return;
    for (const n of next.get(node) ?? []) visit(n, [...path, node]);
    done.add(node);
  };
  for (const node of [...next.keys()].sort()) visit(node, []);
  return found;
}
