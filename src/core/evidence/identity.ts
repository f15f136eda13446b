// What a runtime identity result is worth. Its status is the workflow's own summary of a
// comparison whose values it also reports; where the values contradict the summary, the values
// win. A `match` is believed only when it shows what was expected and what was observed, and every
// expected value was observed (more observed keys are more information, not a contradiction).
import type { ResultArtifact } from "./artifact.ts";

type RuntimeIdentity = ResultArtifact["runtime_identity"];
export type IdentityStatus = RuntimeIdentity["status"];

export interface BelievedIdentity {
  status: IdentityStatus;
  /** Why the reported status was not believed, or null when it was. */
  overruled: string | null;
}

export function believedIdentity(identity: RuntimeIdentity): BelievedIdentity {
  if (identity.status !== "match") return { status: identity.status, overruled: null };
  const expected = Object.entries(identity.expected ?? {});
  const observed = identity.observed;
  if (expected.length === 0 || !observed)
    return {
      status: "malformed",
      overruled: "the result says match but does not show both the expected and the observed identity",
    };
  const differ = expected.filter(([key, value]) => !Object.hasOwn(observed, key) || observed[key] !== value);
  if (differ.length > 0)
    return {
      status: "mismatch",
      overruled: `the result says match but expected and observed differ in ${differ.map(([k]) => k).join(", ")}`,
    };
  return { status: "match", overruled: null };
}
