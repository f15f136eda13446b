// Every rule with a workflow that triggers it (where, to the line and column) and one that does
// not; the example workflows pass every rule; the ignore comment. Pure: no GitHub, no files.
import { describe, expect, it } from "vitest";
import { checkCheckout, type TextFile } from "../../src/core/checks/check.ts";
import { RULE_IDS, type RuleId } from "../../src/core/checks/rules.ts";
import { CM_PROD_CONFIG, exampleWorkflows } from "../support/checks.ts";

const CONFIG_PATH = ".github/lanegate.yml";
const wf = (name: string) => `.github/workflows/${name}`;
const lines = (...l: string[]) => `${l.join("\n")}\n`;

/** gate: wipe.yml; proofs: backup.yml and restore.yml; deploy: deploy.yml; cm-prod is cm/prod's environment. */
const CONFIG = lines(
  "lanes:",
  "  cm/prod: { data_authority: authoritative }",
  "gate:",
  "  workflows: [wipe.yml]",
  "  environments: { cm-prod: cm/prod, cm-testing: cm/testing }",
  "proofs:",
  "  backup: { workflow: backup.yml, max_age_hours: 24 }",
  "  restore: { workflow: restore.yml, max_age_hours: 24 }",
  "evidence:",
  "  deploy_workflows: [deploy.yml]",
);

const DISPATCH = [
  "on:",
  "  workflow_dispatch:",
  "    inputs:",
  "      context: { required: true }",
  "      instance: { required: true }",
];
const UPLOAD = [
  "      - uses: actions/upload-artifact@v4",
  "        with: { name: lanegate-result, path: lanegate-result.json }",
];
const WAIT = [
  "  gate:",
  "    runs-on: ubuntu-latest",
  "    steps:",
  "      - uses: acme/lanegate/wait@0123456789abcdef0123456789abcdef01234567",
];

/** A gated workflow that passes every rule; `jobs` come after the wait job. */
const gated = (...jobs: string[]) =>
  lines(
    ...DISPATCH,
    "jobs:",
    ...WAIT,
    "  wipe:",
    "    needs: gate",
    "    runs-on: ubuntu-latest",
    "    steps:",
    ...UPLOAD,
    ...jobs,
  );

const proof = lines(...DISPATCH, "jobs:", "  backup: { runs-on: ubuntu-latest, steps: [{ run: echo }] }");

interface Case {
  rule: RuleId;
  what: string;
  /** Files added or replaced; null removes one. */
  files: Record<string, string | null>;
  /** `path:line:column` of each finding of the rule. */
  at: string[];
  /** Findings of other rules the case leads to as well. */
  also?: RuleId[];
}

const cases: Case[] = [
  {
    rule: "ungated-destructive-workflow",
    what: "a workflow the config does not name takes context and instance",
    files: {
      [wf("reset.yml")]: lines(
        ...DISPATCH,
        "jobs:",
        "  reset: { runs-on: ubuntu-latest, steps: [{ run: echo }] }",
      ),
    },
    at: [`${wf("reset.yml")}:4:7`],
  },
  {
    rule: "ungated-destructive-workflow",
    what: "a workflow the config does not name uses an environment gate.environments maps to a lane",
    files: {
      [wf("reset.yml")]: lines(
        "on: push",
        "jobs:",
        "  reset:",
        "    runs-on: ubuntu-latest",
        "    environment: { name: cm-prod }",
        "    steps: [{ run: echo }]",
      ),
    },
    at: [`${wf("reset.yml")}:5:26`],
  },
  {
    rule: "ungated-destructive-workflow",
    what: "a workflow the config does not name uses an environment named like a lane",
    files: {
      [wf("reset.yml")]: lines(
        "on: push",
        "jobs:",
        "  reset:",
        "    runs-on: ubuntu-latest",
        "    environment: syo/prod",
        "    steps: []",
      ),
    },
    at: [`${wf("reset.yml")}:5:18`],
  },
  {
    rule: "destructive-job-not-after-wait",
    what: "a job of a gated workflow that does not need the wait job",
    files: {
      [wf("wipe.yml")]: gated("  cleanup:", "    runs-on: ubuntu-latest", "    steps: [{ run: echo }]"),
    },
    at: [`${wf("wipe.yml")}:17:3`],
  },
  {
    rule: "destructive-job-not-after-wait",
    what: "a job after the wait job that runs even when the wait fails (if: always())",
    files: {
      [wf("wipe.yml")]: gated(
        "  cleanup:",
        "    needs: wipe",
        `    if: \${{ always() }}`,
        "    runs-on: ubuntu-latest",
        "    steps: []",
      ),
    },
    at: [`${wf("wipe.yml")}:17:3`],
  },
  {
    rule: "destructive-job-not-after-wait",
    what: "a gated workflow with no wait job at all",
    files: {
      [wf("wipe.yml")]: lines(
        ...DISPATCH,
        "jobs:",
        "  wipe:",
        "    runs-on: ubuntu-latest",
        "    steps:",
        ...UPLOAD,
      ),
    },
    at: [`${wf("wipe.yml")}:6:1`],
  },
  {
    rule: "dynamic-lane-environment",
    what: "a gated job's environment from a free-text input",
    files: {
      [wf("wipe.yml")]: gated(
        "  more:",
        "    needs: wipe",
        `    environment: prod-\${{ inputs.instance }}`,
        "    runs-on: ubuntu-latest",
        "    steps: []",
      ),
    },
    at: [`${wf("wipe.yml")}:19:18`],
  },
  {
    rule: "dynamic-lane-environment",
    what: "a choice input with an option that is no known lane's environment",
    files: {
      [wf("deploy.yml")]: lines(
        "on:",
        "  workflow_dispatch:",
        "    inputs:",
        "      target: { type: choice, options: [cm-prod, cm-staging] }",
        "jobs:",
        "  deploy:",
        "    runs-on: ubuntu-latest",
        `    environment: \${{ inputs.target }}`,
        "    steps:",
        ...UPLOAD,
      ),
    },
    at: [`${wf("deploy.yml")}:8:18`],
  },
  {
    rule: "dangerous-trigger",
    what: "a gated workflow that also runs on a schedule and on issue comments",
    files: {
      [wf("wipe.yml")]: gated().replace(
        "on:\n",
        "on:\n  schedule: [{ cron: '0 0 * * *' }]\n  issue_comment:\n",
      ),
    },
    at: [`${wf("wipe.yml")}:2:3`, `${wf("wipe.yml")}:3:3`],
  },
  {
    rule: "dangerous-trigger",
    what: "a workflow_run workflow that calls the gated workflow through another",
    files: {
      [wf("wipe.yml")]: gated().replace("  workflow_dispatch:", "  workflow_call:"),
      [wf("after-ci.yml")]: lines(
        "on:",
        "  workflow_run: { workflows: [ci], types: [completed] }",
        "jobs:",
        "  hop:",
        "    uses: ./.github/workflows/hop.yml",
      ),
      [wf("hop.yml")]: lines("on: workflow_call", "jobs:", "  go:", "    uses: ./.github/workflows/wipe.yml"),
    },
    at: [`${wf("after-ci.yml")}:5:11`],
  },
  {
    rule: "proof-workflow-mismatch",
    what: "the backup workflow the config names does not exist",
    files: { [wf("backup.yml")]: null },
    at: [`${CONFIG_PATH}:7:23`],
  },
  {
    rule: "proof-workflow-mismatch",
    what: "a proof workflow that does not take the lane inputs, and one not dispatched by hand",
    files: {
      [wf("backup.yml")]: lines(
        "on:",
        "  workflow_dispatch: {}",
        "jobs:",
        "  b: { runs-on: ubuntu-latest, steps: [] }",
      ),
      [wf("restore.yml")]: proof.replace("  workflow_dispatch:", "  workflow_call:"),
    },
    at: [`${wf("backup.yml")}:2:3`, `${wf("restore.yml")}:1:1`],
  },
  {
    rule: "missing-result-artifact",
    what: "a gated workflow that uploads nothing named lanegate-result",
    files: { [wf("wipe.yml")]: gated().replace("name: lanegate-result", "name: result") },
    at: [`${wf("wipe.yml")}:6:1`],
  },
  {
    rule: "syntax",
    what: "a key written twice, and a workflow without jobs",
    files: {
      [wf("twice.yml")]: lines("on: push", "on: pull_request", "jobs: {}"),
      [wf("empty.yml")]: lines("on: push"),
    },
    at: [`${wf("empty.yml")}:1:1`, `${wf("twice.yml")}:2:1`],
  },
  {
    rule: "syntax",
    what: "a job that needs a job that is not there",
    files: {
      [wf("wipe.yml")]: gated(
        "  late:",
        "    needs: [wipe, nope]",
        "    runs-on: ubuntu-latest",
        "    steps: []",
      ),
    },
    at: [`${wf("wipe.yml")}:17:3`],
  },
  {
    rule: "invalid-config",
    what: "a config with a key the schema does not know",
    files: {
      [CONFIG_PATH]: CONFIG.replace("  workflows: [wipe.yml]", "  workflows: [wipe.yml]\n  cancel: false"),
    },
    at: [`${CONFIG_PATH}:5:3`],
    // The workflows are then judged under the defaults, where nothing is gated.
    also: ["ungated-destructive-workflow", "dynamic-lane-environment"],
  },
];

/** The files of a repository where every rule passes, before a case adds or replaces some. */
const PASSING: Record<string, string> = {
  [CONFIG_PATH]: CONFIG,
  [wf("wipe.yml")]: gated(
    "  verify:",
    "    needs: wipe",
    `    if: \${{ success() && inputs.context != '' }}`,
    `    environment: \${{ inputs.context }}/\${{ inputs.instance }}`,
    "    runs-on: ubuntu-latest",
    "    steps: []",
  ),
  [wf("backup.yml")]: proof,
  [wf("restore.yml")]: proof,
  [wf("deploy.yml")]: lines(
    "on:",
    "  workflow_dispatch:",
    "    inputs:",
    "      context: { required: true }",
    "      instance: { required: true }",
    "      target: { type: choice, options: [cm-prod, cm-testing] }",
    "jobs:",
    "  deploy:",
    "    runs-on: ubuntu-latest",
    `    environment: \${{ inputs.target }}`,
    "    steps:",
    ...UPLOAD,
  ),
  [wf("ci.yml")]: lines(
    "on: [push, pull_request]",
    "jobs:",
    "  test:",
    "    runs-on: ubuntu-latest",
    "    environment: preview",
    "    steps: [{ run: npm test }]",
  ),
  [wf("nightly.yml")]: lines(
    "on: { schedule: [{ cron: '0 0 * * *' }] }",
    "jobs:",
    "  report: { uses: ./.github/workflows/ci.yml }",
  ),
};

function check(files: Record<string, string | null>) {
  const all: Record<string, string> = { ...PASSING };
  for (const [path, text] of Object.entries(files)) {
    if (text === null) delete all[path];
    else all[path] = text;
  }
  const text = (path: string): TextFile | null => {
    const found = all[path];
    return found === undefined ? null : { path, text: found };
  };
  return checkCheckout({
    config: text(CONFIG_PATH),
    workflows: Object.keys(all)
      .filter((p) => p.startsWith(".github/workflows/"))
      .flatMap((p) => text(p) ?? []),
    exists: (path) => path in all,
  });
}

describe("every rule", () => {
  it("has a case that triggers it", () => {
    expect(new Set(cases.map((c) => c.rule))).toEqual(new Set(RULE_IDS));
  });

  it("passes a repository that follows every rule", () => {
    expect(check({})).toMatchObject({ findings: [], ignored: [] });
  });

  it.each(cases.map((c) => [c.rule, c.what, c] as const))("%s: %s", (rule, _, c) => {
    const { findings } = check(c.files);
    const mine = findings.filter((f) => f.rule_id === rule);
    expect(mine.map((f) => `${f.path}:${f.line}:${f.column}`)).toEqual(c.at);
    expect(new Set(findings.map((f) => f.rule_id))).toEqual(new Set([rule, ...(c.also ?? [])]));
  });

  it("does not run the gated rules on a workflow the config does not gate", () => {
    const file = gated("  cleanup:", "    runs-on: ubuntu-latest", "    steps: []").replace(
      "  workflow_dispatch:\n    inputs:\n      context: { required: true }\n      instance: { required: true }\n",
      "  schedule: [{ cron: '0 0 * * *' }]\n",
    );
    expect(check({ [wf("nightly.yml")]: file }).findings).toEqual([]);
  });
});

describe("the example workflows", () => {
  it("pass every rule under a config that names them", () => {
    const files = { ...exampleWorkflows(), [CONFIG_PATH]: CM_PROD_CONFIG };
    const result = checkCheckout({
      config: { path: CONFIG_PATH, text: CM_PROD_CONFIG },
      workflows: Object.entries(exampleWorkflows()).map(([path, text]) => ({ path, text })),
      exists: (path) => path in files,
    });
    expect(result).toMatchObject({ findings: [], ignored: [] });
  });
});

describe("the ignore comment", () => {
  const reset = (comment: string, above = false) => {
    const input = "      context: { required: true }";
    const lines = [
      ...DISPATCH.map((l) => (l === input && !above ? `${l} ${comment}` : l)),
      "jobs: { r: { runs-on: x, steps: [] } }",
    ];
    if (above) lines.splice(3, 0, `      ${comment}`);
    return { [wf("reset.yml")]: `${lines.join("\n")}\n` };
  };

  it("silences a finding on its line and lists it with its reason", () => {
    const { findings, ignored } = check(reset("# lanegate: ignore[ungated-destructive-workflow] a dry run"));
    expect(findings).toEqual([]);
    expect(ignored).toMatchObject([
      { rule_id: "ungated-destructive-workflow", line: 4, reason: "a dry run" },
    ]);
  });

  it("silences a finding on the line below it", () => {
    const { findings, ignored } = check(
      reset("# lanegate: ignore[other-rule, ungated-destructive-workflow] dry", true),
    );
    expect(findings).toEqual([]);
    expect(ignored).toMatchObject([{ line: 5, reason: "dry" }]);
  });

  it("does not silence another rule, or without a reason", () => {
    expect(check(reset("# lanegate: ignore[dangerous-trigger] not this one")).findings).toHaveLength(1);
    const unexplained = check(reset("# lanegate: ignore[ungated-destructive-workflow]")).findings;
    expect(unexplained).toMatchObject([{ rule_id: "ungated-destructive-workflow" }]);
    expect(unexplained[0]?.message).toContain(
      "the ignore comment on line 4 gives no reason, so it does not count",
    );
  });

  it("is not read from a string or a script, only from a YAML comment", () => {
    const files = reset("# lanegate: ignore[ungated-destructive-workflow] dry");
    const script = `${DISPATCH.join("\n")}\njobs:\n  r:\n    runs-on: x\n    steps:\n      - run: |\n          # lanegate: ignore[ungated-destructive-workflow] hidden\n          echo\n`;
    expect(check({ [wf("reset.yml")]: script }).findings).toHaveLength(1);
    expect(check(files).findings).toHaveLength(0);
  });

  it("cannot silence a config error", () => {
    const config = CONFIG.replace("gate:", "gate: # lanegate: ignore[invalid-config] later\n  surprise: 1");
    const { findings, ignored } = check({ [CONFIG_PATH]: config });
    expect(findings.filter((f) => f.rule_id === "invalid-config")).toMatchObject([{ line: 4 }]);
    expect(ignored).toEqual([]);
  });
});
