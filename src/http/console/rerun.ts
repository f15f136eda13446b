// The console's one write: re-running a run's decision by asking GitHub to re-request lanegate's
// check run (GitHub then delivers `check_run.rerequested`, and the gate decides again as it does for
// the button on GitHub). Refused unless the form came from this console (Origin), carries the
// session's CSRF token, and GitHub says now, not from a cache, that the person maintains the repo.
import type { IncomingMessage } from "node:http";
import { describe } from "../../adapters/github/client.ts";
import { rerequestCheckRun } from "../../adapters/github/console.ts";
import { appendAudit } from "../../adapters/store/audit.ts";
import { read, transaction } from "../../adapters/store/db.ts";
import { runView } from "../../adapters/store/read.ts";
import { installationOf } from "../../adapters/store/repositories.ts";
import { mayRerun } from "../../core/console-access.ts";
import { paths } from "./layout.ts";
import type { Caller, ConsoleOptions } from "./routes.ts";

type Outcome = { status: 303; location: string } | { status: number; message: string };

const FORM_LIMIT = 4096;

async function formOf(req: IncomingMessage): Promise<URLSearchParams | null> {
  if (!/^application\/x-www-form-urlencoded/.test(req.headers["content-type"] ?? "")) return null;
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buf.length;
    if (size > FORM_LIMIT) return null;
    chunks.push(buf);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

export async function rerun(
  o: ConsoleOptions,
  req: IncomingMessage,
  what: { caller: Caller; repo: string; runId: number; base: string },
): Promise<Outcome> {
  const { caller, repo, runId } = what;
  if (caller.kind !== "person" || !o.signIn)
    return { status: 403, message: "Only a person signed in with GitHub can re-run a decision." };
  if (req.headers.origin !== new URL(what.base).origin)
    return { status: 403, message: "Refused: the request did not come from this console (Origin)." };
  const form = await formOf(req);
  if (!o.signIn.sessions.checkCsrf(caller, form?.get("csrf") ?? undefined))
    return {
      status: 403,
      message: "Refused: the form's token is missing or stale. Reload the page and try again.",
    };
  const role = await o.visibility.role(repo, caller.login, true);
  if (!mayRerun(role))
    return {
      status: 403,
      message: `Re-running a decision needs maintain or admin on ${repo}; GitHub says ${caller.login} has ${role ?? "no role"}.`,
    };
  const { run, installationId } = await read(o.db, async (q) => ({
    run: await runView(q, repo, runId),
    installationId: await installationOf(q, repo),
  }));
  const newest = run?.decisions.filter((d) => d.check_run_id !== null).at(-1);
  if (!run || !newest?.check_run_id || installationId === null)
    return {
      status: 409,
      message: `Run ${runId} has no check run of lanegate's on GitHub yet: nothing to re-request.`,
    };
  const [owner = "", name = ""] = repo.split("/");
  try {
    await rerequestCheckRun(await o.octokitFor(installationId), { owner, repo: name }, newest.check_run_id);
  } catch (error) {
    return { status: 502, message: `GitHub did not take the re-request: ${describe(error)}` };
  }
  await transaction(o.db, (q) =>
    appendAudit(q, {
      repo,
      deliveryId: null,
      event: "console",
      actor: caller.login,
      subject: `run ${runId} attempt ${newest.run_attempt}`,
      change: `re-run of the decision requested (check run ${newest.check_run_id})`,
      at: o.now().toISOString(),
    }),
  );
  const back = run.operations.at(-1);
  const location = back ? paths.operation(repo, back.id) : paths.run(repo, runId);
  return { status: 303, location: `${location}?rerun=requested` };
}
