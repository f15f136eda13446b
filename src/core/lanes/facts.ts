// What lanegate read from GitHub about one issue. Deliveries only trigger a read; these facts are
// the truth the lifecycle derives grants from. Stored as JSON so a sweep can re-derive without I/O.
import { z } from "zod";

const labelEvent = z.object({ eventId: z.string(), actor: z.string(), at: z.string() });

/** Whether a user may approve, and the sentence that says why. */
export const verdictSchema = z.object({ approver: z.boolean(), reason: z.string() });
export type ApproverVerdict = z.infer<typeof verdictSchema>;

export const issueFactsSchema = z.object({
  number: z.number().int(),
  url: z.string(),
  author: z.string(),
  presence: z.enum(["open", "closed", "deleted", "transferred"]),
  /** Who closed, deleted or transferred the issue, when known. */
  presenceActor: z.string().nullable(),
  body: z.string(),
  hasLabel: z.boolean(),
  lastLabeled: labelEvent.nullable(),
  lastUnlabeled: labelEvent.nullable(),
  /** The issue was closed after the label went on (events order, not timestamps, decides). */
  closedSinceLabeled: z.boolean(),
  /** The verdict on lastLabeled.actor; null when nobody needed checking. */
  labeler: verdictSchema.nullable(),
  readAt: z.string(),
});
export type IssueFacts = z.infer<typeof issueFactsSchema>;

/** A block version that an approver labelled or wrote, as seen in a delivery. */
export interface BlockApproval {
  sha256: string;
  approver: string;
  approvedAt: string;
}
