import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ServerHostKeyAlgorithm } from 'ssh2';
import { readRegularText } from '../../util/read-file.ts';
import type { SshOptions } from './options.ts';
import { blobKeyType, checkHostKey, knownHostsName, knownKeyTypes, parseKnownHosts } from './known-hosts.ts';

/** As `ssh-keygen -lf` prints it: SHA256 of the wire-format key, base64 without padding. */
export function sha256Fingerprint(blob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
}

/** How one connection attempt decides about the server's host key. */
export interface HostKeyPolicy {
  /** Host key algorithms to offer, or undefined for ssh2's defaults. */
  algorithms?: ServerHostKeyAlgorithm[];
  /** undefined when the key is accepted, else why it is refused. */
  check(key: Buffer): string | undefined;
  /** Why a handshake that found no common host key algorithm failed, when we narrowed them. */
  noCommonAlgorithm?: string;
  insecure: boolean;
  /** known_hosts lines that could not be read ("line 3: ..."), ignored */
  skipped?: { file: string; lines: string[] };
}

// ssh2's preference order; an RSA key can be presented under three signature algorithms.
const ALGORITHMS_BY_KEY_TYPE: [string, ServerHostKeyAlgorithm[]][] = [
  ['ssh-ed25519', ['ssh-ed25519']],
  ['ecdsa-sha2-nistp256', ['ecdsa-sha2-nistp256']],
  ['ecdsa-sha2-nistp384', ['ecdsa-sha2-nistp384']],
  ['ecdsa-sha2-nistp521', ['ecdsa-sha2-nistp521']],
  ['ssh-rsa', ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']],
  ['ssh-dss', ['ssh-dss']],
];

export function defaultKnownHostsPath(): string {
  return join(homedir(), '.ssh', 'known_hosts');
}

/**
 * Builds the policy from the host's options. known_hosts is read on every attempt, so an edit
 * takes effect at the next reconnect. Throws an Error naming the file when it cannot be read.
 */
export async function loadHostKeyPolicy(host: string, port: number, ssh: SshOptions): Promise<HostKeyPolicy> {
  const display = `${host}:${port}`;
  if (ssh.insecureIgnoreHostKey) return { check: () => undefined, insecure: true };

  if (ssh.hostKeyFingerprint) {
    const expected = normalizeFingerprint(ssh.hostKeyFingerprint);
    return {
      insecure: false,
      check(key) {
        const got = sha256Fingerprint(key);
        return got === expected ? undefined : `host key mismatch for ${display}: got ${got}, expected ${expected}`;
      },
    };
  }

  const path = ssh.knownHosts ?? defaultKnownHostsPath();
  const read = readRegularText(path);
  if (!read.ok) throw new Error(`cannot read known_hosts ${path}: ${read.reason}`);
  const known = parseKnownHosts(read.text);
  const name = knownHostsName(host, port);
  const types = knownKeyTypes(known, name);
  const algorithms = ALGORITHMS_BY_KEY_TYPE.filter(([t]) => types.includes(t)).flatMap(([, a]) => a);
  return {
    insecure: false,
    skipped: { file: path, lines: known.skipped },
    algorithms: algorithms.length > 0 ? algorithms : undefined,
    noCommonAlgorithm:
      algorithms.length > 0
        ? `host key of ${display} not in known_hosts ${path}: the server offers none of the key types listed there (${types.join(', ')})`
        : undefined,
    check(key) {
      const verdict = checkHostKey(known, name, key);
      if (verdict.ok) return undefined;
      const got = `${blobKeyType(key) ?? 'unknown type'} ${sha256Fingerprint(key)}`;
      switch (verdict.why) {
        case 'revoked':
          return `host key of ${display} is @revoked in known_hosts ${path} (line ${verdict.line})`;
        case 'unknown':
          return `host key of ${display} not in known_hosts ${path} (server presented ${got})`;
        case 'mismatch':
          return `host key mismatch for ${display}: got ${got}, expected ${verdict.expected.map(sha256Fingerprint).join(' or ')} from known_hosts ${path}`;
      }
    },
  };
}

/** Accepts the fingerprint with or without base64 padding, as some tools print it. */
function normalizeFingerprint(fp: string): string {
  const trimmed = fp.trim();
  const body = trimmed.startsWith('SHA256:') ? trimmed.slice('SHA256:'.length) : trimmed;
  return 'SHA256:' + body.replace(/=+$/, '');
}
