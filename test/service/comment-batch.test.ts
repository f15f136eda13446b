// Decisions of one repository share one status-comment refresh, however GitHub cased its name:
// a delivery names the repository as its owner typed it, the stored records in lower case.
import { afterEach, describe, expect, it, vi } from "vitest";
import { openDatabase } from "../../src/adapters/store/db.ts";
import { batchedCommentRefresh } from "../../src/app.ts";
import type { RepoRef } from "../../src/core/repository.ts";
import { Lifecycle } from "../../src/service/lifecycle.ts";
import { createMetrics } from "../../src/service/metrics.ts";

afterEach(() => {
  vi.useRealTimers();
});

describe("the batched status-comment refresh", () => {
  it("refreshes a repository once for decisions that name it in different cases", async () => {
    vi.useFakeTimers();
    const lifecycle = new Lifecycle(createMetrics(openDatabase(":memory:")), () => new Date());
    const refreshed: RepoRef[] = [];
    const onDecided = batchedCommentRefresh(lifecycle, 2000, async (ref) => {
      refreshed.push(ref);
    });
    onDecided({ owner: "Acme", repo: "Platform" }, 7); // a gate delivery's payload
    onDecided({ owner: "acme", repo: "platform" }, 7); // the evidence check, from the records
    onDecided({ owner: "acme", repo: "other" }, 7);
    await vi.advanceTimersByTimeAsync(2000);
    expect(refreshed).toEqual([
      { owner: "Acme", repo: "Platform" },
      { owner: "acme", repo: "other" },
    ]);
    onDecided({ owner: "ACME", repo: "platform" }, 7); // a later batch refreshes again
    await vi.advanceTimersByTimeAsync(2000);
    expect(refreshed).toHaveLength(3);
  });
});
