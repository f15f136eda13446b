// Which repositories a person may see: GitHub says, through the repository's installation token
// (`GET /repos/{o}/{r}/collaborators/{user}/permission`), and the answer is kept a few minutes so a
// page does not cost a request per repository. A question GitHub does not answer hides the
// repository (fail closed) and is not kept.
import type { Octokit } from "../../adapters/github/client.ts";
import { roleOn } from "../../adapters/github/console.ts";
import { type Db, read } from "../../adapters/store/db.ts";
import { installationOf } from "../../adapters/store/repositories.ts";
import { mayRead } from "../../core/console-access.ts";

const TTL_MS = 5 * 60_000;

export class Visibility {
  private readonly cache = new Map<string, { role: string | null; until: number }>();
  constructor(
    private readonly db: Db,
    private readonly octokitFor: (installationId: number) => Promise<Octokit>,
    private readonly now: () => Date,
    private readonly warn: (message: string) => void,
  ) {}

  /** The person's role on the repository; `fresh` asks GitHub again whatever is kept. */
  async role(repo: string, login: string, fresh = false): Promise<string | null> {
    const key = `${repo}\n${login.toLowerCase()}`;
    const kept = this.cache.get(key);
    const now = this.now().getTime();
    if (kept && kept.until > now && !fresh) return kept.role;
    const installationId = await read(this.db, (q) => installationOf(q, repo));
    if (installationId === null) return null;
    const [owner = "", name = ""] = repo.split("/");
    try {
      const role = await roleOn(await this.octokitFor(installationId), { owner, repo: name }, login);
      this.cache.set(key, { role, until: now + TTL_MS });
      return role;
    } catch (error) {
      this.warn(`console: GitHub did not say whether ${login} may read ${repo}: ${String(error)}`);
      return null;
    }
  }

  async canRead(repo: string, login: string): Promise<boolean> {
    return mayRead(await this.role(repo, login));
  }

  /** Of these repositories, the ones the person may read, asked together. */
  async readable(repos: string[], login: string): Promise<string[]> {
    const allowed = await Promise.all(repos.map((r) => this.canRead(r, login)));
    return repos.filter((_, i) => allowed[i]);
  }
}
