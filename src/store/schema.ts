// The drizzle schema: the only description of what lanegate stores. docs/records.md explains why
// each table exists. Times are ISO-8601 UTC strings so they sort and read the same everywhere.
import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** One row per repository the app has seen, with the outcome of its last config load. */
export const repositories = sqliteTable("repositories", {
  repo: text("repo").primaryKey(), // owner/name, lowercased
  installationId: integer("installation_id"),
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
  (t) => [primaryKey({ columns: [t.repo, t.number] })],
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
    via: text("via").notNull(),
    deliveryId: text("delivery_id"),
    approvedAt: text("approved_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.repo, t.number, t.sha256] })],
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
    state: text("state").notNull(),
    reason: text("reason").notNull(),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
    endedAt: text("ended_at"),
    endedBy: text("ended_by"),
  },
  (t) => [
    index("grants_by_lane").on(t.repo, t.lane, t.id),
    index("grants_by_issue").on(t.repo, t.issueNumber),
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
export const deliveries = sqliteTable("deliveries", {
  id: text("id").primaryKey(),
  event: text("event").notNull(),
  repo: text("repo"),
  appliedAt: text("applied_at").notNull(),
});
