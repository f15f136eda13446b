// Counts the database statements the lanegate bench server sends, by wrapping the drivers'
// entry points in that process only (bench/server.ts, when BENCH_COUNT_STATEMENTS is set):
// on PostgreSQL every `Client.prototype.query` is one round trip to the server (pg sends the
// statement and waits for its answer; BEGIN, COMMIT and the advisory locks included); on SQLite
// each run of a prepared statement and each `exec` (begin immediate, commit) is one statement,
// a call into the library rather than a round trip.
import Database from "better-sqlite3";
import pg from "pg";

/** Longest statement text reported: enough to tell the statements apart. */
const TEXT_CHARS = 160;
/** Texts kept between takes: the sustained load takes none for thousands of deliveries. */
const TEXTS_KEPT = 1000;

export interface StatementLog {
  count: number;
  /** The statements' texts since the last take (the first TEXTS_KEPT), whitespace folded. */
  texts: string[];
}

const log: StatementLog = { count: 0, texts: [] };

/** What was counted since the last take, with the texts when asked; the count starts again. */
export function takeStatements(withTexts: boolean): StatementLog {
  const taken = {
    count: log.count,
    texts: withTexts ? log.texts.map((text) => text.replace(/\s+/g, " ").trim().slice(0, TEXT_CHARS)) : [],
  };
  log.count = 0;
  log.texts = [];
  return taken;
}

// The texts are kept as they are (the driver's own strings, shared by every run of a query), so
// counting costs a push per statement; they are folded only when a take reports them.
function record(text: unknown) {
  log.count += 1;
  if (log.texts.length >= TEXTS_KEPT) return;
  const raw =
    typeof text === "string"
      ? text
      : typeof text === "object" && text !== null && "text" in text
        ? String(text.text)
        : "(no text)";
  log.texts.push(raw);
}

/** Wraps a method of `proto` so that each call is recorded, its first argument (or `text`) as the text. */
function counted<T extends object>(
  proto: T,
  method: keyof T & string,
  text: (self: T, args: unknown[]) => unknown,
) {
  const original = proto[method] as unknown as (...args: unknown[]) => unknown;
  // Named, because a CPU profile charges a native function's time (better-sqlite3 running the
  // statement) to its JavaScript caller: this wrapper's self time is SQLite's, not the count's.
  function countedStatement(this: T, ...args: unknown[]) {
    record(text(this, args));
    return original.apply(this, args);
  }
  Object.defineProperty(proto, method, { configurable: true, writable: true, value: countedStatement });
}

export function countStatements(): void {
  counted(pg.Client.prototype, "query", (_self, args) => args[0]);
  const probe = new Database(":memory:");
  const statement = Object.getPrototypeOf(probe.prepare("select 1")) as Database.Statement;
  probe.close();
  for (const method of ["run", "get", "all", "iterate"] as const)
    counted(statement, method, (self) => self.source);
  counted(Database.prototype, "exec", (_self, args) => args[0]);
}
