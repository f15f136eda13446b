// The drizzle schema: the only description of what lanegate stores. docs/records.md explains why
// each table exists. Times are ISO-8601 UTC strings so they sort and read the same everywhere.
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { DELIVERY_STATES } from "../../core/deliveries.ts";
import { WORKFLOW_ROLES } from "../../core/gate/roles.ts";
import { OPERATION_STATES } from "../../core/operations.ts";

/** One row per repository the app has seen, with the outcome of its last config load. */
export const repositories = sqliteTable("repositories", {
  repo: text("repo").primaryKey(), // owner/name, lowercased
  installationId: integer("installation_id"),
  /** From the last gate delivery: the allowed branch when gate.branches is not set. */
  defaultBranch: text("default_branch"),
  configStatus: text("config_status", { enum: ["ok", "missing", "invalid", "unreadable"] }).notNull(),
  configErrors: text("config_errors", { mode: "json" }).$type<string[]>().notNull(),
  config: text("config", { mode: "json" }).$type<unknown>(),
  checkedAt: text("checked_at").notNull(),
});

/** Lanes declared in `.github/lanegate.yml`, replaced as a whole on each valid load. */
export const declaredLanes = sqliteTable(
  "declared_lanes",
  {
    repo: text("repo").notNull(),
    lane: text("lane").notNull(),
    dataAuthority: text("data_authority").notNull(),
    flags: text("flags", { mode: "json" }).$type<Record<string, boolean>>().notNull(),
  },
  (t) => [primaryKey({ columns: [t.repo, t.lane] })],
);

/** Every issue that carries the label or a lane-policy block, with the facts last read from GitHub. */
export const approvalIssues = sqliteTable(
  "approval_issues",
  {
    repo: text("repo").notNull(),
    number: integer("number").notNull(),
    url: text("url").notNull(),
    presence: text("presence", { enum: ["open", "closed", "deleted", "transferred"] }).notNull(),
    facts: text("facts", { mode: "json" }).$type<unknown>().notNull(),
    blockSha: text("block_sha"),
    statusCommentId: integer("status_comment_id"),
    statusCommentDigest: text("status_comment_digest"),
    lastError: text("last_error"),
    syncedAt: text("synced_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.repo, t.number] }),
    index("approval_issues_by_presence").on(t.repo, t.presence),
  ],
);

/** Every version of every block ever read, by sha256. */
export const blockVersions = sqliteTable(
  "block_versions",
  {
    repo: text("repo").notNull(),
    number: integer("number").notNull(),
    sha256: text("sha256").notNull(),
    text: text("text").notNull(),
    firstSeenAt: text("first_seen_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.repo, t.number, t.sha256] })],
);

/** Block versions an approver produced or labelled, as seen in deliveries. */
export const blockApprovals = sqliteTable(
  "block_approvals",
  {
    repo: text("repo").notNull(),
    number: integer("number").notNull(),
    sha256: text("sha256").notNull(),
    approver: text("approver").notNull(),
    /** `labeled`, `edited` or `comment` (a `/lanegate approve` comment). */
    via: text("via").notNull(),
    deliveryId: text("delivery_id"),
    approvedAt: text("approved_at").notNull(),
    /** The approval comment, for `comment`: editing or deleting it withdraws the approval. */
    commentId: integer("comment_id"),
    withdrawnAt: text("withdrawn_at"),
  },
  // One row per person and block version: the same person never counts twice.
  (t) => [primaryKey({ columns: [t.repo, t.number, t.sha256, t.approver] })],
);

/**
 * An issue's claim on a lane for one block version and one label application. It is a grant in
 * force only while `state` is active; rows are ended, never deleted.
 */
export const grants = sqliteTable(
  "grants",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    repo: text("repo").notNull(),
    lane: text("lane").notNull(),
    issueNumber: integer("issue_number").notNull(),
    blockSha: text("block_sha"),
    labelEventId: text("label_event_id"),
    policy: text("policy", { mode: "json" }).$type<unknown>(),
    expiresAt: text("expires_at"),
    approver: text("approver"),
    approvedAt: text("approved_at"),
    /** The distinct approvers this grant needs, and who counted towards them; null until counted. */
    approvalsRequired: integer("approvals_required"),
    approvedBy: text("approved_by", { mode: "json" }).$type<string[]>(),
    state: text("state").notNull(),
    reason: text("reason").notNull(),
    /** Whether this row was ever an active grant: such a row is history and is never reused. */
    wasActive: integer("was_active", { mode: "boolean" }).notNull().default(false),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
    endedAt: text("ended_at"),
    endedBy: text("ended_by"),
  },
  (t) => [
    index("grants_by_lane").on(t.repo, t.lane, t.id),
    index("grants_by_issue").on(t.repo, t.issueNumber),
    // Partial: the open grants stay few however long the history grows, and SQLite picks this
    // index for "grants not ended" only when it holds nothing else.
    index("grants_open_by_issue").on(t.repo, t.issueNumber).where(sql`ended_at is null`),
  ],
);

/** Append-only: every change lanegate made, and every fact it failed to gather. */
export const auditLog = sqliteTable(
  "audit_log",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    repo: text("repo").notNull(),
    deliveryId: text("delivery_id"),
    event: text("event").notNull(),
    actor: text("actor"),
    subject: text("subject").notNull(),
    change: text("change").notNull(),
    at: text("at").notNull(),
  },
  (t) => [index("audit_by_repo").on(t.repo, t.id)],
);

/** Deliveries already applied, so a redelivery has one effect. */
/**
 * Deliveries by GitHub's delivery id: claimed by one replica before any side effect, then applied
 * or failed. A failed claim, or one whose replica died (past `expires_at`), can be claimed again.
 */
export const deliveries = sqliteTable("deliveries", {
  id: text("id").primaryKey(),
  event: text("event").notNull(),
  repo: text("repo"),
  state: text("state", { enum: DELIVERY_STATES }).notNull().default("applied"),
  holder: text("holder"),
  expiresAt: text("expires_at"),
  appliedAt: text("applied_at"),
});

/** Timer jobs' leases: the replica running a job holds its row until the run ends or it expires. */
export const jobLeases = sqliteTable("job_leases", {
  job: text("job").primaryKey(),
  holder: text("holder").notNull(),
  since: text("since").notNull(),
  expiresAt: text("expires_at").notNull(),
});

/** `workflow_dispatch` deliveries of gated and proof workflows: the inputs, waiting for a run. */
export const dispatches = sqliteTable(
  "dispatches",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    repo: text("repo").notNull(),
    deliveryId: text("delivery_id").notNull(),
    workflowPath: text("workflow_path").notNull(),
    branch: text("branch").notNull(),
    actor: text("actor").notNull(),
    inputs: text("inputs", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    receivedAt: text("received_at").notNull(),
    /** The run that claimed it; null while unclaimed. */
    runId: integer("run_id"),
    /** Set when no run claimed it in time. */
    expiredAt: text("expired_at"),
    /** What the workflow is to the gate, decided from the config when the dispatch arrived. */
    role: text("role", { enum: WORKFLOW_ROLES }),
    /** The lane and source its inputs name, parsed at intake; null when they do not parse. */
    lane: text("lane"),
    source: text("source"),
  },
  (t) => [
    uniqueIndex("dispatches_by_delivery").on(t.deliveryId),
    index("dispatches_open").on(t.repo, t.runId),
    index("dispatches_by_lane").on(t.repo, t.role, t.lane),
  ],
);

/** Runs of gated and proof workflows, as `workflow_run` deliveries describe them. */
export const workflowRuns = sqliteTable(
  "workflow_runs",
  {
    repo: text("repo").notNull(),
    runId: integer("run_id").notNull(),
    attempt: integer("attempt").notNull(),
    workflowPath: text("workflow_path").notNull(),
    headSha: text("head_sha").notNull(),
    headBranch: text("head_branch"),
    event: text("event").notNull(),
    actor: text("actor").notNull(),
    displayTitle: text("display_title").notNull(),
    htmlUrl: text("html_url").notNull(),
    status: text("status").notNull(),
    conclusion: text("conclusion"),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
    dispatchId: integer("dispatch_id"),
    /** Why no single dispatch could be joined, when that is the case. */
    joinProblem: text("join_problem"),
    /** What the workflow is to the gate, decided from the config when the run was first seen. */
    role: text("role", { enum: WORKFLOW_ROLES }),
  },
  (t) => [primaryKey({ columns: [t.repo, t.runId] })],
);

/** Every gate decision, newest last; a re-requested check adds a row for the same attempt. */
export const decisions = sqliteTable(
  "decisions",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    repo: text("repo").notNull(),
    runId: integer("run_id").notNull(),
    attempt: integer("attempt").notNull(),
    lane: text("lane"),
    request: text("request", { mode: "json" }).$type<unknown>().notNull(),
    checks: text("checks", { mode: "json" }).$type<unknown>().notNull(),
    allowed: integer("allowed", { mode: "boolean" }).notNull(),
    issueNumber: integer("issue_number"),
    blockSha: text("block_sha"),
    decidedAt: text("decided_at").notNull(),
    checkRunId: integer("check_run_id"),
    checkWrittenAt: text("check_written_at"),
    writeError: text("write_error"),
    /** The first failing check's reason code, or `ok`. */
    reason: text("reason"),
    /** The whole decision as published, so a retried check run is the one that failed to write. */
    decision: text("decision", { mode: "json" }).$type<unknown>(),
  },
  (t) => [index("decisions_by_run").on(t.repo, t.runId, t.attempt)],
);

/**
 * An allowed run: in flight until its run completes. The partial unique index is the single-flight
 * rule itself, so two processes or two racing deliveries can never both hold a lane.
 */
export const operations = sqliteTable(
  "operations",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    repo: text("repo").notNull(),
    lane: text("lane").notNull(),
    runId: integer("run_id").notNull(),
    attempt: integer("attempt").notNull(),
    decisionId: integer("decision_id").notNull(),
    source: text("source").notNull(),
    issueNumber: integer("issue_number"),
    blockSha: text("block_sha"),
    state: text("state", { enum: OPERATION_STATES }).notNull(),
    conclusion: text("conclusion"),
    leaseExpiresAt: text("lease_expires_at").notNull(),
    startedAt: text("started_at").notNull(),
    endedAt: text("ended_at"),
    endedBy: text("ended_by"),
  },
  (t) => [
    uniqueIndex("one_operation_in_flight_per_lane")
      .on(t.repo, t.lane)
      .where(sql`state in ('requested', 'in_flight', 'stale')`),
    index("operations_by_run").on(t.repo, t.runId),
  ],
);

/** Deployment protection rule requests, answered once the run's decision exists. */
export const protectionRequests = sqliteTable(
  "protection_requests",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    repo: text("repo").notNull(),
    runId: integer("run_id").notNull(),
    environment: text("environment").notNull(),
    receivedAt: text("received_at").notNull(),
    answer: text("answer"),
    answeredAt: text("answered_at"),
  },
  (t) => [index("protection_by_run").on(t.repo, t.runId)],
);

/**
 * What lanegate learned about one finished run attempt: a gated run's bootstrap record or a deploy
 * run's deployment record (`kind`), the validated artifact or the evidence error, the inventory
 * row it matched, and the evidence check run. `awaiting_artifact` rows are retried by the sweep.
 */
export const runEvidence = sqliteTable(
  "run_evidence",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    repo: text("repo").notNull(),
    runId: integer("run_id").notNull(),
    attempt: integer("attempt").notNull(),
    kind: text("kind", { enum: ["bootstrap", "deployment"] }).notNull(),
    /** Set for an allowed gated run; null for a deployment, or a refused run that left an artifact. */
    operationId: integer("operation_id"),
    /** The operation's lane; for a deployment, the artifact's lane once read. */
    lane: text("lane"),
    workflowPath: text("workflow_path").notNull(),
    headSha: text("head_sha").notNull(),
    htmlUrl: text("html_url").notNull(),
    installationId: integer("installation_id"),
    conclusion: text("conclusion"),
    completedAt: text("completed_at").notNull(),
    /** `lease_expired`: the lease ran out before the run completed; its completion reopens the row. */
    status: text("status", { enum: ["awaiting_artifact", "recorded", "ignored", "lease_expired"] }).notNull(),
    artifact: text("artifact", { mode: "json" }).$type<unknown>(),
    errorCode: text("error_code"),
    errorMessage: text("error_message"),
    /** The inventory table's row and the lane state it set. */
    row: text("row"),
    laneState: text("lane_state"),
    reason: text("reason"),
    recordedAt: text("recorded_at"),
    checkRunId: integer("check_run_id"),
    checkWrittenAt: text("check_written_at"),
    writeError: text("write_error"),
  },
  (t) => [
    uniqueIndex("run_evidence_by_attempt").on(t.repo, t.runId, t.attempt),
    index("run_evidence_awaiting").on(t.status),
    index("run_evidence_by_lane").on(t.repo, t.lane, t.id),
  ],
);

/** Each phase of a run attempt as its workflow_job deliveries describe it, merged by status rank. */
export const evidencePhases = sqliteTable(
  "evidence_phases",
  {
    repo: text("repo").notNull(),
    runId: integer("run_id").notNull(),
    attempt: integer("attempt").notNull(),
    phase: text("phase").notNull(),
    job: text("job").notNull(),
    status: text("status").notNull(),
    conclusion: text("conclusion"),
    startedAt: text("started_at"),
    completedAt: text("completed_at"),
  },
  (t) => [primaryKey({ columns: [t.repo, t.runId, t.attempt, t.phase] })],
);

/** A lane's inventory: its evidence state, current deployment and last bootstrap, kept apart. */
export const laneInventory = sqliteTable(
  "lane_inventory",
  {
    repo: text("repo").notNull(),
    lane: text("lane").notNull(),
    state: text("state").notNull(),
    reason: text("reason").notNull(),
    currentDeployment: text("current_deployment", { mode: "json" }).$type<unknown>(),
    lastBootstrap: text("last_bootstrap", { mode: "json" }).$type<unknown>(),
    /** The run_evidence row that last changed it. */
    evidenceId: integer("evidence_id").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.repo, t.lane] })],
);

/** The service's own small facts: the readiness probe's heartbeat, the last redelivery check. */
export const serviceState = sqliteTable("service_state", {
  key: text("key").primaryKey(),
  value: text("value").notNull(),
  updatedAt: text("updated_at").notNull(),
});

/** Deliveries lanegate answered 400 as malformed: asking GitHub for them again cannot help. */
export const rejectedDeliveries = sqliteTable("rejected_deliveries", {
  guid: text("guid").primaryKey(),
  event: text("event").notNull(),
  reason: text("reason").notNull(),
  at: text("at").notNull(),
});

/**
 * Failed deliveries lanegate asked GitHub to send again. Keyed by the delivery's guid, which a
 * redelivery keeps, so each is asked for at most once.
 */
export const redeliveries = sqliteTable("redeliveries", {
  guid: text("guid").primaryKey(),
  hookDeliveryId: integer("hook_delivery_id").notNull(),
  event: text("event").notNull(),
  statusCode: integer("status_code").notNull(),
  deliveredAt: text("delivered_at").notNull(),
  askedAt: text("asked_at").notNull(),
  /** `asked`, or why the request for it failed (`failed: 422`). */
  result: text("result").notNull(),
});

/**
 * The files the last config load read, with their ETags, so a restart revalidates them with
 * conditional requests instead of reading them afresh; indexed by source so a push to any of
 * them (an org's `.github` repository, an `_extends` target) finds the repositories it affects.
 */
export const configFiles = sqliteTable(
  "config_files",
  {
    repo: text("repo").notNull(),
    position: integer("position").notNull(),
    sourceOwner: text("source_owner").notNull(), // lowercased
    sourceRepo: text("source_repo").notNull(), // lowercased
    path: text("path").notNull(),
    etag: text("etag"),
    content: text("content", { mode: "json" }).$type<Record<string, unknown> | null>(),
  },
  (t) => [
    primaryKey({ columns: [t.repo, t.position] }),
    index("config_files_by_source").on(t.sourceOwner, t.sourceRepo),
  ],
);

/** When each repository's config was last confirmed with GitHub, and whether a push made it stale. */
export const configChecks = sqliteTable("config_checks", {
  repo: text("repo").primaryKey(),
  checkedAt: text("checked_at").notNull(),
  stale: integer("stale", { mode: "boolean" }).notNull(),
});
