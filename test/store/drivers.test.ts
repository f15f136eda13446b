// The app tests run on the driver their project names (test/support/store.ts): this file runs in
// the `app` project and again in the `postgres` one, so a project that silently fell back to
// SQLite fails here instead of passing store tests it never ran on PostgreSQL.
import { expect, it } from "vitest";
import { createTestApp } from "../support/app.ts";
import { TEST_STORE } from "../support/store.ts";

it("runs the app on the project's store", async () => {
  const { db } = await createTestApp();
  expect(db.dialect).toBe(TEST_STORE);
  expect(TEST_STORE).toBe(process.env.LANEGATE_TEST_STORE === "postgres" ? "postgres" : "sqlite");
});
