import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Baseline, PolicyError } from "../../src/core/domain.ts";
import { type PolicyBlock, readPolicyBlock } from "../../src/core/policy/block.ts";

/** Wraps YAML in a lane-policy fence after two lines of prose: YAML line n is body line n + 3. */
const issue = (yaml: string) => `Please approve.\n\n\`\`\`lane-policy\n${yaml}\n\`\`\`\n`;

const CONTRACT_EXAMPLE = `lanes:
  cm/testing:
    data_authority: resettable
    allowed_rebuild_sources: [empty]
  cm/prod:
    data_authority: resettable
    allowed_rebuild_sources: [empty]
    confirmation: bootstrap cm prod
  opw/prod:
    data_authority: restorable
    allowed_rebuild_sources: [upstream_restore]
    upstream_source: odoo-tenant-opw/opw/prod-upstream
expires_at: 2027-03-31T00:00:00Z
retire_when: CM and OPW launch on Launchplane-managed prod`;

const BASELINE: Baseline = {
  "syo/prod": { data_authority: "authoritative" },
  "verireel/prod": { data_authority: "authoritative" },
};

const lane = (id: string, body: string) => `lanes:\n  ${id}:\n${body.replace(/^/gm, "    ")}`;
const RESETTABLE = "data_authority: resettable\nallowed_rebuild_sources: [empty]";
const AUTHORITATIVE = "data_authority: authoritative\nallowed_rebuild_sources: [backup_restore]";

function valid(body: string, baseline: Baseline = BASELINE): Extract<PolicyBlock, { kind: "valid" }> {
  const block = readPolicyBlock(body, baseline);
  if (block.kind !== "valid") throw new Error(`expected a valid block, got ${JSON.stringify(block.errors)}`);
  return block;
}

function errorsOf(body: string, baseline: Baseline = BASELINE): PolicyError[] {
  const block = readPolicyBlock(body, baseline);
  if (block.kind !== "invalid") throw new Error("expected an invalid block");
  return block.errors;
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

describe("the contract's example block", () => {
  it("is valid with its three lanes, sources, upstream source and confirmation", () => {
    expect(valid(issue(CONTRACT_EXAMPLE)).lanes).toEqual([
      {
        lane: "cm/testing",
        data_authority: "resettable",
        allowed_rebuild_sources: ["empty"],
        upstream_source: null,
        confirmation: null,
        requires_backup_before_destroy: false,
        requires_restore_proof: false,
        requires_runtime_identity: false,
        approvals_required: 1,
      },
      expect.objectContaining({ lane: "cm/prod", confirmation: "bootstrap cm prod" }),
      expect.objectContaining({
        lane: "opw/prod",
        data_authority: "restorable",
        allowed_rebuild_sources: ["upstream_restore"],
        upstream_source: "odoo-tenant-opw/opw/prod-upstream",
      }),
    ]);
  });

  it("reports expiry, its body line, and the retirement condition", () => {
    const block = valid(issue(CONTRACT_EXAMPLE));
    expect(block).toMatchObject({
      expiresAt: "2027-03-31T00:00:00.000Z",
      expiresAtLine: 16,
      retireWhen: "CM and OPW launch on Launchplane-managed prod",
      laneErrors: {},
    });
  });
});

describe("approvers.required in a lane", () => {
  it("asks for more approvers on that lane", () => {
    const body = issue(`${lane("cm/prod", `${RESETTABLE}\napprovers: { required: 3 }`)}`);
    expect(valid(body).lanes[0]?.approvals_required).toBe(3);
  });

  it("refuses a count below one with its path", () => {
    const body = issue(`${lane("cm/prod", `${RESETTABLE}\napprovers: { required: 0 }`)}`);
    expect(JSON.stringify(readPolicyBlock(body, {}))).toContain("lanes.cm/prod.approvers.required");
  });
});

describe("expires_at", () => {
  it("reads a quoted timestamp like an unquoted one", () => {
    const quoted = CONTRACT_EXAMPLE.replace("2027-03-31T00:00:00Z", '"2027-03-31T00:00:00Z"');
    expect(valid(issue(quoted)).expiresAt).toBe("2027-03-31T00:00:00.000Z");
  });

  it("normalises an offset timestamp to UTC", () => {
    const body = issue(`${lane("cm/prod", RESETTABLE)}\nexpires_at: 2027-03-31T02:00:00+02:00`);
    expect(valid(body).expiresAt).toBe("2027-03-31T00:00:00.000Z");
  });

  it("is null when absent", () => {
    expect(valid(issue(lane("cm/prod", RESETTABLE)))).toMatchObject({ expiresAt: null, expiresAtLine: null });
  });

  it.each([
    ["without a timezone", "2027-03-31T00:00:00"],
    ["as a bare date", "2027-03-31"],
    ["on an impossible date", "2027-02-30T00:00:00Z"],
  ])("invalidates the block when written %s", (_, value) => {
    expect(errorsOf(issue(`${lane("cm/prod", RESETTABLE)}\nexpires_at: ${value}`))).toEqual([
      {
        path: "expires_at",
        line: 8,
        message: "must be an ISO-8601 timestamp with a timezone, e.g. 2027-03-31T00:00:00Z",
      },
    ]);
  });

  it("invalidates the block when tagged as a YAML 1.1 timestamp", () => {
    expect(errorsOf(issue(`${lane("cm/prod", RESETTABLE)}\nexpires_at: !!timestamp 2027-03-31`))).toEqual([
      { path: "", line: 8, message: "Unresolved tag: tag:yaml.org,2002:timestamp" },
    ]);
  });
});

describe("whole-block errors", () => {
  it("rejects an unknown top-level key at its line", () => {
    expect(errorsOf(issue(`${lane("cm/prod", RESETTABLE)}\nowner: me`))).toEqual([
      { path: "owner", line: 8, message: 'unknown key "owner"' },
    ]);
  });

  it("rejects an unknown lane key at its line", () => {
    expect(errorsOf(issue(lane("cm/prod", `${RESETTABLE}\nwipe_everything: true`)))).toEqual([
      { path: "lanes.cm/prod.wipe_everything", line: 8, message: 'unknown key "wipe_everything"' },
    ]);
  });

  it("rejects a value of the wrong type", () => {
    const body = issue(lane("cm/prod", "data_authority: resettable\nallowed_rebuild_sources: empty"));
    expect(errorsOf(body)).toEqual([
      { path: "lanes.cm/prod.allowed_rebuild_sources", line: 7, message: "must be a list, not a string" },
    ]);
  });

  it("rejects a block without lanes", () => {
    expect(errorsOf(issue("retire_when: never"))).toEqual([
      { path: "lanes", line: 4, message: "is required" },
    ]);
  });

  it("rejects a block whose lanes mapping is empty", () => {
    expect(errorsOf(issue("lanes: {}"))).toEqual([
      { path: "lanes", line: 4, message: "must declare at least one lane" },
    ]);
  });

  it("rejects a lane missing data_authority, pointing at the lane", () => {
    expect(errorsOf(issue(lane("cm/prod", "allowed_rebuild_sources: [empty]")))).toEqual([
      { path: "lanes.cm/prod.data_authority", line: 5, message: "is required" },
    ]);
  });

  it("does not grant the unknown data authority", () => {
    const body = issue(lane("cm/prod", "data_authority: unknown\nallowed_rebuild_sources: [empty]"));
    expect(errorsOf(body)).toEqual([
      {
        path: "lanes.cm/prod.data_authority",
        line: 6,
        message: "must be one of resettable, restorable, authoritative",
      },
    ]);
  });

  it("rejects a source the lane's data authority does not allow", () => {
    const body = issue(
      lane("cm/prod", "data_authority: resettable\nallowed_rebuild_sources: [empty, backup_restore]"),
    );
    expect(errorsOf(body)).toEqual([
      {
        path: "lanes.cm/prod.allowed_rebuild_sources[1]",
        line: 7,
        message: '"backup_restore" is not allowed when data_authority is resettable (allowed: empty)',
      },
    ]);
  });

  it("rejects upstream_restore without upstream_source", () => {
    const body = issue(
      lane("opw/prod", "data_authority: restorable\nallowed_rebuild_sources:\n  - upstream_restore"),
    );
    expect(errorsOf(body)).toEqual([
      {
        path: "lanes.opw/prod.allowed_rebuild_sources[0]",
        line: 8,
        message: '"upstream_restore" needs upstream_source',
      },
    ]);
  });

  it("rejects a source listed twice", () => {
    const body = issue(
      lane("cm/prod", "data_authority: resettable\nallowed_rebuild_sources: [empty, empty]"),
    );
    expect(errorsOf(body)).toEqual([
      { path: "lanes.cm/prod.allowed_rebuild_sources[1]", line: 7, message: '"empty" is listed twice' },
    ]);
  });

  it("rejects an upstream_source containing whitespace", () => {
    const body = issue(
      lane(
        "opw/prod",
        "data_authority: restorable\nallowed_rebuild_sources: [upstream_restore]\nupstream_source: a b",
      ),
    );
    expect(errorsOf(body)).toEqual([
      expect.objectContaining({ path: "lanes.opw/prod.upstream_source", line: 8 }),
    ]);
  });

  it("rejects a confirmation longer than 200 characters", () => {
    const body = issue(lane("cm/prod", `${RESETTABLE}\nconfirmation: ${"x".repeat(201)}`));
    expect(errorsOf(body)).toEqual([
      { path: "lanes.cm/prod.confirmation", line: 8, message: "must be at most 200 characters" },
    ]);
  });

  it("rejects a blank confirmation", () => {
    expect(errorsOf(issue(lane("cm/prod", `${RESETTABLE}\nconfirmation: "  "`)))).toEqual([
      { path: "lanes.cm/prod.confirmation", line: 8, message: "must not be blank" },
    ]);
  });

  it("rejects a lane id that does not match the pattern", () => {
    expect(errorsOf(issue(lane("cm/prod/extra", RESETTABLE)))).toEqual([
      expect.objectContaining({ path: 'lanes."cm/prod/extra"', line: 5 }),
    ]);
  });

  it("rejects two keys that normalise to the same lane", () => {
    const body = issue(
      `${lane("cm/prod", RESETTABLE)}\n  CM/Prod:\n    ${RESETTABLE.replace("\n", "\n    ")}`,
    );
    expect(errorsOf(body)).toEqual([
      { path: "lanes.cm/prod", line: 8, message: '"CM/Prod" is the same lane as "cm/prod"' },
    ]);
  });

  it("lists the readable lane ids of an invalid block so they can be shown as invalid", () => {
    const body = issue(`${lane("cm/prod", RESETTABLE)}\n  OPW/prod: 3\n  bad id: {}`);
    expect(readPolicyBlock(body, BASELINE)).toMatchObject({
      kind: "invalid",
      laneIds: ["cm/prod", "opw/prod"],
    });
  });

  it("keeps the block's sha256 when it is invalid", () => {
    const body = issue("lanes: {}");
    expect(readPolicyBlock(body, BASELINE)).toMatchObject({ kind: "invalid", sha256: sha256("lanes: {}") });
  });
});

describe("block count", () => {
  it("reports an absent block when the body has none", () => {
    expect(readPolicyBlock("Just prose.\n```yaml\nlanes: {}\n```", BASELINE)).toEqual({
      kind: "invalid",
      sha256: null,
      laneIds: [],
      errors: [{ path: "", line: null, message: "no lane-policy block found" }],
      absent: true,
    });
  });

  it("treats a null body as having no block", () => {
    expect(readPolicyBlock(null, BASELINE)).toMatchObject({ kind: "invalid", absent: true });
  });

  it("rejects two blocks, pointing at each opening fence", () => {
    const body = `${issue(lane("cm/prod", RESETTABLE))}\n${issue(lane("cm/testing", RESETTABLE))}`;
    const message = "found 2 lane-policy blocks; exactly one is allowed";
    expect(readPolicyBlock(body, BASELINE)).toEqual({
      kind: "invalid",
      sha256: null,
      laneIds: ["cm/prod", "cm/testing"],
      errors: [
        { path: "", line: 3, message },
        { path: "", line: 12, message },
      ],
      absent: false,
    });
  });
});

describe("size limit", () => {
  // Pads a valid block with a YAML comment of two-byte characters up to `bytes` bytes.
  const padded = (bytes: number) => {
    const head = `${lane("cm/prod", RESETTABLE)}\n#`;
    const room = bytes - Buffer.byteLength(head);
    return head + "é".repeat(Math.floor(room / 2)) + "x".repeat(room % 2);
  };

  it("accepts a block of exactly 65,536 bytes", () => {
    expect(valid(issue(padded(65_536))).lanes).toHaveLength(1);
  });

  it("rejects a block over 65,536 bytes without parsing it", () => {
    expect(readPolicyBlock(issue(padded(65_537)), BASELINE)).toMatchObject({
      kind: "invalid",
      laneIds: [],
      errors: [{ path: "", line: 3, message: "the block is 65537 bytes; at most 65536 are allowed" }],
    });
  });
});

describe("YAML problems", () => {
  it("reports malformed YAML at its body line", () => {
    const errors = errorsOf(
      issue(lane("cm/prod", "data_authority: resettable\nallowed_rebuild_sources: [empty")),
    );
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]).toMatchObject({ path: "", line: 7 });
  });

  it("rejects duplicate keys at the second one", () => {
    expect(errorsOf(issue(lane("cm/prod", `${RESETTABLE}\ndata_authority: authoritative`)))).toEqual([
      { path: "", line: 8, message: "Map keys must be unique" },
    ]);
  });

  it.each([
    ["a list", "- cm/prod", "must be a mapping, not a list"],
    ["a scalar", "cm/prod", "must be a mapping, not a string"],
  ])("rejects a block that is %s", (_, yaml, message) => {
    expect(errorsOf(issue(yaml))).toEqual([{ path: "", line: 4, message }]);
  });

  it("rejects an empty block", () => {
    expect(errorsOf(issue(""))).toEqual([{ path: "", line: null, message: "must be a mapping, not empty" }]);
  });

  it("ignores a %YAML 1.1 directive's extra types", () => {
    expect(
      errorsOf(issue(`%YAML 1.1\n---\n${lane("cm/prod", RESETTABLE)}\nretire_when: !!binary aGk=`)),
    ).toEqual([expect.objectContaining({ line: 10, message: expect.stringContaining("Unresolved tag") })]);
  });

  it("does not merge `<<` keys", () => {
    expect(errorsOf(issue(`${lane("cm/prod", RESETTABLE)}\n<<: {retire_when: x}`))).toEqual([
      { path: "<<", line: 8, message: 'unknown key "<<"' },
    ]);
  });

  it("rejects an alias bomb instead of expanding it", () => {
    const aliases = Array.from({ length: 200 }, () => "*a").join(", ");
    const body = issue(`${lane("cm/prod", RESETTABLE)}\nx: &a [1]\ny: [${aliases}]`);
    expect(errorsOf(body)).toEqual([expect.objectContaining({ path: "", line: 3 })]);
  });
});

describe("the baseline", () => {
  const weakened = issue(
    `${lane("syo/prod", RESETTABLE)}\n  cm/prod:\n    ${RESETTABLE.replace("\n", "\n    ")}`,
  );

  it("invalidates a lane the issue weakens below the baseline's authority", () => {
    expect(valid(weakened).laneErrors).toEqual({
      "syo/prod": [
        {
          path: "lanes.syo/prod.data_authority",
          line: 6,
          message: "cannot be resettable: .github/lanegate.yml declares syo/prod authoritative",
        },
      ],
    });
  });

  it("leaves the block's other lanes valid when one lane weakens the baseline", () => {
    expect(valid(weakened).lanes.map((l) => l.lane)).toEqual(["cm/prod"]);
  });

  it("lets an issue declare a stronger authority than the baseline", () => {
    const body = issue(lane("cm/prod", AUTHORITATIVE));
    expect(valid(body, { "cm/prod": { data_authority: "resettable" } }).lanes).toHaveLength(1);
  });

  it("invalidates a lane whose flag the issue sets false where the baseline sets it true", () => {
    const body = issue(lane("cm/prod", `${RESETTABLE}\nrequires_runtime_identity: false`));
    const baseline: Baseline = {
      "cm/prod": { data_authority: "resettable", requires_runtime_identity: true },
    };
    expect(valid(body, baseline).laneErrors["cm/prod"]).toEqual([
      {
        path: "lanes.cm/prod.requires_runtime_identity",
        line: 8,
        message: "cannot be false: .github/lanegate.yml sets it true for cm/prod",
      },
    ]);
  });

  it("turns on the flags the baseline sets even when the issue omits them", () => {
    const baseline: Baseline = { "cm/prod": { data_authority: "resettable", requires_restore_proof: true } };
    expect(valid(issue(lane("cm/prod", RESETTABLE)), baseline).lanes[0]).toMatchObject({
      requires_backup_before_destroy: false,
      requires_restore_proof: true,
    });
  });

  it("applies to lanes the baseline names with uppercase letters", () => {
    const baseline: Baseline = { "SYO/Prod": { data_authority: "authoritative" } };
    expect(Object.keys(valid(weakened, baseline).laneErrors)).toEqual(["syo/prod"]);
  });
});

describe("authoritative lanes", () => {
  it("always require a backup before destroy and restore proof", () => {
    expect(valid(issue(lane("syo/prod", AUTHORITATIVE))).lanes[0]).toMatchObject({
      requires_backup_before_destroy: true,
      requires_restore_proof: true,
      requires_runtime_identity: false,
    });
  });

  it.each(["requires_backup_before_destroy", "requires_restore_proof"])(
    "are invalid with %s explicitly false",
    (flag) => {
      const block = valid(issue(lane("syo/prod", `${AUTHORITATIVE}\n${flag}: false`)));
      expect(block.lanes).toEqual([]);
      expect(block.laneErrors["syo/prod"]).toEqual([
        {
          path: `lanes.syo/prod.${flag}`,
          line: 8,
          message: "cannot be false: authoritative lanes always require it",
        },
      ]);
    },
  );

  it("may only allow backup_restore", () => {
    const body = issue(lane("syo/prod", "data_authority: authoritative\nallowed_rebuild_sources: [empty]"));
    expect(errorsOf(body)).toEqual([
      expect.objectContaining({ path: "lanes.syo/prod.allowed_rebuild_sources[0]" }),
    ]);
  });
});

describe("lane ids", () => {
  it("are trimmed and lowercased", () => {
    expect(valid(issue(lane('"  CM/Prod "', RESETTABLE))).lanes[0]?.lane).toBe("cm/prod");
  });

  it.each([
    ["a zero-width space", "cm\u200b/prod", '"cm\\u{200b}/prod"'],
    ["a Cyrillic а", "cm/prod-\u0430", '"cm/prod-\\u{430}"'],
    ["a fullwidth slash", "cm\uff0fprod", '"cm\\u{ff0f}prod"'],
  ])("are rejected when they contain %s, spelled out in the error", (_, id, shown) => {
    expect(errorsOf(issue(lane(id, RESETTABLE)))).toEqual([
      expect.objectContaining({ path: `lanes.${shown}`, line: 5, message: expect.stringContaining(shown) }),
    ]);
  });
});

describe("sha256", () => {
  it("is the hex sha256 of the block's text", () => {
    expect(valid(issue(CONTRACT_EXAMPLE)).sha256).toBe(sha256(CONTRACT_EXAMPLE));
  });

  it("is the same for CRLF and LF bodies", () => {
    const lf = issue(CONTRACT_EXAMPLE);
    expect(valid(lf.replace(/\n/g, "\r\n")).sha256).toBe(valid(lf).sha256);
  });

  it("changes when the block's text changes", () => {
    const edited = CONTRACT_EXAMPLE.replace("2027-03-31", "2027-04-30");
    expect(valid(issue(edited)).sha256).not.toBe(valid(issue(CONTRACT_EXAMPLE)).sha256);
  });

  it("does not change when text outside the block changes", () => {
    const before = valid(issue(CONTRACT_EXAMPLE)).sha256;
    expect(valid(`New intro.\n${issue(CONTRACT_EXAMPLE)}\nA footnote.`).sha256).toBe(before);
  });
});

describe("hostile input", () => {
  const kinds = ["valid", "invalid"];
  const yamlish = fc
    .array(
      fc.constantFrom(
        "lanes:",
        "\n",
        "  ",
        "cm/prod:",
        "CM/Prod",
        "data_authority: ",
        "resettable",
        "authoritative",
        "allowed_rebuild_sources: ",
        "[empty]",
        "- ",
        "&a ",
        "*a",
        ": ",
        "{",
        "}",
        "[",
        "]",
        ",",
        "```",
        "~~~",
        "expires_at: ",
        "2027-03-31T00:00:00Z",
        "\t",
        "#",
        "'",
        '"',
        "!!",
        "%YAML 1.1\n",
        "---\n",
        "? ",
        "__proto__",
        "\u200b",
        "\r",
      ),
      { maxLength: 60 },
    )
    .map((parts) => parts.join(""));
  const anyText = fc.oneof(fc.string({ unit: "binary", maxLength: 300 }), yamlish);

  it("never throws and returns one of the two kinds for arbitrary bodies", () => {
    fc.assert(
      fc.property(anyText, (body) => {
        expect(kinds).toContain(readPolicyBlock(body, BASELINE).kind);
      }),
    );
  });

  it("never throws and returns one of the two kinds for arbitrary text in a lane-policy fence", () => {
    fc.assert(
      fc.property(anyText, (text) => {
        expect(kinds).toContain(readPolicyBlock(`\`\`\`lane-policy\n${text}\n\`\`\``, BASELINE).kind);
      }),
    );
  });

  it("survives deeply nested YAML", () => {
    const body = issue(`lanes: ${"[".repeat(20_000)}${"]".repeat(20_000)}`);
    expect(readPolicyBlock(body, BASELINE).kind).toBe("invalid");
  });
});
