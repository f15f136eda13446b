// What lanegate read from GitHub about one issue. Deliveries only trigger a read; these facts are
// the truth the lifecycle derives grants from. Stored as JSON so a sweep, or a config change, can
// re-derive without I/O. They hold facts, never verdicts: which labels the issue carries, who did
// what to them, and each person's standing on the repository; whether that approves anything is
// judged by the lifecycle against the config in force at the time of the judgement.
import { z } from "zod";

/** Whether a user may approve, and the sentence that says why. */
export const verdictSchema = z.object({ approver: z.boolean(), reason: z.string() });
export type ApproverVerdict = z.infer<typeof verdictSchema>;

/** One issue event that matters to approval, in the order GitHub lists them. */
const issueEventSchema = z.object({
  eventId: z.string(),
  kind: z.enum(["labeled", "unlabeled", "closed"]),
  /** The label's name as GitHub spells it; null for `closed`. */
  label: z.string().nullable(),
  actor: z.string(),
  actorIsBot: z.boolean(),
  at: z.string(),
});
export type IssueEvent = z.infer<typeof issueEventSchema>;

/**
 * A person's standing on the repository as GitHub answered it: their role, and the approver teams
 * asked about. `teamsChecked` lists every team lanegate asked about (it stops at the first one the
 * person belongs to), so a team the config names later is known to be unknown, not "not a member".
 */
export const standingSchema = z.object({
  login: z.string(),
  isBot: z.boolean(),
  /** role_name from the permission API (custom roles as their base permission); null if not a collaborator. */
  role: z.string().nullable(),
  teamsChecked: z.array(z.string()),
  teams: z.array(z.string()),
  readAt: z.string(),
});
export type Standing = z.infer<typeof standingSchema>;

const currentFactsSchema = z.object({
  number: z.number().int(),
  url: z.string(),
  author: z.string(),
  presence: z.enum(["open", "closed", "deleted", "transferred"]),
  /** Who closed, deleted or transferred the issue, when known. */
  presenceActor: z.string().nullable(),
  body: z.string(),
  /** Every label the issue carries now. */
  labels: z.array(z.string()),
  events: z.array(issueEventSchema),
  /** The standing of the people whose approval the lifecycle may need to judge. */
  standings: z.array(standingSchema),
  /** Set on facts stored before lanegate kept facts rather than verdicts: read the issue again. */
  unread: z.literal(true).optional(),
  readAt: z.string(),
});

// Facts stored by lanegate before this shape held verdicts judged under the config of their day.
// They cannot be judged again, so they come back marked unread: nothing is granted from them
// until the issue is read again (the reconcile at start reads every live issue).
const verdictEraFactsSchema = currentFactsSchema
  .pick({
    number: true,
    url: true,
    author: true,
    presence: true,
    presenceActor: true,
    body: true,
    readAt: true,
  })
  .extend({ hasLabel: z.boolean() })
  .transform(({ hasLabel: _verdict, ...kept }) => ({
    ...kept,
    labels: [],
    events: [],
    standings: [],
    unread: true as const,
  }));

export const issueFactsSchema = z.union([currentFactsSchema, verdictEraFactsSchema]);
export type IssueFacts = z.infer<typeof currentFactsSchema>;

/**
 * Facts as the store gives them back. Facts of the current shape were written by lanegate from
 * checked IssueFacts and are taken as they are: validating every live issue again on every sync
 * was a visible share of a delivery's CPU. Any other shape (an older one) goes through the schema.
 */
export function factsFromStore(value: unknown): IssueFacts {
  if (hasCurrentShape(value)) return value;
  return issueFactsSchema.parse(value);
}

const PRESENCES: readonly string[] = currentFactsSchema.shape.presence.options;

/**
 * The current shape's markers: the arrays an older shape lacks, the scalars every one has, and a
 * presence this version knows (facts a newer replica wrote during a rolling deploy go through the
 * schema, which refuses what it does not know).
 */
function hasCurrentShape(value: unknown): value is IssueFacts {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    Array.isArray(v.standings) &&
    Array.isArray(v.events) &&
    Array.isArray(v.labels) &&
    typeof v.number === "number" &&
    typeof v.body === "string" &&
    typeof v.readAt === "string" &&
    typeof v.presence === "string" &&
    PRESENCES.includes(v.presence)
  );
}

/** How a person approved a block version: the label, their own edit of it, or a `/lanegate approve` comment. */
export const approvalViaSchema = z.enum(["labeled", "edited", "comment"]);
export type ApprovalVia = z.infer<typeof approvalViaSchema>;

/** A block version that a person approved, as seen in a delivery and not withdrawn since. */
export interface BlockApproval {
  sha256: string;
  approver: string;
  approvedAt: string;
  via: ApprovalVia;
}
