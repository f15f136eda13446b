// DATABASE_URL naming PostgreSQL: `openStore` takes it to pg.ts, and the SQLite opener refuses it
// with a clear error instead of taking `postgres://…` for a file path and creating a SQLite file
// there; no error or log line shows the URL's password.
import { describe, expect, it } from "vitest";
import { isPostgresUrl, openDatabase, printableUrl } from "../../src/adapters/store/db.ts";

describe("a PostgreSQL DATABASE_URL", () => {
  it("is told apart from SQLite's URLs", () => {
    expect(isPostgresUrl("postgres://lanegate@db:5432/lanegate")).toBe(true);
    expect(isPostgresUrl("postgresql://lanegate@db/lanegate")).toBe(true);
    expect(isPostgresUrl("file:data/lanegate.sqlite")).toBe(false);
    expect(isPostgresUrl("data/postgres://x.sqlite")).toBe(false);
  });

  it("is refused by the SQLite store, which creates nothing, without showing the password", () => {
    expect(() => openDatabase("postgres://lanegate:s3cret@db:5432/lanegate")).toThrow(
      "postgres://lanegate:***@db:5432/lanegate is a PostgreSQL database, not a SQLite file",
    );
  });

  it("is printed with its password masked", () => {
    expect(printableUrl("postgres://lanegate:s3cret@db:5432/lanegate")).toBe(
      "postgres://lanegate:***@db:5432/lanegate",
    );
    expect(printableUrl("postgres://lanegate@db/lanegate")).toBe("postgres://lanegate@db/lanegate");
    expect(printableUrl("file:data/lanegate.sqlite")).toBe("file:data/lanegate.sqlite");
  });
});
