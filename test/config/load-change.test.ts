// The audit line a config load writes, as a table: a line only when the status or the errors
// differ from the load recorded before, naming both statuses and the new errors.
import { describe, expect, it } from "vitest";
import { type ConfigLoad, describeLoadChange, type RecordedLoad } from "../../src/core/config/load.ts";
import { DEFAULT_CONFIG } from "../../src/core/config/schema.ts";

const ok: ConfigLoad = { status: "ok", config: DEFAULT_CONFIG, errors: [] };
const missing: ConfigLoad = { status: "missing", config: null, errors: [] };
const invalid = (...errors: string[]): ConfigLoad => ({ status: "invalid", config: null, errors });
const unreadable = (...errors: string[]): ConfigLoad => ({ status: "unreadable", errors });
const was = (status: RecordedLoad["status"], ...errors: string[]): RecordedLoad => ({ status, errors });

describe("the audit line of a config load", () => {
  it.each<[string, RecordedLoad | null, ConfigLoad, string | null]>([
    ["the first load, valid", null, ok, "never loaded -> ok"],
    ["the first load, missing", null, missing, "never loaded -> missing"],
    [
      "the first load, invalid",
      null,
      invalid("lanes: a", "gate: b"),
      "never loaded -> invalid: lanes: a; gate: b",
    ],
    ["the same valid config again", was("ok"), ok, null],
    ["still missing", was("missing"), missing, null],
    ["the same errors again", was("invalid", "a", "b"), invalid("a", "b"), null],
    ["other errors", was("invalid", "a"), invalid("b"), "invalid -> invalid: b"],
    ["one error more", was("invalid", "a"), invalid("a", "b"), "invalid -> invalid: a; b"],
    ["one error fewer", was("invalid", "a", "b"), invalid("a"), "invalid -> invalid: a"],
    [
      "the same errors in another order",
      was("invalid", "a", "b"),
      invalid("b", "a"),
      "invalid -> invalid: b; a",
    ],
    ["fixed", was("invalid", "a"), ok, "invalid -> ok"],
    ["broken", was("ok"), invalid("a"), "ok -> invalid: a"],
    ["removed", was("ok"), missing, "ok -> missing"],
    ["GitHub does not answer", was("ok"), unreadable("502"), "ok -> unreadable: 502"],
    ["GitHub still does not answer, the same way", was("unreadable", "502"), unreadable("502"), null],
    [
      "GitHub still does not answer, another way",
      was("unreadable", "502"),
      unreadable("503"),
      "unreadable -> unreadable: 503",
    ],
    ["GitHub answers again", was("unreadable", "502"), ok, "unreadable -> ok"],
  ])("%s", (_what, previous, load, line) => {
    expect(describeLoadChange(previous, load)).toBe(line);
  });
});
