// The PostgreSQL store's migrations (issue 14); drizzle.config.ts is SQLite's. drizzle-kit takes
// one dialect per config, so each store has its own config and its own folder.
import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "postgresql",
  schema: "./src/adapters/store/schema-pg.ts",
  out: "./db/pg",
});
