// tls_server_config -> the options of a Node TLS server (certificate, key, client CA, versions,
// ciphers, curves, client-certificate switches) and a check of each finished handshake. Go's five
// client_auth_type values map onto OpenSSL's two switches plus a check after the handshake:
//   NoClientCert                no certificate asked for
//   RequestClientCert           asked for, neither required nor verified
//   RequireAnyClientCert        required, not verified         (checked after the handshake)
//   VerifyClientCertIfGiven     verified when one is sent      (checked after the handshake)
//   RequireAndVerifyClientCert  required and verified          (OpenSSL refuses the handshake)
// and client_allowed_sans is checked after the handshake too. A refused connection is closed
// before any HTTP byte is read from it. (Node's own verification result, socket.authorized, is
// only set on sockets a tls.Server made: measured, a `new TLSSocket()` leaves it false.)
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { createSecureContext, type TlsOptions, type TLSSocket } from 'node:tls';
import type { PemSource, TlsServerConfig } from './config.ts';
import { caBundleProblem, certProblem, opensslReason } from '../util/pem.ts';
import { readRegularFile } from '../util/read-file.ts';
import { TLS_VERSIONS } from './go-tls-names.ts';

export interface TlsSettings {
  /** for tls.createServer(): checked here, so that it cannot throw there */
  options: TlsOptions;
  /** Why a connection whose handshake finished is refused; undefined = accepted. */
  refusal(socket: TLSSocket): string | undefined;
}

export type TlsSettingsResult = { ok: true; settings: TlsSettings } | { ok: false; errors: string[] };

/** The files a config names, for the reloader to watch. */
export function tlsFiles(tls: TlsServerConfig): string[] {
  return [tls.cert, tls.key, tls.clientCa].flatMap((s) => (s !== undefined && 'file' in s ? [s.file] : []));
}

export function buildTlsSettings(tls: TlsServerConfig): TlsSettingsResult {
  const errors: string[] = [];
  /** the key as written and, for messages, what it names (never key material) */
  const where = (inlineKey: string, source: PemSource) =>
    'file' in source ? { key: `tls_server_config.${inlineKey}_file`, what: source.file } : { key: `tls_server_config.${inlineKey}`, what: 'the inline PEM' };
  const read = (inlineKey: string, source: PemSource | undefined): Buffer | undefined => {
    if (source === undefined) return undefined;
    if ('inline' in source) return Buffer.from(source.inline);
    const read = readRegularFile(source.file);
    if (read.ok) return read.data;
    errors.push(`${where(inlineKey, source).key}: cannot read ${source.file} (${read.reason})`);
    return undefined;
  };
  const cert = read('cert', tls.cert);
  const key = read('key', tls.key);
  const ca = read('client_ca', tls.clientCa);

  if (cert !== undefined && tls.cert !== undefined) {
    const w = where('cert', tls.cert);
    const problem = certProblem(cert, w.what);
    if (problem !== undefined) errors.push(`${w.key}: ${problem}`);
  }
  if (key !== undefined) {
    try {
      createSecureContext({ key });
    } catch (err) {
      const w = where('key', tls.key);
      // An encrypted key fails here too: the toolkit (Go's X509KeyPair) cannot use one either.
      errors.push(`${w.key}: ${w.what} is not an unencrypted PEM private key: ${opensslReason(err)}`);
    }
  }
  if (ca !== undefined && tls.clientCa !== undefined) {
    const w = where('client_ca', tls.clientCa);
    const problem = caBundleProblem(ca, w.what);
    if (problem !== undefined) errors.push(`${w.key}: ${problem}`);
  }
  if (errors.length > 0 || cert === undefined || key === undefined) return { ok: false, errors };

  const auth = tls.clientAuth;
  const options: TlsOptions = {
    cert,
    key,
    requestCert: auth !== 'NoClientCert',
    rejectUnauthorized: auth === 'RequireAndVerifyClientCert',
    minVersion: TLS_VERSIONS[tls.minVersion],
    maxVersion: TLS_VERSIONS[tls.maxVersion],
    honorCipherOrder: tls.preferServerCipherSuites,
  };
  if (ca !== undefined) options.ca = ca;
  if (tls.ciphers !== undefined) options.ciphers = tls.ciphers.join(':');
  if (tls.curves !== undefined) options.ecdhCurve = tls.curves.join(':');
  try {
    createSecureContext(options);
  } catch (err) {
    // Each part loaded alone above: what is left is the pair (or a cipher/version combination).
    const w = where('key', tls.key);
    const c = where('cert', tls.cert);
    return { ok: false, errors: [`${w.key}: ${w.what} does not match the certificate ${c.what}, or the TLS settings cannot be combined: ${opensslReason(err)}`] };
  }

  const sans = tls.clientAllowedSans;
  return {
    ok: true,
    settings: {
      options,
      refusal(socket) {
        if (auth === 'NoClientCert' || auth === 'RequestClientCert') return undefined;
        const peer = socket.getPeerX509Certificate();
        if (peer === undefined) return auth === 'VerifyClientCertIfGiven' ? undefined : 'no client certificate';
        if ((auth === 'VerifyClientCertIfGiven' || auth === 'RequireAndVerifyClientCert') && !socket.authorized) {
          return `client certificate not verified (${String(socket.authorizationError)})`;
        }
        if (sans !== undefined && !sansOf(peer).some((san) => sans.some((allowed) => sameSan(san, allowed)))) {
          return 'client certificate has none of client_allowed_sans';
        }
        return undefined;
      },
    },
  };
}

/** The DNS, IP, e-mail and URI names of a certificate, as Go lists them for client_allowed_sans. */
export function sansOf(cert: X509Certificate): string[] {
  const out: string[] = [];
  // "DNS:a.example, IP Address:127.0.0.1, email:x@y, URI:spiffe://..."; a value with a comma or
  // quote is JSON-quoted by Node.
  const entry = /(DNS|IP Address|email|URI):("(?:[^"\\]|\\.)*"|[^,]*)(?:, |$)/g;
  for (const m of (cert.subjectAltName ?? '').matchAll(entry)) {
    const raw = m[2]!;
    out.push(raw.startsWith('"') ? (JSON.parse(raw) as string) : raw);
  }
  return out;
}

/** Exact match, except that IP addresses compare by value (Node prints IPv6 in full, Go compressed). */
function sameSan(san: string, allowed: string): boolean {
  if (san === allowed) return true;
  return isIP(san) === 6 && isIP(allowed) === 6 && new URL(`http://[${san}]`).hostname === new URL(`http://[${allowed}]`).hostname;
}
