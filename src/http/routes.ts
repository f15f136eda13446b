// The read models as JSON under /lanegate/api. Plain Node handlers, as Probot 14's addHandler takes.

import type { IncomingMessage, ServerResponse } from "node:http";
import { type Db, read } from "../adapters/store/db.ts";
import {
  auditPage,
  laneViews,
  oneLaneView,
  operationsList,
  operationView,
  repositoryView,
  runView,
} from "../adapters/store/read.ts";
import { parseLaneId } from "../core/domain.ts";
import { type ApiAccess, refusal } from "./access.ts";

const PREFIX = "/lanegate/api/repos/";

export function readModelHandler(db: Db, access: ApiAccess) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const url = new URL(req.url ?? "/", "http://lanegate.local");
    if (!url.pathname.startsWith("/lanegate/api")) return false;
    const refused = refusal(access, req);
    if (refused) {
      send(res, refused.status, { message: refused.message });
      return true;
    }
    if (req.method !== "GET") {
      send(res, 405, { message: "read models are read-only" });
      return true;
    }
    const parts = url.pathname.startsWith(PREFIX) ? pathParts(url.pathname.slice(PREFIX.length)) : [];
    if (parts === null) {
      send(res, 400, { message: `${url.pathname} has a malformed percent-escape` });
      return true;
    }
    const [owner, name, kind, ...rest] = parts;
    if (!owner || !name) {
      send(res, 404, { message: "no such route" });
      return true;
    }
    const repo = `${owner}/${name}`.toLowerCase();
    if (kind === "lanes" && rest.length === 0) {
      const { config, lanes } = await read(db, async (q) => ({
        config: await repositoryView(q, repo),
        lanes: await laneViews(q, repo),
      }));
      send(res, 200, { repository: repo, config, lanes });
    } else if (kind === "lanes" && rest.length === 2) {
      const lane = parseLaneId(rest.join("/"));
      if (lane) send(res, 200, await read(db, (q) => oneLaneView(q, repo, lane.id)));
      else send(res, 400, { message: `"${rest.join("/")}" is not a lane id` });
    } else if ((kind === "operations" || kind === "runs") && rest.length === 1) {
      const id = Number(rest[0]);
      const view = Number.isInteger(id)
        ? kind === "operations"
          ? await read(db, (q) => operationView(q, repo, id))
          : await read(db, (q) => runView(q, repo, id))
        : null;
      if (view) send(res, 200, view);
      else
        send(res, 404, {
          message: `no ${kind === "operations" ? "operation" : "run"} ${rest[0]} in ${repo}`,
        });
    } else if (kind === "operations" && rest.length === 0) {
      send(res, 200, { operations: await read(db, (q) => operationsList(q, repo, 100)) });
    } else if (kind === "audit" && rest.length === 0) {
      const limit = Math.min(Math.max(Number(url.searchParams.get("limit")) || 50, 1), 500);
      const before = Number(url.searchParams.get("before")) || undefined;
      send(res, 200, await read(db, (q) => auditPage(q, repo, limit, before)));
    } else {
      send(res, 404, { message: "no such route" });
    }
    return true;
  };
}

/** The path's segments decoded; null when one holds a malformed percent-escape (`%E0%A4%A`). */
function pathParts(path: string): string[] | null {
  try {
    return path.split("/").map(decodeURIComponent);
  } catch {
    return null;
  }
}

export function send(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8" });
  res.end(JSON.stringify(body));
}
