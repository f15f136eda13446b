// Who may do what in the console, from a person's role on the repository as GitHub reports it.
// Reading follows GitHub's own read access; the one write action (re-running a decision) asks for
// the same standing the default approver rule asks for.
import { ROLE_RANK } from "./lanes/approver.ts";

const rank = (role: string | null) => (role === null ? -1 : (ROLE_RANK[role] ?? -1));

/** Whether a person with this role (null: none) may see the repository in the console. */
export const mayRead = (role: string | null): boolean => rank(role) >= (ROLE_RANK.read ?? 0);

/** Whether a person with this role may re-run a decision: maintain or admin. */
export const mayRerun = (role: string | null): boolean => rank(role) >= (ROLE_RANK.maintain ?? 3);
