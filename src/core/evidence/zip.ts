// Reads the result artifact's zip within fixed limits. fflate (no dependencies, maintained, also
// writes zips for the tests and the stand-in) lists the central directory; the entry is then
// inflated through fflate's streaming unzipper a small slice at a time, so a zip bomb is caught
// by the bytes it actually inflates to, not by the size its header claims.
import { Unzip, UnzipInflate, unzipSync } from "fflate";
import { ARTIFACT_FILE, type EvidenceError, type Parsed } from "./artifact.ts";

export const MAX_ZIPPED_BYTES = 1024 * 1024;
export const MAX_UNZIPPED_BYTES = 256 * 1024;
// One slice of compressed input inflates to at most about 1032 times its size, so memory stays
// bounded even while a bomb is being read.
const SLICE = 4096;

const fail = (code: EvidenceError["code"], message: string): Parsed<string> => ({
  ok: false,
  error: { code, message },
});

/** A name that could land outside the folder it is unpacked into. */
export function escapesArchive(name: string): boolean {
  const parts = name.split(/[\\/]/);
  return name.startsWith("/") || name.startsWith("\\") || /^[A-Za-z]:/.test(name) || parts.includes("..");
}

/** The text of the zip's one entry, `lanegate-result.json`, or why it cannot be had. */
export function readResultZip(zip: Uint8Array): Parsed<string> {
  if (zip.length > MAX_ZIPPED_BYTES)
    return fail("artifact_too_large", `the zip is ${zip.length} bytes; the limit is ${MAX_ZIPPED_BYTES}`);
  const names: string[] = [];
  try {
    unzipSync(zip, {
      filter: (f) => {
        names.push(f.name);
        return false;
      },
    });
  } catch (e) {
    return fail("zip_invalid", `not a readable zip: ${(e as Error).message}`);
  }
  const listed = checkNames(names);
  if (listed) return { ok: false, error: listed };
  return inflateOnlyEntry(zip);
}

function checkNames(names: string[]): EvidenceError | null {
  const outside = names.find(escapesArchive);
  if (outside !== undefined)
    return { code: "zip_path", message: `entry ${JSON.stringify(outside)} points outside the archive` };
  if (names.length !== 1 || names[0] !== ARTIFACT_FILE)
    return {
      code: "zip_entries",
      message: `the zip must hold exactly one entry, ${ARTIFACT_FILE}; it holds ${names.length}: ${names.slice(0, 5).join(", ")}`,
    };
  return null;
}

function inflateOnlyEntry(zip: Uint8Array): Parsed<string> {
  const chunks: Uint8Array[] = [];
  const local: string[] = [];
  let inflated = 0;
  let problem: EvidenceError | null = null;
  const unzip = new Unzip((file) => {
    local.push(file.name);
    // The local headers must agree with the central directory checked above.
    if (local.length > 1 || file.name !== ARTIFACT_FILE) {
      problem = checkNames(local) ?? {
        code: "zip_entries",
        message: "local headers disagree with the directory",
      };
      return;
    }
    file.ondata = (err, chunk, final) => {
      if (err) problem ??= { code: "zip_invalid", message: `cannot inflate: ${err.message}` };
      if (!chunk) return;
      inflated += chunk.length;
      if (inflated > MAX_UNZIPPED_BYTES)
        problem ??= {
          code: "unzipped_too_large",
          message: `${ARTIFACT_FILE} inflates past ${MAX_UNZIPPED_BYTES} bytes`,
        };
      else chunks.push(chunk);
      if (final) chunks.push(new Uint8Array(0));
    };
    file.start();
  });
  unzip.register(UnzipInflate);
  try {
    for (let at = 0; at < zip.length && problem === null; at += SLICE)
      unzip.push(zip.subarray(at, at + SLICE), false);
    if (problem === null) unzip.push(new Uint8Array(0), true);
  } catch (e) {
    problem ??= { code: "zip_invalid", message: `not a readable zip: ${(e as Error).message}` };
  }
  if (problem) return { ok: false, error: problem };
  if (local.length !== 1) return fail("zip_entries", `found ${local.length} local entries`);
  const bytes = new Uint8Array(inflated);
  let offset = 0;
  for (const c of chunks) {
    bytes.set(c, offset);
    offset += c.length;
  }
  try {
    return { ok: true, value: new TextDecoder("utf-8", { fatal: true }).decode(bytes) };
  } catch {
    return fail("json_invalid", `${ARTIFACT_FILE} is not UTF-8 text`);
  }
}
