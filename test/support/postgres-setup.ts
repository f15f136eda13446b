// Global setup of the `postgres` Vitest project: one migrated template database per run, which
// every test app clones (a clone costs tens of milliseconds; migrating costs far more), dropped
// at the end with every clone a crashed worker left behind.
import type { TestProject } from "vitest/node";
import { migratePostgres } from "../../src/adapters/store/pg.ts";
import { dropDatabasesLike, freshDatabase, postgresForTests } from "./postgres.ts";

declare module "vitest" {
  export interface ProvidedContext {
    postgresTemplate: string;
  }
}

export default async function setup(project: TestProject) {
  const { problem } = await postgresForTests();
  if (problem) throw new Error(`CI needs PostgreSQL for the postgres project: ${problem}`);
  const template = await freshDatabase("template");
  await migratePostgres(template.url);
  project.provide("postgresTemplate", template.name);
  return async () => {
    await dropDatabasesLike(`lanegate_app_${template.name.slice(-8)}%`);
    await template.drop();
  };
}
