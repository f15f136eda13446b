// The PostgreSQL schema: schema.ts for the store of more than one replica, table for table, in the
// same order, with the same column names, nullability, keys and indexes
// (test/store/schemas.test.ts compares them). drizzle has no schema shared across dialects, so
// the types are translated by the helpers below and nothing else differs:
// - SQLite's integer is 8 bytes and GitHub's ids (runs, check runs, comments) pass 2^31, so every
//   integer is a bigint read back as a JS number, and autoincrement keys are identity columns
//   ("by default", so copying a SQLite store can keep its ids);
// - JSON columns are jsonb, and SQLite's 0/1 booleans are boolean;
// - times stay ISO-8601 UTC text, so both stores hold the same values and compare them alike.
import { sql } from "drizzle-orm";
import { bigint, boolean, index, jsonb, pgTable, primaryKey, text, uniqueIndex } from "drizzle-orm/pg-core";
import { DELIVERY_STATES } from "../../core/deliveries.ts";
import { WORKFLOW_ROLES } from "../../core/gate/roles.ts";
import { HOLDING_STATES, OPERATION_STATES } from "../../core/operations.ts";

/** An integer column: SQLite's `integer`, 64 bits. */
const int = (name: string) => bigint(name, { mode: "number" });
/** An autoincrement primary key. */
const serialId = (name: string) => int(name).primaryKey().generatedByDefaultAsIdentity();
/** A JSON column: SQLite's `text(name, { mode: "json" })`. */
const json = (name: string) => jsonb(name);
/** SQLite's `integer(name, { mode: "boolean" })`. */
const flag = (name: string) => boolean(name);

export const repositories = pgTable("repositories", {
  repo: text("repo").primaryKey(),
  installationId: int("installation_id"),
  defaultBranch: text("default_branch"),
  configStatus: text("config_status", { enum: ["ok", "missing", "invalid", "unreadable"] }).notNull(),
  configErrors: json("config_errors").$type<string[]>().notNull(),
  config: json("config").$type<unknown>(),
  checkedAt: text("checked_at").notNull(),
});

export const declaredLanes = pgTable(
  "declared_lanes",
  {
    repo: text("repo").notNull(),
    lane: text("lane").notNull(),
    dataAuthority: text("data_authority").notNull(),
    flags: json("flags").$type<Record<string, boolean>>().notNull(),
  },
  (t) => [primaryKey({ columns: [t.repo, t.lane] })],
);

export const approvalIssues = pgTable(
  "approval_issues",
  {
    repo: text("repo").notNull(),
    number: int("number").notNull(),
    url: text("url").notNull(),
    presence: text("presence", { enum: ["open", "closed", "deleted", "transferred"] }).notNull(),
    facts: json("facts").$type<unknown>().notNull(),
    blockSha: text("block_sha"),
    statusCommentId: int("status_comment_id"),
    statusCommentDigest: text("status_comment_digest"),
    lastError: text("last_error"),
    syncedAt: text("synced_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.repo, t.number] }),
    index("approval_issues_by_presence").on(t.repo, t.presence),
  ],
);

export const blockVersions = pgTable(
  "block_versions",
  {
    repo: text("repo").notNull(),
    number: int("number").notNull(),
    sha256: text("sha256").notNull(),
    text: text("text").notNull(),
    firstSeenAt: text("first_seen_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.repo, t.number, t.sha256] })],
);

export const blockApprovals = pgTable(
  "block_approvals",
  {
    repo: text("repo").notNull(),
    number: int("number").notNull(),
    sha256: text("sha256").notNull(),
    approver: text("approver").notNull(),
    via: text("via").notNull(),
    deliveryId: text("delivery_id"),
    approvedAt: text("approved_at").notNull(),
    commentId: int("comment_id"),
    withdrawnAt: text("withdrawn_at"),
  },
  (t) => [primaryKey({ columns: [t.repo, t.number, t.sha256, t.approver] })],
);

export const grants = pgTable(
  "grants",
  {
    id: serialId("id"),
    repo: text("repo").notNull(),
    lane: text("lane").notNull(),
    issueNumber: int("issue_number").notNull(),
    blockSha: text("block_sha"),
    labelEventId: text("label_event_id"),
    policy: json("policy").$type<unknown>(),
    expiresAt: text("expires_at"),
    approver: text("approver"),
    approvedAt: text("approved_at"),
    approvalsRequired: int("approvals_required"),
    approvedBy: json("approved_by").$type<string[]>(),
    state: text("state").notNull(),
    reason: text("reason").notNull(),
    wasActive: flag("was_active").notNull().default(false),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
    endedAt: text("ended_at"),
    endedBy: text("ended_by"),
  },
  (t) => [
    index("grants_by_lane").on(t.repo, t.lane, t.id),
    index("grants_by_issue").on(t.repo, t.issueNumber),
    index("grants_open_by_issue").on(t.repo, t.issueNumber).where(sql`ended_at is null`),
  ],
);

export const auditLog = pgTable(
  "audit_log",
  {
    id: serialId("id"),
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

export const deliveries = pgTable("deliveries", {
  id: text("id").primaryKey(),
  event: text("event").notNull(),
  repo: text("repo"),
  state: text("state", { enum: DELIVERY_STATES }).notNull().default("applied"),
  holder: text("holder"),
  expiresAt: text("expires_at"),
  appliedAt: text("applied_at"),
});

export const jobLeases = pgTable("job_leases", {
  job: text("job").primaryKey(),
  holder: text("holder").notNull(),
  since: text("since").notNull(),
  expiresAt: text("expires_at").notNull(),
});

export const dispatches = pgTable(
  "dispatches",
  {
    id: serialId("id"),
    repo: text("repo").notNull(),
    deliveryId: text("delivery_id").notNull(),
    workflowPath: text("workflow_path").notNull(),
    branch: text("branch").notNull(),
    actor: text("actor").notNull(),
    inputs: json("inputs").$type<Record<string, unknown>>().notNull(),
    receivedAt: text("received_at").notNull(),
    runId: int("run_id"),
    expiredAt: text("expired_at"),
    role: text("role", { enum: WORKFLOW_ROLES }),
    lane: text("lane"),
    source: text("source"),
  },
  (t) => [
    uniqueIndex("dispatches_by_delivery").on(t.deliveryId),
    index("dispatches_open").on(t.repo, t.runId),
    index("dispatches_by_lane").on(t.repo, t.role, t.lane),
  ],
);

export const workflowRuns = pgTable(
  "workflow_runs",
  {
    repo: text("repo").notNull(),
    runId: int("run_id").notNull(),
    attempt: int("attempt").notNull(),
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
    dispatchId: int("dispatch_id"),
    joinProblem: text("join_problem"),
    role: text("role", { enum: WORKFLOW_ROLES }),
  },
  (t) => [primaryKey({ columns: [t.repo, t.runId] })],
);

export const decisions = pgTable(
  "decisions",
  {
    id: serialId("id"),
    repo: text("repo").notNull(),
    runId: int("run_id").notNull(),
    attempt: int("attempt").notNull(),
    lane: text("lane"),
    request: json("request").$type<unknown>().notNull(),
    checks: json("checks").$type<unknown>().notNull(),
    allowed: flag("allowed").notNull(),
    issueNumber: int("issue_number"),
    blockSha: text("block_sha"),
    decidedAt: text("decided_at").notNull(),
    checkRunId: int("check_run_id"),
    checkWrittenAt: text("check_written_at"),
    writeError: text("write_error"),
    reason: text("reason"),
    decision: json("decision").$type<unknown>(),
  },
  (t) => [index("decisions_by_run").on(t.repo, t.runId, t.attempt)],
);

/** `state in ('requested', 'in_flight', 'stale')`, from the core's list of holding states. */
const holdingLane = sql.raw(`state in (${HOLDING_STATES.map((s) => `'${s}'`).join(", ")})`);

/**
 * An allowed run. The partial unique index is the single-flight rule: with several replicas
 * writing at once, the database itself refuses a second operation holding the same lane.
 */
export const operations = pgTable(
  "operations",
  {
    id: serialId("id"),
    repo: text("repo").notNull(),
    lane: text("lane").notNull(),
    runId: int("run_id").notNull(),
    attempt: int("attempt").notNull(),
    decisionId: int("decision_id").notNull(),
    source: text("source").notNull(),
    issueNumber: int("issue_number"),
    blockSha: text("block_sha"),
    state: text("state", { enum: OPERATION_STATES }).notNull(),
    conclusion: text("conclusion"),
    leaseExpiresAt: text("lease_expires_at").notNull(),
    startedAt: text("started_at").notNull(),
    endedAt: text("ended_at"),
    endedBy: text("ended_by"),
  },
  (t) => [
    uniqueIndex("one_operation_in_flight_per_lane").on(t.repo, t.lane).where(holdingLane),
    index("operations_by_run").on(t.repo, t.runId),
  ],
);

export const protectionRequests = pgTable(
  "protection_requests",
  {
    id: serialId("id"),
    repo: text("repo").notNull(),
    runId: int("run_id").notNull(),
    environment: text("environment").notNull(),
    receivedAt: text("received_at").notNull(),
    answer: text("answer"),
    answeredAt: text("answered_at"),
  },
  (t) => [index("protection_by_run").on(t.repo, t.runId)],
);

export const runEvidence = pgTable(
  "run_evidence",
  {
    id: serialId("id"),
    repo: text("repo").notNull(),
    runId: int("run_id").notNull(),
    attempt: int("attempt").notNull(),
    kind: text("kind", { enum: ["bootstrap", "deployment"] }).notNull(),
    operationId: int("operation_id"),
    lane: text("lane"),
    workflowPath: text("workflow_path").notNull(),
    headSha: text("head_sha").notNull(),
    htmlUrl: text("html_url").notNull(),
    installationId: int("installation_id"),
    conclusion: text("conclusion"),
    completedAt: text("completed_at").notNull(),
    status: text("status", { enum: ["awaiting_artifact", "recorded", "ignored", "lease_expired"] }).notNull(),
    artifact: json("artifact").$type<unknown>(),
    errorCode: text("error_code"),
    errorMessage: text("error_message"),
    row: text("row"),
    laneState: text("lane_state"),
    reason: text("reason"),
    recordedAt: text("recorded_at"),
    checkRunId: int("check_run_id"),
    checkWrittenAt: text("check_written_at"),
    writeError: text("write_error"),
  },
  (t) => [
    uniqueIndex("run_evidence_by_attempt").on(t.repo, t.runId, t.attempt),
    index("run_evidence_awaiting").on(t.status),
    index("run_evidence_by_lane").on(t.repo, t.lane, t.id),
  ],
);

export const evidencePhases = pgTable(
  "evidence_phases",
  {
    repo: text("repo").notNull(),
    runId: int("run_id").notNull(),
    attempt: int("attempt").notNull(),
    phase: text("phase").notNull(),
    job: text("job").notNull(),
    status: text("status").notNull(),
    conclusion: text("conclusion"),
    startedAt: text("started_at"),
    completedAt: text("completed_at"),
  },
  (t) => [primaryKey({ columns: [t.repo, t.runId, t.attempt, t.phase] })],
);

export const laneInventory = pgTable(
  "lane_inventory",
  {
    repo: text("repo").notNull(),
    lane: text("lane").notNull(),
    state: text("state").notNull(),
    reason: text("reason").notNull(),
    currentDeployment: json("current_deployment").$type<unknown>(),
    lastBootstrap: json("last_bootstrap").$type<unknown>(),
    evidenceId: int("evidence_id").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.repo, t.lane] })],
);

export const serviceState = pgTable("service_state", {
  key: text("key").primaryKey(),
  value: text("value").notNull(),
  updatedAt: text("updated_at").notNull(),
});

export const rejectedDeliveries = pgTable("rejected_deliveries", {
  guid: text("guid").primaryKey(),
  event: text("event").notNull(),
  reason: text("reason").notNull(),
  at: text("at").notNull(),
});

export const redeliveries = pgTable("redeliveries", {
  guid: text("guid").primaryKey(),
  hookDeliveryId: int("hook_delivery_id").notNull(),
  event: text("event").notNull(),
  statusCode: int("status_code").notNull(),
  deliveredAt: text("delivered_at").notNull(),
  askedAt: text("asked_at").notNull(),
  result: text("result").notNull(),
});

export const configFiles = pgTable(
  "config_files",
  {
    repo: text("repo").notNull(),
    position: int("position").notNull(),
    sourceOwner: text("source_owner").notNull(),
    sourceRepo: text("source_repo").notNull(),
    path: text("path").notNull(),
    etag: text("etag"),
    content: json("content").$type<Record<string, unknown> | null>(),
  },
  (t) => [
    primaryKey({ columns: [t.repo, t.position] }),
    index("config_files_by_source").on(t.sourceOwner, t.sourceRepo),
  ],
);

export const configChecks = pgTable("config_checks", {
  repo: text("repo").primaryKey(),
  checkedAt: text("checked_at").notNull(),
  stale: flag("stale").notNull(),
});
