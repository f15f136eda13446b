// Migrations keep what an older lanegate stored: the two-person rule's migration (0010) rebuilds
// block_approvals with one row per person, and must carry every approval over.
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { drizzle } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import { describe, expect, it } from "vitest";
import { MIGRATIONS_FOLDER } from "../../src/adapters/store/db.ts";

/** The migrations up to (not including) the one whose tag starts with `before`. */
function migrationsBefore(before: string): string {
  const folder = mkdtempSync(join(tmpdir(), "lanegate-migrations-"));
  cpSync(MIGRATIONS_FOLDER, folder, { recursive: true });
  const journalFile = join(folder, "meta/_journal.json");
  const journal = JSON.parse(readFileSync(journalFile, "utf8")) as { entries: { tag: string }[] };
  const cut = journal.entries.findIndex((e) => e.tag.startsWith(before));
  expect(cut).toBeGreaterThan(0);
  writeFileSync(journalFile, JSON.stringify({ ...journal, entries: journal.entries.slice(0, cut) }));
  return folder;
}

describe("migration 0010 (the two-person rule)", () => {
  it("keeps every stored approval, as a labelled or edited approval that no comment can withdraw", () => {
    const client = new Database(":memory:");
    const db = drizzle(client);
    migrate(db, { migrationsFolder: migrationsBefore("0010") });
    client
      .prepare(
        "insert into block_approvals (repo, number, sha256, approver, via, delivery_id, approved_at) values (?, ?, ?, ?, ?, ?, ?)",
      )
      .run("acme/platform", 1, "ab".repeat(32), "mia", "labeled", "d-1", "2026-11-23T09:00:00Z");
    migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
    const rows = client.prepare("select * from block_approvals").all();
    expect(rows).toEqual([
      {
        repo: "acme/platform",
        number: 1,
        sha256: "ab".repeat(32),
        approver: "mia",
        via: "labeled",
        delivery_id: "d-1",
        approved_at: "2026-11-23T09:00:00Z",
        comment_id: null,
        withdrawn_at: null,
      },
    ]);
    client.close();
  });
});

describe("migration 0011 (shared claims)", () => {
  it("keeps every applied delivery as applied, so a redelivery of it still has no effect", () => {
    const client = new Database(":memory:");
    const db = drizzle(client);
    migrate(db, { migrationsFolder: migrationsBefore("0011") });
    client
      .prepare("insert into deliveries (id, event, repo, applied_at) values (?, ?, ?, ?)")
      .run("d-1", "issues.labeled", "acme/platform", "2026-11-23T09:00:00Z");
    migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
    expect(client.prepare("select * from deliveries").all()).toEqual([
      {
        id: "d-1",
        event: "issues.labeled",
        repo: "acme/platform",
        state: "applied",
        holder: null,
        expires_at: null,
        applied_at: "2026-11-23T09:00:00Z",
      },
    ]);
    client.close();
  });
});
