// A YAML file read with positions: the document, where each node sits (1-based line and column),
// and its comments, which carry the ignore markers. Parsed with the `yaml` package's document and
// CST, never by matching the text. Pure.
import {
  type Document,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  Parser,
  parseDocument,
} from "yaml";

export interface Position {
  line: number;
  column: number;
}

export interface YamlProblem extends Position {
  message: string;
}

export interface YamlSource {
  path: string;
  doc: Document.Parsed;
  /** Every comment, with the line it is on and its text without the `#`. */
  comments: { line: number; text: string }[];
  /** Syntax errors; when there are any, the document is not to be trusted. */
  errors: YamlProblem[];
  positionAt(offset: number): Position;
}

export function readYaml(path: string, text: string): YamlSource {
  const lines = new LineCounter();
  // `uniqueKeys` is the default: a key written twice is an error, as GitHub treats it.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const positionAt = (offset: number): Position => {
    const { line, col } = lines.linePos(offset);
    return { line, column: col };
  };
  const errors = doc.errors.map((e) => ({ ...positionAt(e.pos[0]), message: firstLine(e.message) }));
  return { path, doc, comments: commentsOf(text, positionAt), errors, positionAt };
}

const firstLine = (message: string) => message.split("\n")[0] ?? message;

/** Comments from the concrete syntax tree, so a `#` inside a string or a block scalar is not one. */
function commentsOf(text: string, positionAt: (offset: number) => Position) {
  const found: { line: number; text: string }[] = [];
  const walk = (token: unknown): void => {
    if (Array.isArray(token)) {
      for (const t of token) walk(t);
      return;
    }
    if (typeof token !== "object" || token === null) return;
    const t = token as { type?: unknown; offset?: unknown; source?: unknown };
    if (t.type === "comment" && typeof t.offset === "number" && typeof t.source === "string") {
      found.push({ line: positionAt(t.offset).line, text: t.source.replace(/^#/, "").trim() });
      return;
    }
    for (const value of Object.values(token)) walk(value);
  };
  for (const token of new Parser().parse(text)) walk(token);
  return found;
}

/** The start of a node, or null for a node without a place in the text. */
export function positionOf(source: YamlSource, node: unknown): Position | null {
  const range = (node as Node | null | undefined)?.range;
  return range ? source.positionAt(range[0]) : null;
}

type PathSegment = string | number;

/**
 * The deepest node the path reaches: the value at the path, else (for a key that is missing) the
 * nearest parent's. `key: true` points at the last key itself (an unknown key).
 */
export function locate(
  source: YamlSource,
  path: readonly PathSegment[],
  o: { key?: boolean } = {},
): Position {
  let node: unknown = source.doc.contents;
  let at = positionOf(source, node) ?? { line: 1, column: 1 };
  for (const [i, segment] of path.entries()) {
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find(
        (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(segment),
      );
      if (!pair) break;
      const keyAt = positionOf(source, pair.key);
      if (last && o.key) return keyAt ?? at;
      at = positionOf(source, pair.value) ?? keyAt ?? at;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === "number") {
      const item = node.items[segment];
      if (item === undefined) break;
      at = positionOf(source, item) ?? at;
      node = item;
    } else break;
  }
  return at;
}
