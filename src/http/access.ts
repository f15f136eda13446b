// Who may read the read models and the metrics. Serving a real App they are closed unless the
// operator chose a token or chose to make them public; the local playground is open.
import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";

export type ApiAccess = { kind: "token"; token: string } | { kind: "public" } | { kind: "closed" };

export function describeAccess(access: ApiAccess): string {
  if (access.kind === "token")
    return "the read models and /metrics need LANEGATE_API_TOKEN as a Bearer token";
  if (access.kind === "public") return "the read models and /metrics are public (LANEGATE_API_PUBLIC=true)";
  return "the read models and /metrics are closed: set LANEGATE_API_TOKEN, or LANEGATE_API_PUBLIC=true";
}

/** null when the request may go on; otherwise the status and the one-line reason. */
export function refusal(access: ApiAccess, req: IncomingMessage): { status: number; message: string } | null {
  if (access.kind === "public") return null;
  if (access.kind === "closed")
    return {
      status: 403,
      message: "closed: the operator has set neither LANEGATE_API_TOKEN nor LANEGATE_API_PUBLIC=true",
    };
  // `Authorization: Bearer <token>` and nothing else: a bare token or another scheme is refused.
  const given = Buffer.from(/^Bearer +(.+)$/i.exec(req.headers.authorization ?? "")?.[1] ?? "");
  const wanted = Buffer.from(access.token);
  const ok = given.length === wanted.length && timingSafeEqual(given, wanted);
  return ok ? null : { status: 401, message: "a Bearer token is required" };
}
