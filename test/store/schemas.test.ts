// The two stores are one store: schema.ts (SQLite) and schema-pg.ts (PostgreSQL) must declare the
// same tables, columns, keys and indexes, or a store function could work on one and fail on the
// other. Each schema is reduced to a dialect-free description, and the two must be equal.
import { is, type SQL } from "drizzle-orm";
import { PgDialect, PgTable, getTableConfig as pgConfig } from "drizzle-orm/pg-core";
import { SQLiteSyncDialect, SQLiteTable, getTableConfig as sqliteConfig } from "drizzle-orm/sqlite-core";
import { describe, expect, it } from "vitest";
import * as sqliteSchema from "../../src/adapters/store/schema.ts";
import * as pgSchema from "../../src/adapters/store/schema-pg.ts";

interface Column {
  name: string;
  notNull: boolean;
  primary: boolean;
  /** drizzle's JS type for the column (string, number, boolean, json): what a store function reads. */
  dataType: string;
  enumValues: readonly string[] | undefined;
  default: unknown;
}

interface Table {
  columns: Column[];
  primaryKey: string[];
  indexes: { name: string | undefined; columns: string[]; unique: boolean; where: string | undefined }[];
}

type Config = ReturnType<typeof sqliteConfig> | ReturnType<typeof pgConfig>;

function describeTable(config: Config, render: (where: SQL) => string): Table {
  return {
    columns: config.columns.map((c) => ({
      name: c.name,
      notNull: c.notNull,
      primary: c.primary,
      dataType: c.dataType,
      enumValues: c.enumValues,
      default: c.default,
    })),
    primaryKey: config.primaryKeys.flatMap((k) => k.columns.map((c) => c.name)),
    indexes: config.indexes.map(({ config: i }) => ({
      name: i.name,
      columns: i.columns.map((c) => ("name" in c ? String(c.name) : "(expression)")),
      unique: i.unique,
      where: i.where ? render(i.where) : undefined,
    })),
  };
}

const sqliteDialect = new SQLiteSyncDialect();
const pgDialect = new PgDialect();

function sqliteTables(): Record<string, Table> {
  const tables = Object.values(sqliteSchema).filter((v) => is(v, SQLiteTable));
  return Object.fromEntries(
    tables.map((t) => {
      const config = sqliteConfig(t);
      return [config.name, describeTable(config, (w) => sqliteDialect.sqlToQuery(w).sql)];
    }),
  );
}

function pgTables(): Record<string, Table> {
  const tables = Object.values(pgSchema).filter((v) => is(v, PgTable));
  return Object.fromEntries(
    tables.map((t) => {
      const config = pgConfig(t);
      return [config.name, describeTable(config, (w) => pgDialect.sqlToQuery(w).sql)];
    }),
  );
}

describe("the SQLite and PostgreSQL schemas", () => {
  it("declare the same tables", () => {
    expect(Object.keys(sqliteTables()).length).toBeGreaterThan(0);
    expect(Object.keys(pgTables()).sort()).toEqual(Object.keys(sqliteTables()).sort());
  });

  it("give every table the same columns: names, nullability, keys, JS types, enums and defaults", () => {
    const pg = pgTables();
    for (const [name, table] of Object.entries(sqliteTables())) {
      expect({ table: name, columns: pg[name]?.columns }).toEqual({ table: name, columns: table.columns });
      expect({ table: name, primaryKey: pg[name]?.primaryKey }).toEqual({
        table: name,
        primaryKey: table.primaryKey,
      });
    }
  });

  it("give every table the same indexes: names, columns, uniqueness and partial conditions", () => {
    const pg = pgTables();
    for (const [name, table] of Object.entries(sqliteTables())) {
      expect({ table: name, indexes: pg[name]?.indexes }).toEqual({ table: name, indexes: table.indexes });
    }
  });

  it("let at most one operation in a holding state hold a lane, in both stores", () => {
    const holding = "state in ('requested', 'in_flight', 'stale')";
    for (const tables of [sqliteTables(), pgTables()]) {
      expect(tables.operations?.indexes).toContainEqual({
        name: "one_operation_in_flight_per_lane",
        columns: ["repo", "lane"],
        unique: true,
        where: holding,
      });
    }
  });
});
