// The layering in docs/architecture.md, checked against the imports of every file in src/: the
// core imports only the core and a few pure packages, each folder imports only the layers below
// it, SQL stays in the store adapter, the app never imports the stand-in, and neither pipelines
// nor core modules import each other in circles. Each rule also runs on fixtures/, a tree that
// breaks it once, so a rule that can no longer fail is seen.
import { readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { CORE_TESTS } from "../projects.ts";
import { cycles, type Import, importsOf, layerOf, moduleOf, sources } from "./imports.ts";

const root = resolve(import.meta.dirname, "../..");
const fixtures = resolve(import.meta.dirname, "fixtures");

/** What each folder of src/ may import besides itself; `app` is src/'s own files, the wiring. */
const MAY_IMPORT: Record<string, string[]> = {
  core: [],
  "adapters/store": ["core"],
  "adapters/github": ["core"],
  pipelines: ["core", "adapters/store", "adapters/github"],
  service: ["core", "adapters/store", "adapters/github"],
  handlers: ["core", "adapters/store", "adapters/github", "pipelines", "service"],
  http: ["core", "adapters/store", "adapters/github", "pipelines", "service"],
  cli: ["core", "adapters/store", "adapters/github", "pipelines", "service"],
  app: ["core", "adapters/store", "adapters/github", "pipelines", "service", "handlers", "http", "cli"],
};

/**
 * The core is pure: schemas, YAML, zip and hashing, nothing that reads a disk, a clock or a
 * network; `sarif` is the SARIF format's types (@types/sarif), with nothing at run time.
 */
const CORE_PACKAGES = ["zod", "yaml", "fflate", "node:crypto", "sarif"];
/** Only the store adapter speaks SQL. */
const SQL_PACKAGES = ["better-sqlite3", "pg", "drizzle-orm"];

/** Plain data the core's tests may load besides the core: artifacts and the demo's texts. */
const CORE_TEST_FIXTURES = [
  "standin/artifacts.ts",
  "standin/demo.ts",
  "test/evidence/artifacts.ts",
  "test/gate/grant-fixture.ts",
  "test/lanes/issue-fixture.ts",
];
const TEST_PACKAGES = ["vitest", "fast-check"];

/** Every import the files load, followed through the tree's own files. */
function loadedBy(tree: string, files: string[]): Import[] {
  const seen = new Set<string>();
  const found: Import[] = [];
  const queue = [...files];
  for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
    if (seen.has(file)) continue;
    seen.add(file);
    for (const i of importsOf(tree, file)) {
      found.push(i);
      if (i.kind === "file") queue.push(i.to);
    }
  }
  return found;
}

const importsIn = (tree: string, dir = "src") => sources(tree, dir).flatMap((f) => importsOf(tree, f));
const show = (i: { from: string; to: string }) => `${i.from} imports ${i.to}`;

const rules: Record<string, (tree: string) => string[]> = {
  "each folder of src/ imports only itself and the layers below it": (tree) =>
    importsIn(tree)
      .filter((i) => i.kind === "file")
      .filter((i) => {
        const [from, to] = [layerOf(i.from), layerOf(i.to)];
        return from !== to && !(MAY_IMPORT[from] ?? []).includes(to);
      })
      .map(show),
  "the core imports only the pure packages it is allowed": (tree) =>
    importsIn(tree, "src/core")
      .filter((i) => i.kind === "package" && !CORE_PACKAGES.includes(i.to))
      .map(show),
  "only the store adapter imports SQL": (tree) =>
    importsIn(tree)
      .filter((i) => i.kind === "package" && SQL_PACKAGES.includes(i.to))
      .filter((i) => layerOf(i.from) !== "adapters/store")
      .map(show),
  "no pipeline imports another in a circle": (tree) =>
    cycles(
      importsIn(tree, "src/pipelines")
        .filter((i) => i.kind === "file" && layerOf(i.to) === "pipelines")
        .map((i) => [moduleOf(i.from), moduleOf(i.to)]),
    ),
  "no core module imports another in a circle": (tree) =>
    cycles(
      importsIn(tree, "src/core")
        .filter((i) => i.kind === "file")
        .map((i) => [moduleOf(i.from), moduleOf(i.to)]),
    ),
  "the core's tests load only the core and plain fixtures (no Probot, no stand-in, no store)": (tree) =>
    loadedBy(
      tree,
      tree === root ? CORE_TESTS.filter((f) => !f.startsWith("test/architecture/")) : ["test/lanes/body.ts"],
    )
      .filter((i) =>
        i.kind === "package"
          ? !CORE_PACKAGES.includes(i.to) && !TEST_PACKAGES.includes(i.to)
          : layerOf(i.to) !== "core" && !CORE_TEST_FIXTURES.includes(i.to) && !CORE_TESTS.includes(i.to),
      )
      .map(show),
};

/** What fixtures/ breaks, once per rule. */
const CAUGHT: Record<string, string[]> = {
  "each folder of src/ imports only itself and the layers below it": [
    "src/adapters/github/asks-store.ts imports src/adapters/store/db.ts",
    "src/adapters/store/runs-pipeline.ts imports src/pipelines/gate/a.ts",
    "src/app.ts imports standin/world.ts",
    "src/cli/serves.ts imports src/http/route.ts",
    "src/core/asks-store.ts imports src/adapters/store/db.ts",
    "src/handlers/serves.ts imports src/http/route.ts",
    "src/http/handles.ts imports src/handlers/handler.ts",
    "src/pipelines/handles.ts imports src/handlers/handler.ts",
    "src/service/runs-pipeline.ts imports src/pipelines/gate/a.ts",
  ],
  "the core imports only the pure packages it is allowed": ["src/core/reads-disk.ts imports node:fs"],
  "only the store adapter imports SQL": ["src/pipelines/queries.ts imports drizzle-orm"],
  "no pipeline imports another in a circle": ["pipelines/gate -> pipelines/lanes -> pipelines/gate"],
  "no core module imports another in a circle": ["core/gate -> core/lanes -> core/gate"],
  "the core's tests load only the core and plain fixtures (no Probot, no stand-in, no store)": [
    "test/lanes/body.ts imports standin/world.ts",
  ],
};

describe("the layers point inward", () => {
  for (const [rule, check] of Object.entries(rules)) {
    it(rule, () => {
      expect(check(root)).toEqual([]);
    });

    it(`${rule}: caught when broken`, () => {
      expect(check(fixtures)).toEqual(CAUGHT[rule]);
    });
  }

  it("every folder of src/ has a rule", () => {
    const folders = readdirSync(join(root, "src"), { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .flatMap((e) =>
        e.name === "adapters"
          ? readdirSync(join(root, "src/adapters")).map((a) => `adapters/${a}`)
          : [e.name],
      );
    expect(folders.filter((f) => !(f in MAY_IMPORT))).toEqual([]);
  });
});
