// The layering in docs/architecture.md, checked against the imports: the core imports nothing
// below it, adapters import only the core, and the app never imports the stand-in for GitHub.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../..");

function sources(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith(".ts"))
    .map((e) => relative(root, join(e.parentPath, e.name)));
}

/** Every relative import of a file, as a path from the repository root. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(root, file), "utf8");
  const specs = [...text.matchAll(/(?:from|import)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g)].map(
    (m) => m[1] ?? "",
  );
  return specs.map((s) => relative(root, resolve(join(root, dirname(file)), s)));
}

/** Which layer a path belongs to. */
function layer(path: string): string {
  const [top, second, third] = path.split("/");
  if (top !== "src") return top ?? "";
  if (second === "adapters") return `adapters/${third}`;
  return second?.endsWith(".ts") ? "app" : (second ?? "");
}

function violations(from: string, allowed: (target: string) => boolean): string[] {
  return sources(from).flatMap((file) =>
    importsOf(file)
      .filter((target) => !allowed(layer(target)))
      .map((target) => `${file} imports ${target}`),
  );
}

describe("the layers point inward", () => {
  it("the core imports only the core", () => {
    expect(violations("src/core", (l) => l === "core")).toEqual([]);
  });

  it("the store adapter imports only the core and itself", () => {
    expect(violations("src/adapters/store", (l) => l === "core" || l === "adapters/store")).toEqual([]);
  });

  it("the GitHub adapter imports only the core and itself", () => {
    expect(violations("src/adapters/github", (l) => l === "core" || l === "adapters/github")).toEqual([]);
  });

  it("pipelines import the core, the adapters and other pipelines, never a handler or route", () => {
    expect(
      violations("src/pipelines", (l) => l === "core" || l.startsWith("adapters/") || l === "pipelines"),
    ).toEqual([]);
  });

  it("nothing in the app imports the local stand-in for GitHub", () => {
    expect(violations("src", (l) => l !== "standin")).toEqual([]);
  });
});
