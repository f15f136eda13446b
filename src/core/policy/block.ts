// Reads the one `lane-policy` block of an approval issue body into lane policies. Anything that
// makes the block untrustworthy invalidates all of it; disagreements with the baseline only
// invalidate the lane concerned. Pure: no I/O and no clock (expiry is judged elsewhere).
import { createHash } from "node:crypto";
import {
  type Document,
  isMap,
  isNode,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
  type Scalar,
  type YAMLMap,
} from "yaml";
import {
  AUTHORITY_STRENGTH,
  type Baseline,
  type DeclaredLane,
  type LaneFlags,
  type LanePolicy,
  type PolicyError,
  parseLaneId,
} from "../domain.ts";
import { type FencedBlock, findPolicyBlocks } from "./fence.ts";
import { type DataPath, type LanePolicyInput, type Problem, parsePolicyBlock } from "./schema.ts";

export type PolicyBlock =
  | {
      kind: "valid";
      sha256: string;
      lanes: LanePolicy[];
      laneErrors: Record<string, PolicyError[]>;
      expiresAt: string | null;
      retireWhen: string | null;
      expiresAtLine: number | null;
    }
  | { kind: "invalid"; sha256: string | null; laneIds: string[]; errors: PolicyError[]; absent: boolean };

export const MAX_BLOCK_BYTES = 65_536;
const CONFIG_FILE = ".github/lanegate.yml";
const FLAGS = [
  "requires_backup_before_destroy",
  "requires_restore_proof",
  "requires_runtime_identity",
] as const;
const ALWAYS_ON_WHEN_AUTHORITATIVE = new Set<keyof LaneFlags>([
  "requires_backup_before_destroy",
  "requires_restore_proof",
]);

export function readPolicyBlock(body: string | null | undefined, baseline: Baseline): PolicyBlock {
  const blocks = findPolicyBlocks(body ?? "");
  const [block] = blocks;
  if (!block) {
    return invalid(null, [], [{ path: "", line: null, message: "no lane-policy block found" }], true);
  }
  if (blocks.length > 1) {
    const message = `found ${blocks.length} lane-policy blocks; exactly one is allowed`;
    const laneIds = new Set(blocks.flatMap(laneIdsOf));
    return invalid(
      null,
      [...laneIds],
      blocks.map((b) => ({ path: "", line: fenceLine(b), message })),
    );
  }
  const sha256 = createHash("sha256").update(block.text).digest("hex");
  const bytes = Buffer.byteLength(block.text);
  if (bytes > MAX_BLOCK_BYTES) {
    const message = `the block is ${bytes} bytes; at most ${MAX_BLOCK_BYTES} are allowed`;
    return invalid(sha256, [], [{ path: "", line: fenceLine(block), message }]);
  }
  // One sync reads the same block several times (its sha, the delivery's claim, the derivation):
  // the result depends only on the block, its place in the body and the baseline.
  const key = `${sha256}:${block.line}:${JSON.stringify(baseline)}`;
  const cached = recent.get(key);
  if (cached) return cached;
  const result = readOnce(block, sha256, baseline);
  if (recent.size >= RECENT_BLOCKS) recent.delete(recent.keys().next().value ?? "");
  recent.set(key, result);
  return result;
}

const RECENT_BLOCKS = 64;
const recent = new Map<string, PolicyBlock>();

function readOnce(block: FencedBlock, sha256: string, baseline: Baseline): PolicyBlock {
  try {
    return readBlock(block, sha256, baseline);
  } catch (error) {
    // toJS throws on alias bombs; anything else unexpected must fail closed too.
    const message = `the block could not be read: ${error instanceof Error ? error.message : String(error)}`;
    return invalid(sha256, [], [{ path: "", line: fenceLine(block), message }]);
  }
}

function readBlock(block: FencedBlock, sha256: string, baseline: Baseline): PolicyBlock {
  const { doc, lineCounter } = parseYaml(block.text);
  const bodyLine = (offset: number) => block.line + lineCounter.linePos(offset).line - 1;
  const lineOf = locator(doc, bodyLine);
  const toError = (p: Problem): PolicyError => ({
    path: formatPath(p.path),
    line: lineOf(p.path),
    message: p.message,
  });
  const laneIds = readableLaneIds(doc);

  const yamlErrors = [...doc.errors, ...doc.warnings];
  if (yamlErrors.length > 0) {
    const errors = yamlErrors.map((e) => ({ path: "", line: bodyLine(e.pos[0]), message: e.message }));
    return invalid(sha256, laneIds, byLine(errors));
  }
  const data = doc.toJS();
  const parsed = parsePolicyBlock(data);
  const problems = [...laneKeyProblems(data), ...(parsed.ok ? [] : parsed.problems)];
  if (!parsed.ok || problems.length > 0) return invalid(sha256, laneIds, byLine(problems.map(toError)));

  const declared = declaredLanes(baseline);
  const lanes: LanePolicy[] = [];
  const laneErrors: Record<string, PolicyError[]> = {};
  for (const [key, input] of Object.entries(parsed.block.lanes)) {
    const id = parseLaneId(key)?.id ?? key;
    const laneProblems = baselineProblems(key, id, input, declared.get(id));
    if (laneProblems.length > 0) laneErrors[id] = laneProblems.map(toError);
    else lanes.push(toLanePolicy(id, input, declared.get(id)));
  }
  const expires = parsed.block.expires_at;
  return {
    kind: "valid",
    sha256,
    lanes,
    laneErrors,
    expiresAt: expires === undefined ? null : new Date(expires).toISOString(),
    retireWhen: parsed.block.retire_when ?? null,
    expiresAtLine: expires === undefined ? null : lineOf(["expires_at"]),
  };
}

function invalid(
  sha256: string | null,
  laneIds: string[],
  errors: PolicyError[],
  absent = false,
): PolicyBlock {
  return { kind: "invalid", sha256, laneIds, errors, absent };
}

function parseYaml(text: string): { doc: Document; lineCounter: LineCounter } {
  const lineCounter = new LineCounter();
  // Always the core schema, whatever `%YAML 1.1` or `!!tags` say: no Dates, Buffers or merge keys.
  const doc = parseDocument(text, {
    lineCounter,
    schema: "core",
    version: "1.2",
    resolveKnownTags: false,
    prettyErrors: false,
    logLevel: "silent",
  });
  return { doc, lineCounter };
}

function laneIdsOf(block: FencedBlock): string[] {
  return Buffer.byteLength(block.text) > MAX_BLOCK_BYTES ? [] : readableLaneIds(parseYaml(block.text).doc);
}

/** Lane ids the status comment can still show when the block is invalid. */
function readableLaneIds(doc: Document): string[] {
  const lanes = childOf(doc.contents, "lanes")?.node;
  if (!isMap(lanes)) return [];
  const ids = lanes.items.flatMap((pair) => {
    const id = isScalar(pair.key) ? parseLaneId(String(pair.key.value))?.id : undefined;
    return id === undefined ? [] : [id];
  });
  return [...new Set(ids)];
}

function laneKeyProblems(data: unknown): Problem[] {
  const lanes = isRecord(data) ? data.lanes : undefined;
  if (!isRecord(lanes)) return [];
  const seen = new Map<string, string>();
  return Object.keys(lanes).flatMap((key): Problem[] => {
    const path = ["lanes", key];
    const lane = parseLaneId(key);
    if (!lane) {
      const message = `${quote(key)} is not a lane id: use <context>/<instance>, each part lowercase letters, digits and "-", at most 63 characters`;
      return [{ path, message }];
    }
    const first = seen.get(lane.id);
    if (first !== undefined) return [{ path, message: `${quote(key)} is the same lane as ${quote(first)}` }];
    seen.set(lane.id, key);
    return [];
  });
}

function declaredLanes(baseline: Baseline): Map<string, DeclaredLane> {
  return new Map(
    Object.entries(baseline).flatMap(([key, lane]) => {
      const id = parseLaneId(key)?.id;
      return id === undefined ? [] : [[id, lane] as const];
    }),
  );
}

function baselineProblems(
  key: string,
  id: string,
  input: LanePolicyInput,
  declared: DeclaredLane | undefined,
): Problem[] {
  const problems: Problem[] = [];
  if (declared && AUTHORITY_STRENGTH[input.data_authority] < AUTHORITY_STRENGTH[declared.data_authority]) {
    const message = `cannot be ${input.data_authority}: ${CONFIG_FILE} declares ${id} ${declared.data_authority}`;
    problems.push({ path: ["lanes", key, "data_authority"], message });
  }
  for (const flag of FLAGS) {
    if (input[flag] !== false) continue;
    const path = ["lanes", key, flag];
    if (input.data_authority === "authoritative" && ALWAYS_ON_WHEN_AUTHORITATIVE.has(flag)) {
      problems.push({ path, message: "cannot be false: authoritative lanes always require it" });
    } else if (declared?.[flag]) {
      problems.push({ path, message: `cannot be false: ${CONFIG_FILE} sets it true for ${id}` });
    }
  }
  return problems;
}

function toLanePolicy(id: string, input: LanePolicyInput, declared: DeclaredLane | undefined): LanePolicy {
  const authoritative = input.data_authority === "authoritative";
  const flag = (name: keyof LaneFlags) =>
    (authoritative && ALWAYS_ON_WHEN_AUTHORITATIVE.has(name)) ||
    input[name] === true ||
    declared?.[name] === true;
  return {
    lane: id,
    data_authority: input.data_authority,
    allowed_rebuild_sources: input.allowed_rebuild_sources,
    upstream_source: input.upstream_source ?? null,
    confirmation: input.confirmation ?? null,
    requires_backup_before_destroy: flag("requires_backup_before_destroy"),
    requires_restore_proof: flag("requires_restore_proof"),
    requires_runtime_identity: flag("requires_runtime_identity"),
    approvals_required: input.approvers?.required ?? 1,
  };
}

/** Maps a data path to the body line of the nearest YAML node that exists along it. */
function locator(doc: Document, bodyLine: (offset: number) => number): (path: DataPath) => number | null {
  const lineAt = (node: Node) => (node.range ? bodyLine(node.range[0]) : null);
  return (path) => {
    let node: unknown = doc.contents;
    let line = isNode(node) ? lineAt(node) : null;
    for (const key of path) {
      const step = childOf(node, key);
      if (!step) break;
      line = lineAt(step.at) ?? line;
      node = step.node;
    }
    return line;
  };
}

/** One step down the YAML tree; `at` is the node to point at (a mapping's key, a list's item). */
function childOf(node: unknown, key: string | number): { at: Node; node: unknown } | undefined {
  if (isMap(node)) {
    const pair = keysOf(node).get(String(key));
    return pair && { at: pair.key, node: pair.value };
  }
  if (isSeq(node) && typeof key === "number") {
    const item = node.items[key];
    if (isNode(item)) return { at: item, node: item };
  }
  return undefined;
}

// Indexed once per mapping so that locating thousands of errors in a hostile block stays linear.
const keyIndexes = new WeakMap<YAMLMap, Map<string, { key: Scalar; value: unknown }>>();

function keysOf(map: YAMLMap): Map<string, { key: Scalar; value: unknown }> {
  let index = keyIndexes.get(map);
  if (!index) {
    index = new Map();
    for (const { key, value } of map.items) {
      if (isScalar(key) && !index.has(String(key.value))) index.set(String(key.value), { key, value });
    }
    keyIndexes.set(map, index);
  }
  return index;
}

function formatPath(path: DataPath): string {
  return path
    .map((key, i) => {
      if (typeof key === "number") return `[${key}]`;
      const name = i === 1 && path[0] === "lanes" ? (parseLaneId(key)?.id ?? quote(key)) : key;
      return i === 0 ? name : `.${name}`;
    })
    .join("");
}

function byLine(errors: PolicyError[]): PolicyError[] {
  return errors.sort((a, b) => (a.line ?? Number.POSITIVE_INFINITY) - (b.line ?? Number.POSITIVE_INFINITY));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Quotes a key with look-alike and invisible characters spelled out, e.g. "cm\u{200b}/prod". */
function quote(text: string): string {
  const shown = text.slice(0, 80).replace(/[^\x20-\x7e]/gu, (c) => `\\u{${c.codePointAt(0)?.toString(16)}}`);
  return `"${shown}${text.length > 80 ? "…" : ""}"`;
}

function fenceLine(block: FencedBlock): number {
  return block.line - 1;
}
