// Types for index.js, which stays plain JavaScript: an action runs as shipped, with no build step.

/** The environment as the Actions runtime sets it: INPUT_* plus GITHUB_*. */
export type Env = Readonly<Record<string, string | undefined>>;

export interface WaitResult {
  /** 0 only when lanegate's check run for this run attempt concluded `success`. */
  exitCode: 0 | 1;
  /** The check run's conclusion, or "" when no decision was read. */
  conclusion: string;
  /** The check run's html_url, or "". */
  checkRunUrl: string;
}

/**
 * Polls until lanegate decides this run attempt, the timeout passes or something fails;
 * `sleep` and `now` (milliseconds) let tests run without real time.
 */
export function wait(
  env: Env,
  fetch: typeof globalThis.fetch,
  sleep: (ms: number) => Promise<void>,
  now: () => number,
  log?: (line: string) => void,
): Promise<WaitResult>;
