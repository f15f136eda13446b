import { describe, expect, it } from "vitest";
import { checkProvenance, parseResultArtifact } from "../../src/core/evidence/artifact.ts";
import { MAX_UNZIPPED_BYTES, readResultZip } from "../../src/core/evidence/zip.ts";
import { result, resultZip, zipOf } from "../../standin/artifacts.ts";
import { bombZip } from "./artifacts.ts";

const codeOf = (zip: Uint8Array) => {
  const r = readResultZip(zip);
  return r.ok ? "ok" : r.error.code;
};

describe("reading the result zip", () => {
  it("reads the one entry", () => {
    expect(readResultZip(resultZip(result()))).toEqual({ ok: true, value: JSON.stringify(result()) });
  });

  it("refuses a zip over 1 MiB before reading it", () => {
    expect(codeOf(new Uint8Array(1024 * 1024 + 1))).toBe("artifact_too_large");
  });

  it("catches a bomb by the bytes it inflates to, though its headers claim 100 bytes", () => {
    const bomb = bombZip();
    expect(bomb.length).toBeLessThan(64 * 1024);
    expect(codeOf(bomb)).toBe("unzipped_too_large");
  });

  it("refuses an honest entry just over 256 KiB and takes one at the limit", () => {
    expect(codeOf(zipOf({ "lanegate-result.json": "x".repeat(MAX_UNZIPPED_BYTES + 1) }))).toBe(
      "unzipped_too_large",
    );
    expect(codeOf(zipOf({ "lanegate-result.json": "x".repeat(MAX_UNZIPPED_BYTES) }))).toBe("ok");
  });

  it.each([
    ["two entries", { "lanegate-result.json": "{}", "extra.txt": "x" }, "zip_entries"],
    ["another name", { "result.json": "{}" }, "zip_entries"],
    ["a nested name", { "dir/lanegate-result.json": "{}" }, "zip_entries"],
    ["a parent path", { "../lanegate-result.json": "{}" }, "zip_path"],
    ["an absolute path", { "/etc/lanegate-result.json": "{}" }, "zip_path"],
    ["a backslash parent path", { "..\\lanegate-result.json": "{}" }, "zip_path"],
  ])("refuses %s", (_name, files, code) => {
    expect(codeOf(zipOf(files))).toBe(code);
  });

  it("refuses bytes that are not a zip, and a truncated zip", () => {
    expect(codeOf(new TextEncoder().encode("not a zip at all"))).toBe("zip_invalid");
    const zip = resultZip(result());
    expect(codeOf(zip.subarray(0, zip.length - 30))).toBe("zip_invalid");
  });
});

describe("validating the artifact", () => {
  const parse = (text: string) => {
    const r = parseResultArtifact(text);
    return r.ok ? "ok" : r.error.code;
  };

  it("takes the contract's example", () => {
    expect(parse(JSON.stringify(result()))).toBe("ok");
  });

  it.each([
    ["invalid JSON", "{ nope", "json_invalid"],
    ["schema_version 2", JSON.stringify({ ...result(), schema_version: 2 }), "schema_version"],
    ["no schema_version", JSON.stringify({ kind: "bootstrap" }), "schema_version"],
    ["an unknown status", JSON.stringify({ ...result(), readiness_status: "great" }), "schema_invalid"],
    ["an unknown key", JSON.stringify({ ...result(), extra: 1 }), "schema_invalid"],
    ["a bad lane", JSON.stringify({ ...result(), lane: "CM testing" }), "schema_invalid"],
  ])("refuses %s", (_name, text, code) => {
    expect(parse(text)).toBe(code);
  });

  const allowed = { kind: "bootstrap" as const, runId: 123, attempt: 1, lane: "cm/testing" };
  it.each([
    ["another run", result({ run_id: 9 }), "run_mismatch"],
    ["another attempt", result({ run_attempt: 2 }), "run_mismatch"],
    ["another lane", result({ lane: "cm/prod" }), "lane_mismatch"],
    ["a deployment from a gated run", result({ kind: "deployment" }), "workflow_not_listed"],
  ])("does not believe an artifact naming %s", (_name, a, code) => {
    expect(checkProvenance(a, allowed)?.code).toBe(code);
  });

  it("believes the artifact of the run that uploaded it", () => {
    expect(checkProvenance(result(), allowed)).toBeNull();
  });

  it("takes a deployment run's lane from its artifact", () => {
    const a = result({ kind: "deployment", lane: "cm/prod" });
    expect(checkProvenance(a, { kind: "deployment", runId: 123, attempt: 1, lane: null })).toBeNull();
    expect(checkProvenance(result(), { kind: "deployment", runId: 123, attempt: 1, lane: null })?.code).toBe(
      "kind_mismatch",
    );
  });
});
