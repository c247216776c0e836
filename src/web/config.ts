// The web config file (--web.config.file), in prometheus/exporter-toolkit's format exactly
// (docs/web-configuration.md): tls_server_config, http_server_config, basic_auth_users, rate_limit.
// Parsing only: the keys are declared and read as the exporter's own settings are
// (schema/fields.ts, config/read.ts), the rules between them checked here; files named by the
// config are read by tls.ts. Every problem names the key as the user wrote it; unknown keys are
// errors, as the toolkit's yaml.UnmarshalStrict makes them. Nothing here ever puts a password
// hash or key in a message.
import path from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { readSection } from '../config/read.ts';
import { bool, entriesByFileKey, field, isMapping, kindOf, section, type Field, type Section, type ValueOf } from '../schema/fields.ts';
import { Issues, type ConfigIssue } from '../schema/issues.ts';
import { parseDuration } from '../util/duration.ts';
import { readRegularText } from '../util/read-file.ts';
import {
  CLIENT_AUTH_ALIASES,
  CLIENT_AUTH_TYPES,
  CURVES,
  SETTABLE_HEADERS,
  TLS12_CIPHERS,
  TLS13_CIPHERS,
  TLS_VERSIONS,
  type ClientAuthType,
  type TlsVersionName,
} from './go-tls-names.ts';

/** PEM text given inline (`cert`, `key`, `client_ca`) or by file (`*_file`, resolved against the config's folder). */
export type PemSource = { file: string } | { inline: string };

export interface TlsServerConfig {
  cert: PemSource;
  key: PemSource;
  clientCa?: PemSource;
  clientAuth: ClientAuthType;
  /** a client certificate must carry one of these SANs (DNS, IP, e-mail or URI), exactly */
  clientAllowedSans?: string[];
  minVersion: TlsVersionName;
  maxVersion: TlsVersionName;
  /** OpenSSL names of the TLS 1.2 suites, in the file's order; undefined = Node's defaults */
  ciphers?: string[];
  preferServerCipherSuites: boolean;
  /** OpenSSL group names, in the file's order; undefined = Node's defaults */
  curves?: string[];
}

export interface WebConfig {
  /** undefined: plain HTTP (no TLS key set, as the toolkit decides) */
  tls?: TlsServerConfig;
  http2: boolean;
  headers: ReadonlyArray<readonly [name: string, value: string]>;
  /** user name -> bcrypt hash; empty: no authentication */
  users: ReadonlyMap<string, string>;
  rateLimit?: { intervalMs: number; burst: number };
}

export type WebConfigResult = { ok: true; config: WebConfig; warnings: string[] } | { ok: false; errors: string[] };

/**
 * The highest bcrypt cost accepted (Go's bcrypt, and so exporter-toolkit, take 4 to 31). Each step
 * doubles a check: with bcryptjs here cost 10 is ~0.1 s of a core, 12 ~0.4 s, 31 ~2.4 days, and
 * every wrong password (anyone can send one) pays it. 12 covers the common generators' defaults:
 * htpasswd -B 5, Go's bcrypt.DefaultCost 10, Python's bcrypt.gensalt() 12.
 */
export const MAX_BCRYPT_COST = 12;

/** A bcrypt hash's cost ("$2y$12$..." -> 12) as Go's bcrypt.Cost() reads it (versions 2, 2a, 2b, 2y); NaN when it is none. */
export function bcryptCost(hash: string): number {
  return Number(/^\$2[aby]?\$(\d\d)\$[./A-Za-z0-9]{53}$/.exec(hash)?.[1]);
}

// Go's zero values: an empty string is a string not set (null is dropped before the read).
const goString = (key: string, doc: string): Field<string | undefined> =>
  field(key, doc, undefined, (v) => (typeof v === 'string' ? undefined : `must be a string, got ${kindOf(v)}`), (v) => (v === '' ? undefined : (v as string)));

const goStrings = (key: string, doc: string): Field<string[] | undefined> =>
  field(
    key,
    doc,
    undefined,
    (v) => (Array.isArray(v) && v.every((s) => typeof s === 'string') ? undefined : `must be a list of strings, got ${kindOf(v)}`),
    (v) => [...(v as string[])],
  );

const tlsVersion = (key: string, doc: string, def: TlsVersionName): Field<TlsVersionName> =>
  field(
    key,
    doc,
    def,
    (v) => {
      if (typeof v !== 'string') return `must be a string, got ${kindOf(v)}`;
      if (v === '' || Object.hasOwn(TLS_VERSIONS, v)) return undefined;
      return `unknown TLS version ${JSON.stringify(v)} (expected one of: ${Object.keys(TLS_VERSIONS).join(', ')})`;
    },
    (v) => (v === '' ? def : (v as TlsVersionName)),
  );

const mappingOf = (key: string, doc: string): Field<Record<string, unknown>> =>
  field(key, doc, {}, (v) => (isMapping(v) ? undefined : `must be a mapping, got ${kindOf(v)}`), (v) => ({ ...(v as Record<string, unknown>) }));

/** The file's keys, as exporter-toolkit reads them (docs/securing.md says what each does). */
const WEB_FILE = section({
  tls_server_config: section({
    cert: goString('cert', 'The server certificate, PEM, inline.'),
    key: goString('key', 'Its private key, PEM, inline.'),
    clientCa: goString('client_ca', 'CA certificates client certificates are verified against, PEM, inline.'),
    certFile: goString('cert_file', 'The server certificate file (relative to this file).'),
    keyFile: goString('key_file', 'Its private key file.'),
    clientAuthType: goString('client_auth_type', `One of ${CLIENT_AUTH_TYPES.join(', ')}.`),
    clientCaFile: goString('client_ca_file', 'CA certificates file for client certificates.'),
    clientAllowedSans: goStrings('client_allowed_sans', 'A client certificate must carry one of these SANs.'),
    minVersion: tlsVersion('min_version', 'The lowest TLS version.', 'TLS12'),
    maxVersion: tlsVersion('max_version', 'The highest TLS version.', 'TLS13'),
    cipherSuites: goStrings('cipher_suites', 'TLS 1.2 suites by their Go names, in order.'),
    preferServerCipherSuites: bool('prefer_server_cipher_suites', "The server's order of suites wins.", true),
    curvePreferences: goStrings('curve_preferences', 'Curves by their Go names, in order.'),
  }),
  http_server_config: section({
    http2: bool('http2', 'Offer HTTP/2 over TLS.', true),
    headers: mappingOf('headers', 'Response headers (five the toolkit allows).'),
  }),
  users: mappingOf('basic_auth_users', 'User name -> bcrypt hash.'),
  rate_limit: section({
    interval: field(
      'interval',
      'One request per interval on average; 0s = no limit.',
      '0s',
      (v) => (typeof v === 'string' && parseDuration(v) !== undefined ? undefined : `must be a duration such as "1s", got ${typeof v === 'string' ? JSON.stringify(v) : kindOf(v)}`),
      (v) => parseDuration(v as string) ?? 0,
    ),
    burst: field('burst', 'Requests allowed at once.', 0, (v) => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? undefined : `must be a whole number, got ${kindOf(v)}`), (v) => v as number),
  }),
});

type TlsValue = ValueOf<(typeof WEB_FILE)['fields']['tls_server_config']>;

/**
 * The data without the declared keys written with no value (YAML `key:`): Go leaves such a key at
 * its zero value. Undeclared keys stay, to be reported; so does a user without a hash.
 */
function withoutNulls(data: Record<string, unknown>, s: Section): Record<string, unknown> {
  const entries = entriesByFileKey(s);
  // fromEntries: a "__proto__" key stays an own key (and is reported)
  return Object.fromEntries(
    Object.entries(data).flatMap(([k, v]) => {
      const node = entries.get(k)?.node;
      if (v === null && node !== undefined) return [];
      return [[k, node?.kind === 'section' && isMapping(v) ? withoutNulls(v, node) : v]];
    }),
  );
}

/** undefined: neither key set; null: one failed its check, or both set (reported). */
function pem(raw: Record<string, unknown>, inline: string | undefined, file: string | undefined, keys: [inline: string, file: string], dir: string, at: Issues): PemSource | undefined | null {
  const failed = keys.some((k) => typeof raw[k] !== 'string' && raw[k] !== undefined);
  if (failed) return null;
  if (inline !== undefined && file !== undefined) {
    at.add(keys[1], `set ${keys[0]} or ${keys[1]}, not both`);
    return null;
  }
  if (file !== undefined) return { file: path.resolve(dir, file) };
  return inline === undefined ? undefined : { inline };
}

/** The keys that turn TLS on (the toolkit's rule: any of them set means TLS; none means plain HTTP). */
const TLS_ON = ['cert', 'key', 'client_ca', 'cert_file', 'key_file', 'client_ca_file', 'client_auth_type'];

function tlsSection(raw: Record<string, unknown>, v: TlsValue, dir: string, at: Issues): TlsServerConfig | undefined {
  const cert = pem(raw, v.cert, v.certFile, ['cert', 'cert_file'], dir, at);
  const key = pem(raw, v.key, v.keyFile, ['key', 'key_file'], dir, at);
  const clientCa = pem(raw, v.clientCa, v.clientCaFile, ['client_ca', 'client_ca_file'], dir, at);
  const authFailed = raw['client_auth_type'] !== undefined && typeof raw['client_auth_type'] !== 'string';
  const authText = v.clientAuthType;
  if (cert === undefined && key === undefined && clientCa === undefined && authText === undefined && !authFailed) {
    for (const k of Object.keys(raw)) if (!TLS_ON.includes(k)) at.warn(k, 'ignored: TLS is off (no cert_file, key_file, client_ca_file or client_auth_type)');
    return undefined;
  }
  if (cert === undefined) at.add('', 'missing one of cert or cert_file');
  if (key === undefined) at.add('', 'missing one of key or key_file');

  let clientAuth: ClientAuthType = 'NoClientCert';
  if (authText !== undefined) {
    const known = (CLIENT_AUTH_TYPES as readonly string[]).includes(authText) ? (authText as ClientAuthType) : CLIENT_AUTH_ALIASES[authText];
    if (known === undefined) at.add('client_auth_type', `${JSON.stringify(authText)} is not one of ${CLIENT_AUTH_TYPES.join(', ')}`);
    else clientAuth = known;
  }
  if (clientCa && clientAuth === 'NoClientCert') {
    at.add('client_auth_type', 'a client CA is set but client_auth_type is NoClientCert: set RequireAndVerifyClientCert (or remove the CA)');
  }
  if (clientCa === undefined && (clientAuth === 'RequireAndVerifyClientCert' || clientAuth === 'VerifyClientCertIfGiven')) {
    at.warn('client_auth_type', `${clientAuth} without client_ca_file: client certificates are verified against Node's bundled root CAs`);
  }
  if (clientAuth === 'RequestClientCert' || clientAuth === 'RequireAnyClientCert') {
    at.warn('client_auth_type', `${clientAuth} does not verify client certificates; use RequireAndVerifyClientCert to authenticate clients`);
  }
  const sans = v.clientAllowedSans;
  if (sans !== undefined && clientAuth !== 'RequireAnyClientCert' && clientAuth !== 'RequireAndVerifyClientCert') {
    at.add('client_allowed_sans', 'requires client_auth_type to be one of RequireAnyClientCert or RequireAndVerifyClientCert');
  }

  const { minVersion, maxVersion } = v;
  if (minVersion === 'TLS10' || minVersion === 'TLS11') {
    // measured, Node 20: "tls_choose_sigalg: no suitable signature algorithm" for a TLS 1.0/1.1 client
    at.warn('min_version', `${minVersion}: Node's OpenSSL 3 refuses TLS 1.0 and 1.1 handshakes at its default security level; TLS 1.2 is the lowest that works`);
  }
  const order = Object.keys(TLS_VERSIONS);
  if (order.indexOf(minVersion) > order.indexOf(maxVersion)) at.add('min_version', `${minVersion} is above max_version ${maxVersion}`);

  let ciphers: string[] | undefined;
  for (const name of v.cipherSuites ?? []) {
    const openssl = TLS12_CIPHERS[name];
    if (openssl !== undefined) (ciphers ??= []).push(openssl);
    else if (TLS13_CIPHERS.includes(name)) at.warn('cipher_suites', `${name} is a TLS 1.3 suite: TLS 1.3 suites are not configurable (as in Go), ignored`);
    else at.add('cipher_suites', `unknown cipher ${JSON.stringify(name)} (expected Go names from tls.CipherSuites(), e.g. TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)`);
  }

  let curves: string[] | undefined;
  for (const name of v.curvePreferences ?? []) {
    const group = CURVES[name];
    if (group !== undefined) (curves ??= []).push(group);
    else at.add('curve_preferences', `unknown curve ${JSON.stringify(name)} (expected one of: ${Object.keys(CURVES).join(', ')})`);
  }

  if (!cert || !key || clientCa === null || authFailed) return undefined;
  const tls: TlsServerConfig = { cert, key, clientAuth, minVersion, maxVersion, preferServerCipherSuites: v.preferServerCipherSuites };
  if (clientCa !== undefined) tls.clientCa = clientCa;
  if (sans !== undefined) tls.clientAllowedSans = sans;
  if (ciphers !== undefined) tls.ciphers = ciphers;
  if (curves !== undefined) tls.curves = curves;
  return tls;
}

function headersSection(headers: Record<string, unknown>, at: Issues): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(headers)) {
    if (!Object.hasOwn(SETTABLE_HEADERS, name)) {
      at.add(name, `this header can not be configured (expected one of: ${Object.keys(SETTABLE_HEADERS).join(', ')})`);
      continue;
    }
    if (value === '') continue; // "unset if blank"
    if (typeof value !== 'string') {
      at.add(name, `must be a string, got ${kindOf(value)}`);
      continue;
    }
    const allowed = SETTABLE_HEADERS[name];
    if (allowed !== undefined && !allowed.includes(value)) {
      at.add(name, `${JSON.stringify(value)} is not one of ${allowed.join(', ')}`);
      continue;
    }
    out.push([name, value]);
  }
  return out;
}

const MAKE_HASH = 'make one with `htpasswd -nBC 10 "" | tr -d \':\\n\'`';

function usersSection(raw: Record<string, unknown>, issues: Issues): Map<string, string> {
  const users = new Map<string, string>();
  const costs = new Set<number>();
  for (const [user, hash] of Object.entries(raw)) {
    const at = (message: string) => issues.add(user, message);
    // Never echo the value: it may be a plain password written there by mistake.
    const cost = typeof hash === 'string' ? bcryptCost(hash) : NaN;
    if (typeof hash !== 'string') at(`must be a bcrypt hash (a string), got ${kindOf(hash)}`);
    else if (!(cost >= 4 && cost <= 31)) at(`is not a bcrypt hash ($2y$10$ and 53 characters; ${MAKE_HASH})`);
    else if (cost > MAX_BCRYPT_COST) {
      at(`bcrypt cost ${cost} is above ${MAX_BCRYPT_COST}: every check, a wrong password's too, would take ${2 ** (cost - 10) / 10} s or more of a core; ${MAKE_HASH}`);
    } else {
      users.set(user, hash);
      costs.add(cost);
    }
    if (user.includes(':')) at('a user name cannot contain ":" (HTTP basic auth splits on it)');
  }
  if (costs.size > 1) {
    const list = [...costs].sort((a, b) => a - b).join(', ');
    issues.warn('', `hashes of different bcrypt costs (${list}): how long a check takes tells a user's cost, and so that a user of a lower cost exists; use one cost for all`);
  }
  return users;
}

function rateLimitSection(v: ValueOf<(typeof WEB_FILE)['fields']['rate_limit']>, failed: boolean, at: Issues): WebConfig['rateLimit'] {
  // the toolkit: "set to 0 to disable rate limiter"
  if (failed || v.interval === undefined || v.burst === undefined || v.interval === 0) return undefined;
  if (v.burst === 0) {
    at.add('burst', 'must be 1 or more when interval is set (0 would refuse every request)');
    return undefined;
  }
  return { intervalMs: v.interval, burst: v.burst };
}

/** The messages of a read: "key: message" (the caller names the file). */
const messages = (found: readonly ConfigIssue[]): string[] => found.map((i) => (i.path === '' ? i.message : `${i.path}: ${i.message}`));

/** `text` is the content of `file`; relative paths in it are resolved against the file's folder. */
export function parseWebConfig(text: string, file: string): WebConfigResult {
  const lines = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, lineCounter: lines, uniqueKeys: true });
  const first = doc.errors[0];
  if (first !== undefined) {
    const pos = lines.linePos(first.pos[0]);
    return { ok: false, errors: [`line ${pos.line}, column ${pos.col}: ${first.message}`] };
  }
  let raw: unknown;
  try {
    // yaml makes a "__proto__" key an own key (reported as unknown), never a prototype.
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    return { ok: false, errors: [`cannot expand the YAML: ${(err as Error).message}`] };
  }
  if (raw !== null && raw !== undefined && !isMapping(raw)) {
    return { ok: false, errors: [`the top level must be a mapping, got ${kindOf(raw)}`] };
  }
  const data = withoutNulls(isMapping(raw) ? raw : {}, WEB_FILE);
  const dir = path.dirname(path.resolve(file));
  const issues = Issues.root();
  const v = readSection(data, WEB_FILE, issues, { env: {}, resolvePath: (p) => path.resolve(dir, p) });
  const rawTls = isMapping(data['tls_server_config']) ? data['tls_server_config'] : {};
  const tls = tlsSection(rawTls, v.tls_server_config, dir, issues.at('tls_server_config'));
  const config: WebConfig = {
    http2: v.http_server_config.http2 ?? true,
    headers: headersSection(v.http_server_config.headers ?? {}, issues.at('http_server_config.headers')),
    users: usersSection(v.users ?? {}, issues.at('basic_auth_users')),
  };
  if (tls !== undefined) config.tls = tls;
  const rateFailed = issues.issues.some((i) => i.path.startsWith('rate_limit.'));
  const rateLimit = rateLimitSection(v.rate_limit, rateFailed, issues.at('rate_limit'));
  if (rateLimit !== undefined) config.rateLimit = rateLimit;
  if (issues.count > 0) return { ok: false, errors: messages(issues.issues) };
  return { ok: true, config, warnings: messages(issues.warnings) };
}

/** Reads and parses the file; a read error is one error naming its code. */
export function readWebConfig(file: string): WebConfigResult {
  const read = readRegularText(file);
  if (!read.ok) return { ok: false, errors: [`cannot read the web config file (${read.reason})`] };
  return parseWebConfig(read.text, file);
}
