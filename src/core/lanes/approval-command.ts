// The `/lanegate approve <prefix>` comment: a further approval of one block version, named by the
// start of its sha256 as the status comment shows it. Pure.

/** The fewest hex characters of the digest a command must name: as many as a short commit id. */
export const MIN_PREFIX = 7;

const COMMAND = /^\/lanegate\s+approve\s+([0-9a-f]+)\s*$/i;

/** The digest prefix an approval comment names, or null when its first line is not the command. */
export function parseApproveCommand(body: string | null | undefined): string | null {
  const first = (body ?? "").split(/\r?\n/, 1)[0]?.trim() ?? "";
  const match = COMMAND.exec(first);
  const prefix = match?.[1]?.toLowerCase();
  return prefix && prefix.length >= MIN_PREFIX && prefix.length <= 64 ? prefix : null;
}

/** Whether a prefix names this block version. */
export function namesDigest(prefix: string, sha256: string): boolean {
  return prefix.length >= MIN_PREFIX && sha256.toLowerCase().startsWith(prefix.toLowerCase());
}
