// The stand-in's in-memory GitHub: plain records plus the setup helpers tests and the demo use.
// Everything observable (ids, numbers, timestamps) comes from here so shapes stay pure.
import { createHash, randomBytes } from "node:crypto";

import type { Artifact } from "./actions.ts";

export type UserType = "User" | "Bot" | "Organization";
export type Role = "admin" | "maintain" | "write" | "triage" | "read";

export interface User {
  login: string;
  id: number;
  type: UserType;
}

export interface App {
  id: number;
  slug: string;
  name: string;
  owner: string;
  bot: string;
  createdAt: Date;
}

export interface Installation {
  id: number;
  account: string;
  createdAt: Date;
}

export interface Label {
  id: number;
  name: string;
  color: string;
}

export type IssueEventKind = "labeled" | "unlabeled" | "closed" | "reopened" | "renamed";
export type StateReason = "completed" | "not_planned" | "duplicate" | "reopened";

export interface IssueEvent {
  id: number;
  event: IssueEventKind;
  actor: string;
  createdAt: Date;
  label?: string;
  rename?: { from: string; to: string };
  stateReason?: StateReason | null;
}

export interface Comment {
  id: number;
  body: string;
  user: string;
  viaApp: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface Issue {
  id: number;
  number: number;
  title: string;
  body: string | null;
  user: string;
  state: "open" | "closed";
  stateReason: StateReason | null;
  labels: string[];
  createdAt: Date;
  updatedAt: Date;
  closedAt: Date | null;
  events: IssueEvent[];
  comments: Comment[];
  deleted: boolean;
  transferredTo: { repo: string; number: number } | null;
}

export interface CheckRun {
  id: number;
  appId: number;
  suiteId: number;
  headSha: string;
  name: string;
  externalId: string | null;
  status: "queued" | "in_progress" | "completed";
  conclusion: string | null;
  startedAt: Date;
  completedAt: Date | null;
  detailsUrl: string | null;
  output: { title: string | null; summary: string | null; text: string | null };
  /** Annotations as the app sent them; each update appends, as on GitHub. */
  annotations: Record<string, unknown>[];
}

export interface PullRequest {
  id: number;
  number: number;
  title: string;
  body: string | null;
  user: string;
  state: "open" | "closed";
  headRef: string;
  headSha: string;
  baseRef: string;
  /** The base branch's head when the pull request was opened or last pushed to. */
  baseSha: string;
  /** What the head commit changes against the base: a path's new text, or null when removed. */
  changes: Map<string, string | null>;
  commits: number;
  createdAt: Date;
  updatedAt: Date;
  closedAt: Date | null;
}

export interface ProtectionReview {
  environment: string;
  state: string;
  comment: string | null;
  at: Date;
}

/** The fields of a run that belong to one attempt. */
export type AttemptSnapshot = Pick<
  WorkflowRun,
  "runAttempt" | "status" | "conclusion" | "triggeringActor" | "updatedAt" | "runStartedAt"
>;

export interface WorkflowRun {
  id: number;
  suiteId: number;
  workflowId: number;
  name: string;
  path: string;
  runNumber: number;
  runAttempt: number;
  headSha: string;
  headBranch: string;
  event: string;
  status: "queued" | "in_progress" | "completed";
  conclusion: string | null;
  actor: string;
  triggeringActor: string;
  displayTitle: string;
  createdAt: Date;
  updatedAt: Date;
  runStartedAt: Date;
  protectionReviews: ProtectionReview[];
  /** Every attempt's artifacts: GitHub lists them all under the run, naming no attempt. */
  artifacts: Artifact[];
  /** The attempts a re-run replaced, as they finished, for `GET …/attempts/{attempt_number}`. */
  earlierAttempts: AttemptSnapshot[];
  /** Job ids by name, so a job's deliveries keep one id. */
  jobs: Map<string, { id: number; startedAt: Date; started: boolean }>;
}

export interface Repo {
  id: number;
  owner: string;
  name: string;
  fullName: string;
  installationId: number;
  defaultBranch: string;
  private: boolean;
  createdAt: Date;
  files: Map<string, string>;
  /** The files of commits other than the default branch's head, by SHA (pull requests' heads). */
  trees: Map<string, Map<string, string>>;
  pulls: Map<number, PullRequest>;
  collaborators: Map<string, Role>;
  labels: Map<string, Label>;
  issues: Map<number, Issue>;
  branches: Map<string, string>;
  checkRuns: Map<number, CheckRun>;
  runs: Map<number, WorkflowRun>;
  workflows: Map<string, { id: number; runs: number }>;
}

const key = (s: string) => s.toLowerCase();

export class Model {
  clock: () => Date = () => new Date();
  /** Where the API and web UI live; startStandin points these at the local server. */
  apiUrl = "https://api.github.com";
  htmlUrl = "https://github.com";
  readonly app: App;
  readonly users = new Map<string, User>();
  readonly installations = new Map<number, Installation>();
  readonly repos = new Map<string, Repo>();
  readonly teams = new Map<string, { id: number; org: string; slug: string; members: Set<string> }>();
  /** Artifact downloads the storage URL still serves, by token. */
  readonly blobs = new Map<string, Uint8Array>();
  /** Authorization headers sent to the storage URL: a leaked token, which a test must see empty. */
  readonly leakedAuthorization: string[] = [];
  private lastId = 1000;

  constructor(options: { appId?: number; appSlug?: string; appOwner?: string } = {}) {
    const slug = options.appSlug ?? "lanegate";
    const owner = options.appOwner ?? "lanegate-dev";
    this.addUser(owner, "Organization");
    this.app = {
      id: options.appId ?? 1,
      slug,
      name: slug,
      owner,
      bot: `${slug}[bot]`,
      createdAt: this.now(),
    };
    this.addUser(this.app.bot, "Bot");
  }

  now(): Date {
    return this.clock();
  }

  nextId(): number {
    this.lastId += 1;
    return this.lastId;
  }

  /** Users spring into being on first mention, so scenarios need no boilerplate. */
  user(login: string): User {
    return this.users.get(key(login)) ?? this.addUser(login, login.endsWith("[bot]") ? "Bot" : "User");
  }

  addUser(login: string, type: UserType = "User"): User {
    const user = { login, id: this.nextId(), type };
    this.users.set(key(login), user);
    return user;
  }

  installationFor(account: string): Installation {
    for (const installation of this.installations.values()) {
      if (key(installation.account) === key(account)) return installation;
    }
    if (!this.users.has(key(account))) this.addUser(account, "Organization");
    const installation = { id: this.nextId(), account, createdAt: this.now() };
    this.installations.set(installation.id, installation);
    return installation;
  }

  addRepo(fullName: string, options: { defaultBranch?: string; private?: boolean } = {}): Repo {
    const [owner, name] = fullName.split("/");
    if (!owner || !name) throw new Error(`not owner/name: ${fullName}`);
    const defaultBranch = options.defaultBranch ?? "main";
    const installation = this.installationFor(owner);
    const repo: Repo = {
      id: this.nextId(),
      owner: this.user(owner).login,
      name,
      fullName: `${owner}/${name}`,
      installationId: installation.id,
      defaultBranch,
      private: options.private ?? false,
      createdAt: this.now(),
      files: new Map(),
      trees: new Map(),
      pulls: new Map(),
      collaborators: new Map(),
      labels: new Map(),
      issues: new Map(),
      branches: new Map(),
      checkRuns: new Map(),
      runs: new Map(),
      workflows: new Map(),
    };
    this.repos.set(key(repo.fullName), repo);
    this.headSha(repo, defaultBranch);
    return repo;
  }

  repo(fullName: string): Repo {
    const repo = this.repos.get(key(fullName));
    if (!repo) throw new Error(`no repository ${fullName} in the stand-in`);
    return repo;
  }

  findRepo(owner: string, name: string): Repo | undefined {
    return this.repos.get(key(`${owner}/${name}`));
  }

  setFile(fullName: string, path: string, text: string): void {
    this.repo(fullName).files.set(path.replace(/^\/+/, ""), text);
  }

  setCollaborator(fullName: string, login: string, role: Role): void {
    this.user(login);
    this.repo(fullName).collaborators.set(key(login), role);
  }

  addTeamMember(org: string, slug: string, login: string): void {
    this.user(login);
    const id = `${key(org)}/${key(slug)}`;
    const team = this.teams.get(id) ?? { id: this.nextId(), org, slug, members: new Set<string>() };
    team.members.add(key(login));
    this.teams.set(id, team);
  }

  team(org: string, slug: string) {
    return this.teams.get(`${key(org)}/${key(slug)}`);
  }

  /** A personal owner is an admin of their own repositories without being listed. */
  roleOf(repo: Repo, login: string): Role | undefined {
    const role = repo.collaborators.get(key(login));
    if (role) return role;
    const owner = this.users.get(key(repo.owner));
    return owner?.type === "User" && key(owner.login) === key(login) ? "admin" : undefined;
  }

  issue(fullName: string, number: number): Issue {
    const issue = this.repo(fullName).issues.get(number);
    if (!issue) throw new Error(`no issue ${fullName}#${number} in the stand-in`);
    return issue;
  }

  label(repo: Repo, name: string): Label {
    const existing = repo.labels.get(key(name));
    if (existing) return existing;
    const color = createHash("sha1").update(name).digest("hex").slice(0, 6);
    const label = { id: this.nextId(), name, color };
    repo.labels.set(key(name), label);
    return label;
  }

  /** Each branch gets a stable head commit the first time anything asks for it. */
  headSha(repo: Repo, branch: string): string {
    const existing = repo.branches.get(branch);
    if (existing) return existing;
    const sha = randomBytes(20).toString("hex");
    repo.branches.set(branch, sha);
    return sha;
  }

  workflow(repo: Repo, path: string): { id: number; runs: number } {
    const existing = repo.workflows.get(path);
    if (existing) return existing;
    const workflow = { id: this.nextId(), runs: 0 };
    repo.workflows.set(path, workflow);
    return workflow;
  }
}
