// The console's audit search gives the same lines on both drivers (this file runs in the `app`
// project on SQLite and in the `postgres` one): SQLite's LIKE ignores ASCII case and
// PostgreSQL's does not, and only an `order by` promises an order.
import { expect, it } from "vitest";
import { appendAudits } from "../../src/adapters/store/audit.ts";
import { auditSearch } from "../../src/adapters/store/console.ts";
import { read, transaction } from "../../src/adapters/store/db.ts";
import { testStore } from "../support/store.ts";

const REPO = "acme/platform";

function line(id: number, subject: string, change: string) {
  return {
    repo: REPO,
    deliveryId: null,
    event: "sync",
    actor: "mia",
    subject,
    change,
    at: `2026-11-23T10:0${id}:00Z`,
  };
}

it("finds a lane named in any case, newest first, a page at a time", async () => {
  const db = await testStore();
  await transaction(db, (q) =>
    appendAudits(q, [
      line(1, "#1 cm/testing", "grant active"),
      line(2, "#2", "lane CM/Testing named in a sentence"),
      line(3, "#3 opw/prod", "grant active"),
      line(4, "#1 cm/testing", "grant retired"),
    ]),
  );
  const first = await read(db, (q) => auditSearch(q, { repos: [REPO], lane: "cm/testing", limit: 2 }));
  expect(first.entries.map((e) => e.change)).toEqual([
    "grant retired",
    "lane CM/Testing named in a sentence",
  ]);
  expect(first.next_before).not.toBeNull();
  const rest = await read(db, (q) =>
    auditSearch(q, { repos: [REPO], lane: "cm/testing", limit: 2, before: first.next_before ?? 0 }),
  );
  expect(rest.entries.map((e) => e.change)).toEqual(["grant active"]);
  expect(rest.next_before).toBeNull();
});
