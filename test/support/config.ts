// Config variants as data: the demo config parsed, changed at named paths, and written back. A
// text replacement does nothing, silently, once the text it looks for moves; a path is always set.
import { parseDocument } from "yaml";
import { DEMO_CONFIG } from "../../standin/demo.ts";

/** The demo config with each `[path, value]` set, e.g. `[["gate", "inputs"], ["odoo_version"]]`. */
export function demoConfigWith(...changes: [path: string[], value: unknown][]): string {
  const doc = parseDocument(DEMO_CONFIG);
  for (const [path, value] of changes) doc.setIn(path, doc.createNode(value));
  return doc.toString();
}
