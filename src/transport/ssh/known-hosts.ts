import { createHmac } from 'node:crypto';
import { globToRegExp } from '../../util/glob.ts';

/**
 * OpenSSH known_hosts, as `ssh` reads it: plain, wildcard and negated patterns, `[host]:port`
 * for non-default ports, hashed `|1|salt|hash` names, several keys (and key types) per host,
 * and the `@revoked` marker. `@cert-authority` lines are skipped: ssh2 has no host certificates.
 */

export interface KnownHostsLine {
  /** 1-based, for messages. */
  line: number;
  marker?: 'revoked' | 'cert-authority';
  matches(name: string): boolean;
  keyType: string;
  /** The key in SSH wire format, as the server presents it. */
  blob: Buffer;
}

export interface KnownHosts {
  lines: KnownHostsLine[];
  /** Lines that could not be read, with why ("line 3: ..."). */
  skipped: string[];
}

/** The name `ssh` looks up: `host` on port 22, `[host]:port` elsewhere. */
export function knownHostsName(host: string, port: number): string {
  const h = host.toLowerCase();
  return port === 22 ? h : `[${h}]:${port}`;
}

export function parseKnownHosts(text: string): KnownHosts {
  const lines: KnownHostsLine[] = [];
  const skipped: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const parsed = parseLine(trimmed, i + 1);
    if (typeof parsed === 'string') skipped.push(`line ${i + 1}: ${parsed}`);
    else lines.push(parsed);
  });
  return { lines, skipped };
}

function parseLine(text: string, line: number): KnownHostsLine | string {
  const fields = text.split(/[ \t]+/);
  let marker: KnownHostsLine['marker'];
  if (fields[0]!.startsWith('@')) {
    const m = fields.shift()!;
    if (m === '@revoked') marker = 'revoked';
    else if (m === '@cert-authority') marker = 'cert-authority';
    else return `unknown marker ${m}`;
  }
  const [names, keyType, b64] = fields;
  if (!names || !keyType || !b64) return 'expected "hostnames keytype base64-key"';
  const blob = Buffer.from(b64, 'base64');
  // The blob starts with its own type name; a mismatch means a damaged or mislabelled line.
  if (blobKeyType(blob) !== keyType) return `key data does not match key type ${keyType}`;
  const matches = names.startsWith('|') ? hashedMatcher(names) : patternMatcher(names);
  if (typeof matches === 'string') return matches;
  return { line, marker, matches, keyType, blob };
}

/** The type name embedded at the start of an SSH wire-format public key, if well-formed. */
export function blobKeyType(blob: Buffer): string | undefined {
  if (blob.length < 4) return undefined;
  const len = blob.readUInt32BE(0);
  if (len === 0 || len > 64 || 4 + len > blob.length) return undefined;
  return blob.toString('latin1', 4, 4 + len);
}

function hashedMatcher(field: string): ((name: string) => boolean) | string {
  // |1|base64(salt)|base64(HMAC-SHA1(salt, name))
  const parts = field.split('|');
  if (parts.length !== 4 || parts[1] !== '1') return 'unsupported hashed host name';
  const salt = Buffer.from(parts[2]!, 'base64');
  const hash = Buffer.from(parts[3]!, 'base64');
  if (salt.length !== 20 || hash.length !== 20) return 'malformed hashed host name';
  return (name) => createHmac('sha1', salt).update(name).digest().equals(hash);
}

function patternMatcher(field: string): (name: string) => boolean {
  const positive: RegExp[] = [];
  const negative: RegExp[] = [];
  for (const p of field.split(',')) {
    if (p === '') continue;
    // host names compare in lower case, as ssh compares them
    if (p.startsWith('!')) negative.push(globToRegExp(p.slice(1).toLowerCase()));
    else positive.push(globToRegExp(p.toLowerCase()));
  }
  // As in OpenSSH: a negated match vetoes the line even when a positive pattern also matches.
  return (name) => !negative.some((r) => r.test(name)) && positive.some((r) => r.test(name));
}


export type HostKeyVerdict =
  | { ok: true; line: number }
  | { ok: false; why: 'revoked'; line: number }
  | { ok: false; why: 'unknown' }
  | { ok: false; why: 'mismatch'; expected: Buffer[] };

/** Checks the key a server presented for `name` (from knownHostsName). */
export function checkHostKey(known: KnownHosts, name: string, presented: Buffer): HostKeyVerdict {
  const type = blobKeyType(presented);
  const expected: Buffer[] = [];
  let accepted: number | undefined;
  for (const l of known.lines) {
    if (l.marker === 'cert-authority' || !l.matches(name)) continue;
    if (l.marker === 'revoked') {
      if (l.blob.equals(presented)) return { ok: false, why: 'revoked', line: l.line };
      continue;
    }
    if (l.blob.equals(presented)) accepted ??= l.line;
    else if (l.keyType === type) expected.push(l.blob);
  }
  if (accepted !== undefined) return { ok: true, line: accepted };
  return expected.length > 0 ? { ok: false, why: 'mismatch', expected } : { ok: false, why: 'unknown' };
}

/** Key types known_hosts lists for `name`, so the handshake asks the server for one of those. */
export function knownKeyTypes(known: KnownHosts, name: string): string[] {
  const types = new Set<string>();
  for (const l of known.lines) if (!l.marker && l.matches(name)) types.add(l.keyType);
  return [...types];
}
