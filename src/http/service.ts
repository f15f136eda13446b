// Liveness, readiness and metrics. /healthz and /readyz are open (a load balancer or Docker's
// HEALTHCHECK asks them without a token); /metrics follows the read models' access rule.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Db } from "../adapters/store/db.ts";
import { readiness } from "../service/health.ts";
import type { Lifecycle } from "../service/lifecycle.ts";
import { type ApiAccess, refusal } from "./access.ts";
import { send } from "./routes.ts";

export function serviceHandler(db: Db, lifecycle: Lifecycle, access: ApiAccess) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const path = new URL(req.url ?? "/", "http://lanegate.local").pathname;
    if (req.method !== "GET") return false;
    if (path === "/healthz") {
      send(res, 200, { status: "alive" });
    } else if (path === "/readyz") {
      const { ready, checks } = await readiness(db, lifecycle);
      send(res, ready ? 200 : 503, { status: ready ? "ready" : "not ready", checks });
    } else if (path === "/metrics") {
      const refused = refusal(access, req);
      if (refused) {
        send(res, refused.status, { message: refused.message });
        return true;
      }
      const { registry } = lifecycle.metrics;
      res.writeHead(200, { "content-type": registry.contentType });
      res.end(await registry.metrics());
    } else {
      return false;
    }
    return true;
  };
}
