// Links use the server lanegate talks to: GitHub Enterprise Server gets its own host, never github.com.
import { ProbotOctokit } from "probot";
import { describe, expect, it } from "vitest";
import { webBaseOf } from "../../src/adapters/github/client.ts";

describe("webBaseOf", () => {
  it("is github.com for GitHub's API", () => {
    expect(webBaseOf(new ProbotOctokit())).toBe("https://github.com");
  });

  it("is the Enterprise server's own host for its /api/v3", () => {
    const octokit = new ProbotOctokit({ baseUrl: "https://ghe.example.com/api/v3" });
    expect(webBaseOf(octokit)).toBe("https://ghe.example.com");
  });
});
