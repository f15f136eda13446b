import { describe, expect, it } from "vitest";
import { findPolicyBlocks } from "../../src/core/policy/fence.ts";

describe("findPolicyBlocks", () => {
  it("returns a backtick block's text and the body line of its first content line", () => {
    const body = "Intro\n\n```lane-policy\nlanes: {}\nx: 1\n```\nafter";
    expect(findPolicyBlocks(body)).toEqual([{ text: "lanes: {}\nx: 1", line: 4 }]);
  });

  it("finds tilde fences", () => {
    expect(findPolicyBlocks("~~~lane-policy\na: 1\n~~~")).toEqual([{ text: "a: 1", line: 2 }]);
  });

  it("accepts up to three spaces of indentation and removes it from the content", () => {
    expect(findPolicyBlocks("   ```lane-policy\n     a: 1\n  b: 2\n   ```")).toEqual([
      { text: "  a: 1\nb: 2", line: 2 },
    ]);
  });

  it("does not treat a fence indented four spaces as a fence", () => {
    expect(findPolicyBlocks("    ```lane-policy\n    a: 1\n    ```")).toEqual([]);
  });

  it("matches when lane-policy is the info string's first word", () => {
    expect(findPolicyBlocks("``` lane-policy  extra words\na\n```")).toHaveLength(1);
  });

  it("ignores fences whose info string's first word is not exactly lane-policy", () => {
    for (const info of ["lane-policyx", "Lane-Policy", "yaml", "", "lane_policy"]) {
      expect(findPolicyBlocks(`\`\`\`${info}\na\n\`\`\``)).toEqual([]);
    }
  });

  it("closes only on a fence of the same character at least as long as the opening", () => {
    const body = "````lane-policy\na\n```\n~~~~\nb\n`````\nafter";
    expect(findPolicyBlocks(body)).toEqual([{ text: "a\n```\n~~~~\nb", line: 2 }]);
  });

  it("does not close on a fence line followed by text", () => {
    expect(findPolicyBlocks("```lane-policy\na\n``` not closed\nb\n```")).toEqual([
      { text: "a\n``` not closed\nb", line: 2 },
    ]);
  });

  it("runs an unclosed fence to the end of the body", () => {
    expect(findPolicyBlocks("x\n```lane-policy\na: 1\nb: 2")).toEqual([{ text: "a: 1\nb: 2", line: 3 }]);
  });

  it("normalises CRLF and CR newlines to LF", () => {
    expect(findPolicyBlocks("x\r\n```lane-policy\r\na: 1\rb: 2\r\n```")).toEqual([
      { text: "a: 1\nb: 2", line: 3 },
    ]);
  });

  it("ignores a lane-policy fence shown inside another code block", () => {
    const body = "````markdown\n```lane-policy\na: 1\n```\n````";
    expect(findPolicyBlocks(body)).toEqual([]);
  });

  it("does not treat a backtick line whose info string holds a backtick as a fence", () => {
    expect(findPolicyBlocks("```lane-policy `x`\na\n```")).toEqual([]);
  });

  it("finds every block in order", () => {
    const body = "```lane-policy\na\n```\ntext\n~~~lane-policy\nb\n~~~";
    expect(findPolicyBlocks(body).map((b) => b.line)).toEqual([2, 6]);
  });
});
