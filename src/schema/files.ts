// Files named in the configuration, checked when it is loaded (never their contents here).
import fs from 'node:fs';
import { unreadableReason } from '../util/read-file.ts';

export type SecretKind = 'private key' | 'passphrase';

/** Why `file` cannot be read as a file now, or undefined when it can. Never reads contents. */
export function unreadable(file: string): string | undefined {
  const reason = unreadableReason(file);
  return reason === undefined ? undefined : `cannot read ${file} (${reason})`;
}

/**
 * A warning when a secret file is open to group or others, as ssh warns of an "UNPROTECTED
 * PRIVATE KEY FILE" (a warning here, not a refusal); undefined when it is private or unknown.
 */
export function unprotected(file: string, what: SecretKind): string | undefined {
  let mode: number;
  try {
    mode = fs.statSync(file).mode;
  } catch {
    return undefined; // unreadable files are reported as such
  }
  if ((mode & 0o077) === 0) return undefined;
  const octal = (mode & 0o777).toString(8).padStart(4, '0');
  return `UNPROTECTED ${what.toUpperCase()} FILE: ${file} is accessible by group or others (mode ${octal}); chmod 600 it`;
}
