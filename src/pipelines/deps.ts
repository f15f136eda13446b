// What every pipeline is given: the store, the clock, the log, and GitHub clients. One module, so a
// pipeline names its dependencies without importing another pipeline.
import type { Octokit } from "../adapters/github/client.ts";
import type { Db } from "../adapters/store/db.ts";
import type { RepoRef } from "../core/repository.ts";

/** What a log line is about, as fields of the JSON line: the repository, and where they apply the run and lane. */
export interface LogFields {
  repository?: string;
  issue?: number;
  run_id?: number;
  lane?: string;
  decision?: "allowed" | "refused";
  reason?: string;
}

export interface Log {
  info: (msg: string, fields?: LogFields) => void;
  warn: (msg: string, fields?: LogFields) => void;
}

export interface SyncDeps {
  db: Db;
  appId: number;
  now: () => Date;
  log: Log;
  /** The installation's client for status comments, whose writes never hold up a decision's. */
  commentClient?: (installationId: number) => Promise<Octokit>;
}

export interface GateDeps extends SyncDeps {
  /** Public base URL of the app, for links to the read models in check runs. */
  publicUrl?: string;
  /** Called after decisions, so the approval issues' status comments can be refreshed in a batch. */
  onDecided?: (ref: RepoRef, installationId: number | null) => void;
}
