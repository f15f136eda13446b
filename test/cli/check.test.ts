// `lanegate check <dir>` as an operator runs it on a checkout: a real process, its output formats
// and exit codes, and the same findings as the pull-request check runs for the same files.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { Log } from "sarif";
import { describe, expect, it } from "vitest";
import type { Finding } from "../../src/core/checks/rules.ts";
import { sortFindings } from "../../src/core/checks/rules.ts";
import type { CheckRun } from "../../standin/model.ts";
import { CM_PROD_CONFIG, checkRunsNamed, exampleWorkflows, openPr } from "../support/checks.ts";
import { cli } from "../support/cli.ts";
import { createWorld } from "../support/world.ts";

function checkout(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "lanegate-check-"));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

/** The demo config with the example workflow's extra input declared, as its comment asks. */
const EXAMPLES_CONFIG = CM_PROD_CONFIG.replace(
  "  workflows: [odoo-stable-bootstrap.yml]",
  "  workflows: [odoo-stable-bootstrap.yml]\n  inputs: [odoo_version]",
);

/** A checkout with a finding of nearly every rule, one of them ignored. */
const FINDINGS: Record<string, string> = {
  ".github/lanegate.yml": CM_PROD_CONFIG.replace(
    "  workflows: [odoo-stable-bootstrap.yml]",
    "  workflows: [odoo-stable-bootstrap.yml, nightly.yml]",
  ),
  ".github/workflows/odoo-stable-bootstrap.yml": exampleWorkflows()[
    ".github/workflows/odoo-stable-bootstrap.yml"
  ]?.replace("    needs: gate\n", "") as string,
  ".github/workflows/backup.yml": [
    "on: { workflow_dispatch: { inputs: { lane: { required: true } } } }",
    "jobs: { backup: { runs-on: ubuntu-latest, steps: [{ run: echo }] } }",
    "",
  ].join("\n"),
  ".github/workflows/restore-verify.yml": exampleWorkflows()[
    ".github/workflows/restore-verify.yml"
  ] as string,
  ".github/workflows/deploy.yml": exampleWorkflows()[".github/workflows/deploy.yml"] as string,
  ".github/workflows/nightly.yml": [
    "on:",
    "  schedule: [{ cron: '0 3 * * *' }]",
    "jobs:",
    "  run:",
    "    runs-on: ubuntu-latest",
    `    environment: \${{ github.ref_name }}`,
    "    steps: [{ run: echo }]",
    "",
  ].join("\n"),
  ".github/workflows/preview.yml": [
    "on: [push]",
    "jobs:",
    "  preview:",
    "    runs-on: ubuntu-latest",
    "    # lanegate: ignore[ungated-destructive-workflow] a preview of cm/testing's data, read only",
    "    environment: cm/testing",
    "    steps: [{ run: echo }]",
    "",
    "  broken: [",
  ].join("\n"),
};

describe("lanegate check", () => {
  it("passes the example workflows under a config that names them, and exits 0", async () => {
    const root = checkout({ ".github/lanegate.yml": EXAMPLES_CONFIG, ...exampleWorkflows() });
    const out = await cli("check", root);
    expect(out).toMatchObject({ code: 0, stdout: "0 errors, 0 warnings, 0 ignored\n" });
  });

  it("prints the findings as JSON in the contract's shape and exits 1 on an error finding", async () => {
    const out = await cli("check", checkout(FINDINGS), "--json");
    expect(out.code).toBe(1);
    const json = JSON.parse(out.stdout) as { findings: Finding[] };
    expect(Object.keys(json)).toEqual(["findings"]);
    for (const f of json.findings)
      expect(Object.keys(f)).toEqual(["rule_id", "path", "line", "column", "severity", "message"]);
    expect(json.findings.map((f) => `${f.rule_id} ${f.path}:${f.line}:${f.column}`)).toEqual([
      "proof-workflow-mismatch .github/workflows/backup.yml:1:7",
      "dangerous-trigger .github/workflows/nightly.yml:2:3",
      "destructive-job-not-after-wait .github/workflows/nightly.yml:3:1",
      "missing-result-artifact .github/workflows/nightly.yml:3:1",
      "dynamic-lane-environment .github/workflows/nightly.yml:6:18",
      "destructive-job-not-after-wait .github/workflows/odoo-stable-bootstrap.yml:72:3",
      "syntax .github/workflows/preview.yml:9:12",
    ]);
  });

  it("prints SARIF 2.1.0 with the ignored finding as a suppressed result", async () => {
    const files = {
      ...FINDINGS,
      ".github/workflows/preview.yml": FINDINGS[".github/workflows/preview.yml"]?.replace(
        "\n  broken: [",
        "",
      ) as string,
    };
    const out = await cli("check", checkout(files), "--sarif");
    const sarif = JSON.parse(out.stdout) as Log;
    expect(sarif.version).toBe("2.1.0");
    const results = sarif.runs[0]?.results ?? [];
    expect(sarif.runs[0]?.tool.driver.rules?.map((r) => r.id)).toContain("dangerous-trigger");
    expect(results.find((r) => r.ruleId === "dangerous-trigger")).toMatchObject({
      level: "error",
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: ".github/workflows/nightly.yml" },
            region: { startLine: 2, startColumn: 3 },
          },
        },
      ],
    });
    expect(results.filter((r) => r.suppressions)).toEqual([
      expect.objectContaining({
        ruleId: "ungated-destructive-workflow",
        suppressions: [{ kind: "inSource", justification: "a preview of cm/testing's data, read only" }],
      }),
    ]);
  });

  it("prints text with the ignored finding and its reason", async () => {
    const out = await cli(
      "check",
      checkout({
        ".github/workflows/preview.yml": FINDINGS[".github/workflows/preview.yml"]?.replace(
          "\n  broken: [",
          "",
        ) as string,
      }),
    );
    expect(out.code).toBe(0);
    expect(out.stdout).toBe(
      [
        ".github/workflows/preview.yml:6:18: ignored ungated-destructive-workflow: job preview uses the lane environment cm/testing, but preview.yml is not in gate.workflows (nor a proof or deploy workflow): its runs are never gated (reason: a preview of cm/testing's data, read only)",
        "0 errors, 0 warnings, 1 ignored",
        "",
      ].join("\n"),
    );
  });

  it("checks a config with _extends on its own, and says so", async () => {
    const out = await cli("check", checkout({ ".github/lanegate.yml": "_extends: .github\nlabel: ok\n" }));
    expect(out).toMatchObject({ code: 0, stdout: "0 errors, 0 warnings, 0 ignored\n" });
    expect(out.stderr).toContain(
      "has _extends, which names another repository's file: it is checked on its own here",
    );
  });

  it.each([
    ["no directory", []],
    ["a directory that does not exist", ["/nonexistent/lanegate"]],
    ["--json with --sarif", [".", "--json", "--sarif"]],
    ["an unknown option", [".", "--db", "x"]],
  ])("exits 2 for a usage error: %s", async (_, args) => {
    const out = await cli("check", ...args);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/^lanegate check: /);
  });
});

/** A check run's annotations as findings, to compare with the CLI's. */
function findingsOf(runs: CheckRun[]): Finding[] {
  return runs.flatMap((r) =>
    r.annotations.map((a) => ({
      rule_id: a.title as Finding["rule_id"],
      path: String(a.path),
      line: Number(a.start_line),
      column: Number(a.start_column),
      severity: a.annotation_level === "failure" ? ("error" as const) : ("warning" as const),
      message: String(a.message),
    })),
  );
}

describe("the CLI and the check runs", () => {
  it.each([
    ["a valid config", FINDINGS],
    [
      "an invalid config",
      { ...FINDINGS, ".github/lanegate.yml": `${FINDINGS[".github/lanegate.yml"]}\nsurprise: true\n` },
    ],
  ])("give the same findings for the same files: %s", async (_, files) => {
    const w = await createWorld({ config: CM_PROD_CONFIG });
    const pr = openPr(w, files);
    await w.send(pr.delivery);
    const runs = [
      ...checkRunsNamed(w, pr.headSha, "lanegate: config"),
      ...checkRunsNamed(w, pr.headSha, "lanegate: workflows"),
    ];
    const out = await cli("check", checkout(files), "--json");
    const cliFindings = (JSON.parse(out.stdout) as { findings: Finding[] }).findings;
    expect(cliFindings.length).toBeGreaterThan(3);
    expect(sortFindings(findingsOf(runs))).toEqual(sortFindings(cliFindings));
  });
});
