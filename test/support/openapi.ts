// Checks requests, responses and webhook payloads against GitHub's own OpenAPI description
// (@octokit/openapi), so a test double cannot drift from what api.github.com really accepts.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";

type Obj = Record<string, unknown>;

type SegmentKind = "literal" | "mixed" | "param" | "multi";

interface Segment {
  kind: SegmentKind;
  text: string;
  names: string[];
  // Only for "mixed" segments such as `{base}...{head}`.
  pattern?: RegExp;
}

interface Route {
  template: string;
  item: Obj;
  segments: Segment[];
}

interface Param {
  name: string;
  in: string;
  required: boolean;
  schema: Obj;
}

interface Spec {
  doc: Obj;
  ajv: Ajv;
  routes: Route[];
  validators: Map<string, ValidateFunction>;
}

const SPEC_ID = "github-openapi";
const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];
// The nullable rewrite marks what it adds so its noise can be left out of error reports.
const NULL_BRANCH_MARK = "x-lanegate-null-branch";
const NULLABLE_WRAP_MARK = "x-lanegate-nullable";
const MAX_PROBLEMS = 25;

let spec: Spec | undefined;

function isObj(value: unknown): value is Obj {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function child(value: unknown, key: string): unknown {
  return isObj(value) ? value[key] : undefined;
}

function load(): Spec {
  if (spec) return spec;
  const require = createRequire(import.meta.url);
  const file = require.resolve("@octokit/openapi/generated/api.github.com.json");
  const parsed: unknown = JSON.parse(readFileSync(file, "utf8"));
  if (!isObj(parsed)) throw new Error(`${file} is not an OpenAPI document`);
  const components = child(parsed, "components");
  for (const part of [
    parsed.paths,
    parsed["x-webhooks"],
    child(components, "schemas"),
    child(components, "responses"),
    child(components, "parameters"),
    child(components, "requestBodies"),
  ]) {
    // The keys of these maps are names, so a schema called "default" must not be skipped.
    rewriteNullable(part, true);
  }

  const ajv = new Ajv({
    strict: false,
    allErrors: true,
    // Needed to recognise the branches added by rewriteNullable in error reports.
    verbose: true,
    // The description is trusted; validating 13 MB against the meta-schema costs time for nothing.
    validateSchema: false,
    logger: { log() {}, warn() {}, error: (...args: unknown[]) => console.error(...args) },
    formats: FORMATS,
  });
  // The whole document is one schema, so every `#/components/...` ref resolves inside it
  // without rewriting, and operations are compiled as refs into it.
  ajv.addSchema(parsed, SPEC_ID);

  const routes: Route[] = [];
  const paths = parsed.paths;
  if (isObj(paths)) {
    for (const [template, item] of Object.entries(paths)) {
      if (isObj(item)) routes.push(makeRoute(parsed, template, item));
    }
  }
  spec = { doc: parsed, ajv, routes, validators: new Map() };
  return spec;
}

// Deliberately loose: these catch a number or a free-form word where GitHub sends a timestamp
// or a URL, without pulling in ajv-formats.
const FORMATS: Record<string, RegExp | true> = {
  "date-time": /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?$/,
  date: /^\d{4}-\d{2}-\d{2}$/,
  // GitHub sends "" for unset URLs such as repository.homepage, though the description says uri.
  uri: /^(|[A-Za-z][A-Za-z0-9+.-]*:\S*)$/,
  email: /^\S+@\S+$/,
  "uri-template": true,
  int32: true,
  int64: true,
  double: true,
  binary: true,
  timestamp: true,
  "repo.nwo": true,
};

const DATA_KEYWORDS = new Set(["example", "examples", "enum", "default", "const"]);
const PROPERTY_MAPS = new Set(["properties", "patternProperties"]);

// OpenAPI 3.0 allows `nullable: true` beside `allOf`/`anyOf`/`$ref` without a `type`, which Ajv
// rejects ("nullable" cannot be used without "type"); express it as JSON Schema instead.
function rewriteNullable(node: unknown, propertyMap = false): unknown {
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) node[i] = rewriteNullable(node[i]);
    return node;
  }
  if (!isObj(node)) return node;
  for (const key of Object.keys(node)) {
    // These hold data, not schemas, unless they are property names.
    if (!propertyMap && DATA_KEYWORDS.has(key)) continue;
    node[key] = rewriteNullable(node[key], !propertyMap && PROPERTY_MAPS.has(key));
  }
  // Read as GitHub means it (and as openapi-typescript does): null is allowed even when an
  // `enum` beside `nullable` does not list it, as in check_run.conclusion.
  if (node.nullable === true && Array.isArray(node.enum) && !node.enum.includes(null)) {
    node.enum = [...node.enum, null];
  }
  if (node.nullable === true && !("type" in node)) {
    const { nullable: _nullable, ...rest } = node;
    return { anyOf: [rest, { type: "null", [NULL_BRANCH_MARK]: true }], [NULLABLE_WRAP_MARK]: true };
  }
  return node;
}

function makeRoute(doc: Obj, template: string, item: Obj): Route {
  const multi = new Set<string>();
  for (const method of METHODS) {
    for (const param of operationParams(doc, item, child(item, method))) {
      if (param.in === "path" && param.multiSegment) multi.add(param.name);
    }
  }
  const segments = template
    .split("/")
    .slice(1)
    .map((text): Segment => {
      const whole = /^\{([^}]+)\}$/.exec(text);
      if (whole?.[1]) {
        return { kind: multi.has(whole[1]) ? "multi" : "param", text, names: [whole[1]] };
      }
      if (!text.includes("{")) return { kind: "literal", text, names: [] };
      const names: string[] = [];
      const source = text
        .split(/(\{[^}]+\})/)
        .map((part) => {
          const name = /^\{([^}]+)\}$/.exec(part)?.[1];
          if (name === undefined) return part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
          names.push(name);
          return "(.+?)";
        })
        .join("");
      return { kind: "mixed", text, names, pattern: new RegExp(`^${source}$`) };
    });
  return { template, item, segments };
}

function resolveRef(doc: Obj, value: unknown): unknown {
  let current = value;
  // Refs to refs exist in principle; a bound keeps a cycle from hanging the test run.
  for (let hops = 0; hops < 10; hops++) {
    const ref = child(current, "$ref");
    if (typeof ref !== "string" || !ref.startsWith("#/")) return current;
    current = ref
      .slice(2)
      .split("/")
      .map((part) => part.replace(/~1/g, "/").replace(/~0/g, "~"))
      .reduce<unknown>((node, part) => child(node, part), doc);
  }
  return current;
}

function pointerOf(doc: Obj, path: string[]): string[] {
  // Follows `$ref`s in the OpenAPI (non-schema) layer, so the pointer handed to Ajv names the
  // place where the schema really lives.
  let resolved: string[] = [];
  let node: unknown = doc;
  for (const part of path) {
    node = child(node, part);
    resolved.push(part);
    const ref = child(node, "$ref");
    if (typeof ref === "string" && ref.startsWith("#/") && part !== "schema") {
      resolved = ref
        .slice(2)
        .split("/")
        .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
      node = resolveRef(doc, node);
    }
  }
  return resolved;
}

interface ResolvedParam extends Param {
  multiSegment: boolean;
}

function operationParams(doc: Obj, item: Obj, operation: unknown): ResolvedParam[] {
  const byKey = new Map<string, ResolvedParam>();
  for (const list of [item.parameters, child(operation, "parameters")]) {
    if (!Array.isArray(list)) continue;
    for (const raw of list) {
      const param = resolveRef(doc, raw);
      const name = child(param, "name");
      const where = child(param, "in");
      if (typeof name !== "string" || typeof where !== "string") continue;
      const schema = resolveRef(doc, child(param, "schema"));
      byKey.set(`${where}:${name}`, {
        name,
        in: where,
        required: child(param, "required") === true,
        schema: isObj(schema) ? schema : {},
        multiSegment: child(param, "x-multi-segment") === true,
      });
    }
  }
  return [...byKey.values()];
}

const KIND_RANK: Record<SegmentKind, number> = { literal: 0, mixed: 1, param: 2, multi: 3 };

function matchSegments(
  segments: Segment[],
  parts: string[],
  si: number,
  pi: number,
  captured: Map<string, string>,
): boolean {
  if (si === segments.length) return pi === parts.length;
  const segment = segments[si];
  if (!segment || pi >= parts.length) return false;
  const part = parts[pi] ?? "";
  if (segment.kind === "literal") {
    return part === segment.text && matchSegments(segments, parts, si + 1, pi + 1, captured);
  }
  if (segment.kind === "mixed") {
    const match = segment.pattern?.exec(part);
    if (!match) return false;
    segment.names.forEach((name, i) => {
      captured.set(name, match[i + 1] ?? "");
    });
    return matchSegments(segments, parts, si + 1, pi + 1, captured);
  }
  const name = segment.names[0] ?? "";
  const longest = segment.kind === "multi" ? parts.length - pi - (segments.length - si - 1) : 1;
  // Shortest first, so literal segments after a multi-segment parameter get their chance.
  for (let take = 1; take <= longest; take++) {
    const value = parts.slice(pi, pi + take).join("/");
    if (value === "") return false;
    captured.set(name, value);
    if (matchSegments(segments, parts, si + 1, pi + take, captured)) return true;
  }
  return false;
}

function compareRoutes(a: Route, b: Route): number {
  const length = Math.max(a.segments.length, b.segments.length);
  for (let i = 0; i < length; i++) {
    const ka = a.segments[i];
    const kb = b.segments[i];
    if (!ka || !kb) return ka ? -1 : 1;
    const diff = KIND_RANK[ka.kind] - KIND_RANK[kb.kind];
    if (diff !== 0) return diff;
  }
  return 0;
}

interface Located {
  route: Route;
  method: string;
  operation: Obj;
  params: ResolvedParam[];
  values: Map<string, string>;
  query: URLSearchParams;
  label: string;
}

function locate(method: string, url: string): { located?: Located; problem?: string } {
  const { doc, routes } = load();
  const upper = method.toUpperCase();
  let parsed: URL;
  try {
    parsed = new URL(url, "https://api.github.com");
  } catch {
    return { problem: `no such operation: ${upper} ${url} (not a URL)` };
  }
  // GitHub Enterprise Server serves the same API under /api/v3.
  const pathname = parsed.pathname.replace(/^\/api\/v3(?=\/)/, "");
  const parts = pathname.split("/").slice(1);
  let best: { route: Route; values: Map<string, string> } | undefined;
  for (const route of routes) {
    const values = new Map<string, string>();
    if (!matchSegments(route.segments, parts, 0, 0, values)) continue;
    if (!best || compareRoutes(route, best.route) < 0) best = { route, values };
  }
  if (!best) return { problem: `no such operation: ${upper} ${pathname}` };
  const { route, values } = best;
  const operation = route.item[method.toLowerCase()];
  if (!isObj(operation)) {
    const allowed = METHODS.filter((m) => isObj(route.item[m])).map((m) => m.toUpperCase());
    return {
      problem: `no such operation: ${upper} ${route.template} (the path has ${allowed.join(", ") || "no methods"})`,
    };
  }
  return {
    located: {
      route,
      method: method.toLowerCase(),
      operation,
      params: operationParams(doc, route.item, operation),
      values,
      query: parsed.searchParams,
      label: `${upper} ${route.template}`,
    },
  };
}

function checkParamValue(param: Param, raw: string): string | undefined {
  const schema = param.schema;
  const where = `${param.in} parameter ${param.name}`;
  const shown = JSON.stringify(raw);
  switch (schema.type) {
    case "integer":
      if (!/^-?\d+$/.test(raw)) return `${where} must be integer, got ${shown}`;
      break;
    case "number":
      if (raw.trim() === "" || !Number.isFinite(Number(raw))) return `${where} must be number, got ${shown}`;
      break;
    case "boolean":
      if (raw !== "true" && raw !== "false") return `${where} must be boolean, got ${shown}`;
      break;
  }
  const allowed = schema.enum;
  if (Array.isArray(allowed) && !allowed.some((v) => String(v) === raw)) {
    return `${where} must be one of ${allowed.map((v) => JSON.stringify(v)).join(", ")}, got ${shown}`;
  }
  return undefined;
}

function checkParams(located: Located): string[] {
  const problems: string[] = [];
  for (const param of located.params.filter((p) => p.in === "path")) {
    const raw = located.values.get(param.name);
    if (raw === undefined) continue;
    let value: string;
    try {
      value = decodeURIComponent(raw);
    } catch {
      problems.push(`path parameter ${param.name} is not valid percent-encoding: ${JSON.stringify(raw)}`);
      continue;
    }
    const problem = checkParamValue(param, value);
    if (problem) problems.push(problem);
  }
  const declared = new Map(located.params.filter((p) => p.in === "query").map((p) => [p.name, p]));
  for (const [key, value] of located.query) {
    // Array parameters may be sent PHP-style (`owner[]=a&owner[]=b`).
    const param = declared.get(key) ?? declared.get(key.replace(/\[\]$/, ""));
    if (!param) {
      problems.push(`unknown query parameter ${JSON.stringify(key)}`);
      continue;
    }
    const problem = checkParamValue(param, value);
    if (problem) problems.push(problem);
  }
  for (const param of declared.values()) {
    if (param.required && !located.query.has(param.name) && !located.query.has(`${param.name}[]`)) {
      problems.push(`missing required query parameter ${JSON.stringify(param.name)}`);
    }
  }
  return problems;
}

function jsonMediaType(content: unknown): string | undefined {
  if (!isObj(content)) return undefined;
  return Object.keys(content).find((type) => /^application\/(.+\+)?json\b/.test(type));
}

function validatorAt(path: string[]): ValidateFunction {
  const { ajv, validators } = load();
  const ref = `${SPEC_ID}#/${path
    .map((part) => encodeURIComponent(part.replace(/~/g, "~0").replace(/\//g, "~1")))
    .join("/")}`;
  let validate = validators.get(ref);
  if (!validate) {
    validate = ajv.compile({ $ref: ref });
    validators.set(ref, validate);
  }
  return validate;
}

function isNoise(error: ErrorObject): boolean {
  return (
    child(error.parentSchema, NULL_BRANCH_MARK) === true || child(error.schema, NULLABLE_WRAP_MARK) === true
  );
}

function formatError(error: ErrorObject): string {
  let message = error.message ?? `fails ${error.keyword}`;
  const params: unknown = error.params;
  if (error.keyword === "additionalProperties") {
    message += ` (${String(child(params, "additionalProperty"))})`;
  } else if (error.keyword === "enum") {
    const allowed = child(params, "allowedValues");
    if (Array.isArray(allowed)) message += ` (${allowed.map((v) => JSON.stringify(v)).join(", ")})`;
  }
  return `${error.instancePath} ${message}`;
}

function runValidator(validate: ValidateFunction, data: unknown, prefix: string): string[] {
  if (validate(data)) return [];
  const lines = [
    ...new Set((validate.errors ?? []).filter((e) => !isNoise(e)).map((e) => `${prefix}${formatError(e)}`)),
  ];
  if (lines.length > MAX_PROBLEMS) {
    return [...lines.slice(0, MAX_PROBLEMS), `${prefix} ... and ${lines.length - MAX_PROBLEMS} more`];
  }
  return lines;
}

function isEmptyBody(body: unknown): boolean {
  return (
    body === undefined || body === null || body === "" || (isObj(body) && Object.keys(body).length === 0)
  );
}

// Request bodies arrive as text on the wire (a nock reply callback sees `await req.text()`).
function parseIfText(body: unknown): unknown {
  if (typeof body !== "string") return body;
  if (body.trim() === "") return undefined;
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
}

// GitHub ignores unknown body fields, so a misspelt field silently does nothing; the schemas
// seldom say `additionalProperties: false`, so look at the top-level names directly.
function unknownTopLevelFields(doc: Obj, schemaPath: string[], body: unknown): string[] {
  if (!isObj(body)) return [];
  const schema = resolveRef(
    doc,
    schemaPath.reduce<unknown>((node, part) => child(node, part), doc),
  );
  if (!isObj(schema) || schema.additionalProperties !== undefined || !isObj(schema.properties)) return [];
  const known = new Set(Object.keys(schema.properties));
  for (const combinator of ["allOf", "anyOf", "oneOf"]) {
    const branches = schema[combinator];
    if (!Array.isArray(branches)) continue;
    for (const branch of branches) {
      const properties = child(resolveRef(doc, branch), "properties");
      if (isObj(properties)) for (const name of Object.keys(properties)) known.add(name);
    }
  }
  return Object.keys(body)
    .filter((name) => !known.has(name))
    .map((name) => `body has unknown field ${JSON.stringify(name)}`);
}

export function checkRequest(method: string, url: string, body: unknown): string[] {
  const { located, problem } = locate(method, url);
  if (!located) return [problem ?? `no such operation: ${method.toUpperCase()} ${url}`];
  const { doc } = load();
  const prefix = `${located.label}: `;
  const problems = checkParams(located).map((p) => prefix + p);

  const data = parseIfText(body);
  const requestBody = resolveRef(doc, located.operation.requestBody);
  if (!isObj(requestBody)) {
    if (!isEmptyBody(data)) problems.push(`${prefix}unexpected body (the operation takes none)`);
    return problems;
  }
  const mediaType = jsonMediaType(requestBody.content);
  if (!mediaType) return problems;
  if (data === undefined || data === null || data === "") {
    if (requestBody.required === true) problems.push(`${prefix}body is required`);
    return problems;
  }
  const schemaPath = pointerOf(doc, [
    "paths",
    located.route.template,
    located.method,
    "requestBody",
    "content",
    mediaType,
    "schema",
  ]);
  problems.push(...runValidator(validatorAt(schemaPath), data, `${prefix}body`));
  problems.push(...unknownTopLevelFields(doc, schemaPath, data).map((p) => prefix + p));
  return problems;
}

export function checkResponse(method: string, url: string, status: number, body: unknown): string[] {
  const { located, problem } = locate(method, url);
  if (!located) return [problem ?? `no such operation: ${method.toUpperCase()} ${url}`];
  const { doc } = load();
  const responses = located.operation.responses;
  const code = String(status);
  const key = [code, `${code[0]}XX`, `${code[0]}xx`, "default"].find((k) => isObj(child(responses, k)));
  const prefix = `${located.label}: response ${status}`;
  if (!key) {
    const declared = isObj(responses) ? Object.keys(responses).join(", ") : "none";
    return [`${prefix} is not a declared status (declared: ${declared})`];
  }
  const basePath = ["paths", located.route.template, located.method, "responses", key];
  const response = resolveRef(doc, child(responses, key));
  const mediaType = jsonMediaType(child(response, "content"));
  const data = parseIfText(body);
  if (!mediaType) {
    return data === undefined || data === null || data === ""
      ? []
      : [`${prefix} has no JSON body in the description, got ${typeof data}`];
  }
  if (data === undefined) return [`${prefix} body is missing`];
  const schemaPath = pointerOf(doc, [...basePath, "content", mediaType, "schema"]);
  return runValidator(validatorAt(schemaPath), data, `${prefix} body`);
}

export function checkWebhookPayload(event: string, action: string | undefined, payload: unknown): string[] {
  const { doc } = load();
  const webhooks = doc["x-webhooks"];
  const act = action ?? child(payload, "action");
  const base = event.replace(/_/g, "-");
  const candidates = typeof act === "string" ? [`${base}-${act.replace(/_/g, "-")}`, base] : [base];
  const key = candidates.find((k) => isObj(child(webhooks, k)));
  if (!key) return [`no webhook schema for ${candidates.join(" or ")}`];
  const item = child(webhooks, key);
  const method = METHODS.find((m) => isObj(child(item, m)));
  if (!method) return [`webhook ${key}: no operation in the description`];
  const requestBody = resolveRef(doc, child(child(item, method), "requestBody"));
  const mediaType = jsonMediaType(child(requestBody, "content"));
  if (!mediaType) return [`webhook ${key}: no JSON payload schema in the description`];
  const schemaPath = pointerOf(doc, [
    "x-webhooks",
    key,
    method,
    "requestBody",
    "content",
    mediaType,
    "schema",
  ]);
  return runValidator(validatorAt(schemaPath), payload, `webhook ${key}: payload`);
}
