// The grant plan writes only the columns whose value changed, and a config check keeps its row
// when nothing changed: both compare JSON as PostgreSQL's jsonb keeps it (key order not kept).
import { describe, expect, it } from "vitest";
import { sameJson } from "../../src/adapters/store/db.ts";

describe("sameJson", () => {
  it("takes objects with the same keys in another order as equal, at any depth", () => {
    expect(sameJson({ a: 1, b: { c: [1, 2], d: null } }, { b: { d: null, c: [1, 2] }, a: 1 })).toBe(true);
  });

  it("takes a key JSON would leave out (undefined) as absent", () => {
    expect(sameJson({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(sameJson({ a: 1 }, { a: 1, b: undefined })).toBe(true);
  });

  it("tells apart a changed, added or missing value, an array's order, and types", () => {
    expect(sameJson({ a: 1 }, { a: 2 })).toBe(false);
    expect(sameJson({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(sameJson({ a: 1, b: 2 }, { a: 1, c: 2 })).toBe(false);
    expect(sameJson([1, 2], [2, 1])).toBe(false);
    expect(sameJson([1], { 0: 1 })).toBe(false);
    expect(sameJson({ a: null }, { a: {} })).toBe(false);
    expect(sameJson("1", 1)).toBe(false);
    expect(sameJson({ a: [1, { b: 1 }] }, { a: [1, { b: 2 }] })).toBe(false);
  });
});
