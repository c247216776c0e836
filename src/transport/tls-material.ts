// The TLS material of a tcp:// host (its `tls` block), loaded the way its connections use it. A
// key that is not a PEM key (garbage, DER), is encrypted without a passphrase, or does not match
// its certificate is then a config error naming the file, instead of a throw at the first
// probe's connect.
// Measured on Node 20: createSecureContext() accepts a `ca` holding no certificate at all
// (garbage, a key, DER) without a word, so the CA file is checked on its own.
import { createSecureContext, type SecureContext } from 'node:tls';
import { bool, file, passphraseFields, section, type ValueOf } from '../schema/fields.ts';
import { readRegularFile, readRegularText } from '../util/read-file.ts';
import { caBundleProblem, certProblem, opensslReason } from '../util/pem.ts';

/** A tcp:// host's `tls` block: paths (never contents: messages and logs may name them). */
export const TLS = section({
  ca: file('ca', 'CA certificate(s) (PEM) the daemon\'s certificate is verified against.'),
  cert: file('cert', 'Client certificate (PEM).'),
  key: file('key', 'Client private key (PEM).', 'private key'),
  ...passphraseFields(),
  insecureSkipVerify: bool('insecure_skip_verify', 'Skip verifying the daemon\'s certificate (logged as a warning).'),
});

export type TlsFiles = ValueOf<typeof TLS>;

/** The tls.* key a problem belongs to. */
export type TlsKey = 'ca' | 'cert' | 'key' | 'passphrase_file' | 'passphrase_env';

export interface TlsProblem {
  key: TlsKey;
  /** Names the file; never contains a passphrase or key material. */
  message: string;
}

export type TlsLoad = { ok: true; context: SecureContext } | { ok: false; problems: TlsProblem[] };

const ENCRYPTED_PEM = /-----BEGIN ENCRYPTED PRIVATE KEY-----|^Proc-Type: 4,ENCRYPTED/m;

/** Reads, checks and combines the files; `env` holds passphrase_env's variable. */
export function loadTlsContext(tls: TlsFiles, env: NodeJS.ProcessEnv): TlsLoad {
  const problems: TlsProblem[] = [];
  const read = (key: TlsKey, file: string | undefined): Buffer | undefined => {
    if (file === undefined) return undefined;
    const read = readRegularFile(file);
    if (read.ok) return read.data;
    problems.push({ key, message: `cannot read ${file} (${read.reason})` });
    return undefined;
  };
  const ca = read('ca', tls.ca);
  const cert = read('cert', tls.cert);
  const key = read('key', tls.key);

  const caProblem = ca !== undefined && tls.ca !== undefined ? caBundleProblem(ca, tls.ca) : undefined;
  if (caProblem !== undefined) problems.push({ key: 'ca', message: caProblem });
  const badCert = cert !== undefined && tls.cert !== undefined ? certProblem(cert, tls.cert) : undefined;
  if (badCert !== undefined) problems.push({ key: 'cert', message: badCert });

  const passphrase = readPassphrase(tls, env, problems);
  if (key !== undefined && passphrase !== null) {
    const encrypted = ENCRYPTED_PEM.test(key.toString('latin1'));
    try {
      createSecureContext({ key, passphrase });
    } catch (err) {
      if (encrypted && passphrase === undefined) {
        problems.push({ key: 'key', message: `${tls.key} is encrypted: set tls.passphrase_file or tls.passphrase_env` });
      } else if (encrypted) {
        // Names where the passphrase came from, never the passphrase.
        const from = tls.passphraseFile !== undefined ? 'passphrase_file' : 'passphrase_env';
        const source = tls.passphraseFile ?? tls.passphraseEnv;
        problems.push({ key: from, message: `the passphrase from ${source} does not decrypt ${tls.key} (wrong passphrase?)` });
      } else {
        problems.push({ key: 'key', message: `${tls.key} is not a PEM private key: ${opensslReason(err)}` });
      }
    }
  }
  if (problems.length > 0) return { ok: false, problems };

  try {
    const context = createSecureContext({ ca, cert, key, passphrase: passphrase ?? undefined });
    return { ok: true, context };
  } catch (err) {
    // Each part loaded alone: what is left is the pair.
    return { ok: false, problems: [{ key: 'key', message: `${tls.key} does not match the certificate ${tls.cert}: ${opensslReason(err)}` }] };
  }
}

/** undefined: none configured; null: configured and unusable (a problem was recorded). */
function readPassphrase(tls: TlsFiles, env: NodeJS.ProcessEnv, problems: TlsProblem[]): string | undefined | null {
  if (tls.passphraseFile !== undefined) {
    const read = readRegularText(tls.passphraseFile);
    // Files written by `echo` end in a newline that is not part of the passphrase.
    if (read.ok) return read.text.replace(/\r?\n$/, '');
    problems.push({ key: 'passphrase_file', message: `cannot read ${tls.passphraseFile} (${read.reason})` });
    return null;
  }
  if (tls.passphraseEnv !== undefined) {
    const value = env[tls.passphraseEnv];
    if (value === undefined) {
      problems.push({ key: 'passphrase_env', message: `environment variable ${tls.passphraseEnv} is not set` });
      return null;
    }
    return value;
  }
  return undefined;
}
