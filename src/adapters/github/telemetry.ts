// An Octokit plugin that reports every API request's route, status and rate-limit headers, for
// the metrics and for readiness ("the last GitHub call succeeded").
import type { Octokit } from "./client.ts";

export interface ApiCall {
  /** The route template, `GET /repos/{owner}/{repo}/issues/{issue_number}`: bounded label values. */
  route: string;
  /** The HTTP status, or 0 when GitHub did not answer. */
  status: number;
  rateLimit: { resource: string; remaining: number } | null;
}

export function telemetryPlugin(report: (call: ApiCall) => void) {
  return (octokit: Pick<Octokit, "hook">) => {
    octokit.hook.wrap("request", async (request, options) => {
      const route = `${options.method} ${template(options.url)}`;
      try {
        const response = await request(options);
        report({ route, status: response.status, rateLimit: rateLimitOf(response.headers) });
        return response;
      } catch (error) {
        const e = error as { status?: number; response?: { headers?: Record<string, string | undefined> } };
        report({ route, status: e.status ?? 0, rateLimit: rateLimitOf(e.response?.headers ?? {}) });
        throw error;
      }
    });
  };
}

/**
 * Octokit passes the route template, except for pagination's follow-ups, which use the full URL
 * from the Link header: those lose host, API prefix and query, and their numbers become `{id}`,
 * so a label never holds an id.
 */
function template(url: string): string {
  if (!/^https?:\/\//.test(url)) return url.split("?")[0] ?? url;
  return new URL(url).pathname.replace(/^\/api\/v3/, "").replace(/\/\d+(?=\/|$)/g, "/{id}");
}

function rateLimitOf(headers: Record<string, string | number | undefined>) {
  const remaining = Number(headers["x-ratelimit-remaining"]);
  if (headers["x-ratelimit-remaining"] === undefined || !Number.isFinite(remaining)) return null;
  return { resource: String(headers["x-ratelimit-resource"] ?? "core"), remaining };
}
