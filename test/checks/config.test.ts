// The config check's pure parts: what a change does to each lane's baseline, and where in which
// file of the chain an error is reported.

import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { type ChainFile, checkConfigChain, readConfigSource } from "../../src/core/checks/config-check.ts";
import { compareBaselines } from "../../src/core/checks/config-diff.ts";
import { readYaml } from "../../src/core/checks/source.ts";
import { configSchema } from "../../src/core/config/schema.ts";

const config = (yaml: string) => configSchema.parse(parse(yaml) ?? {});
const BASE = `
lanes:
  cm/prod: { data_authority: authoritative }
  cm/testing: { data_authority: resettable, requires_backup_before_destroy: true }
approvers: { min_permission: maintain, teams: [ops] }
gate: { workflows: [wipe.yml] }
proofs: { backup: { workflow: backup.yml, max_age_hours: 24 } }
`;
const change = (from: string, to: string) =>
  compareBaselines(config(BASE), config(BASE.replace(from, to)), "main");

describe("what a config change does to the baseline", () => {
  it.each([
    [
      "an authority lowered",
      "cm/prod: { data_authority: authoritative }",
      "cm/prod: { data_authority: restorable }",
      [
        [
          "cm/prod",
          "weakened",
          "data authority authoritative → restorable (allowed sources backup_restore → upstream_restore)",
        ],
        ["cm/prod", "weakened", "no longer requires a backup before destroy"],
        ["cm/prod", "weakened", "no longer requires a restore proof"],
      ],
    ],
    [
      "a declared lane removed",
      "  cm/testing: { data_authority: resettable, requires_backup_before_destroy: true }\n",
      "",
      [
        [
          "cm/testing",
          "weakened",
          "no longer declared (was resettable): an approval issue may grant it any authority",
        ],
      ],
    ],
    [
      "a lane's proof switched off",
      "resettable, requires_backup_before_destroy: true",
      "resettable",
      [["cm/testing", "weakened", "no longer requires a backup before destroy"]],
    ],
    [
      "approvers with less permission",
      "min_permission: maintain",
      "min_permission: write",
      [["every lane", "weakened", "approvers need write instead of maintain"]],
    ],
    [
      "a team more",
      "teams: [ops]",
      "teams: [ops, contractors]",
      [["every lane", "weakened", "members of team contractors may approve"]],
    ],
    [
      "self approval",
      "teams: [ops] }",
      "teams: [ops], allow_self_approval: true }",
      [["every lane", "weakened", "an issue's author may approve it"]],
    ],
    [
      "a gated workflow dropped",
      "workflows: [wipe.yml]",
      "workflows: []",
      [["every lane", "weakened", "wipe.yml is no longer gated"]],
    ],
    [
      "a branch beyond the default one",
      "workflows: [wipe.yml] }",
      "workflows: [wipe.yml], branches: [main, dev] }",
      [["every lane", "weakened", "gated runs may come from dev"]],
    ],
    [
      "refused runs no longer cancelled",
      "workflows: [wipe.yml] }",
      "workflows: [wipe.yml], cancel_refused_runs: false }",
      [["every lane", "weakened", "refused runs are no longer cancelled"]],
    ],
    [
      "an older backup counting",
      "max_age_hours: 24",
      "max_age_hours: 48",
      [["every lane", "weakened", "a backup proof counts for 48 h instead of 24 h"]],
    ],
    [
      "a lane declared, a stronger authority",
      "cm/testing: { data_authority: resettable,",
      "cm/new: { data_authority: resettable }\n  cm/testing: { data_authority: restorable,",
      [
        ["cm/new", "strengthened", "declared resettable"],
        [
          "cm/testing",
          "strengthened",
          "data authority resettable → restorable (allowed sources empty → upstream_restore)",
        ],
      ],
    ],
  ])("%s", (_, from, to, expected) => {
    expect(change(from, to).map((c) => [c.scope, c.kind, c.what])).toEqual(expected);
  });

  it("finds nothing in an authoritative lane's flags, which are always on", () => {
    const from = "cm/prod: { data_authority: authoritative }";
    expect(change(from, "cm/prod: { data_authority: authoritative, requires_restore_proof: false }")).toEqual(
      [],
    );
  });

  it("calls a new approval label a change, not a weakening", () => {
    expect(change("lanes:", "label: approve\nlanes:")).toEqual([
      {
        scope: "every lane",
        kind: "changed",
        what: "the approval label lane-policy → approve: issues with the old label stop granting",
      },
    ]);
  });
});

const local = (path: string, text: string): ChainFile => {
  const source = readYaml(path, text);
  const { config } = readConfigSource(source);
  return { file: { owner: "acme", repo: "platform", path, etag: null, config }, source, localPath: path };
};

describe("where a config error is reported", () => {
  it("on the line of the file of the chain that holds the key (earlier files win)", () => {
    const own = local(".github/lanegate.yml", "_extends: platform:.github/base.yml\nlabel: ok\n");
    const base = local(".github/base.yml", "label: ignored\ngate:\n  workflows: [not a file]\n");
    expect(checkConfigChain([own, base], ".github/lanegate.yml").findings).toMatchObject([
      { rule_id: "invalid-config", path: ".github/base.yml", line: 3, column: 15 },
    ]);
  });

  it("on the first line, naming the file, when that file was not read in this check", () => {
    const own = local(".github/lanegate.yml", "_extends: .github\n");
    const org: ChainFile = {
      file: {
        owner: "acme",
        repo: ".github",
        path: ".github/lanegate.yml",
        etag: null,
        config: { label: 7 },
      },
      source: null,
      localPath: null,
    };
    const { findings } = checkConfigChain([own, org], ".github/lanegate.yml");
    expect(findings).toMatchObject([{ path: ".github/lanegate.yml", line: 1, column: 1 }]);
    expect(findings[0]?.message).toContain("(in acme/.github:.github/lanegate.yml)");
  });

  it("says a file that is no mapping, or no YAML, is what it is", () => {
    expect(readConfigSource(readYaml("c.yml", "- a\n- b\n")).findings).toMatchObject([
      { rule_id: "invalid-config", line: 1, message: "the config must be a YAML mapping" },
    ]);
    expect(readConfigSource(readYaml("c.yml", "label: [open\n")).findings).toMatchObject([
      { rule_id: "syntax" },
    ]);
  });
});
