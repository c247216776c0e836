// The web config file (--web.config.file), in prometheus/exporter-toolkit's format exactly
// (docs/web-configuration.md): tls_server_config, http_server_config, basic_auth_users, rate_limit.
// Parsing only: values are checked here, files named by the config are read by tls.ts. Every
// problem names the key as the user wrote it; unknown keys are errors, as the toolkit's
// yaml.UnmarshalStrict makes them. Nothing here ever puts a password hash or key in a message.
import path from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { isMapping, kindOf } from '../schema/fields.ts';
import { parseDuration } from '../util/duration.ts';
import { isKeyName, notKeyNames } from '../util/key-name.ts';
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

const TOP_KEYS = ['tls_server_config', 'http_server_config', 'basic_auth_users', 'rate_limit'];
const TLS_KEYS = [
  'cert',
  'key',
  'client_ca',
  'cert_file',
  'key_file',
  'client_auth_type',
  'client_ca_file',
  'client_allowed_sans',
  'min_version',
  'max_version',
  'cipher_suites',
  'prefer_server_cipher_suites',
  'curve_preferences',
];
const HTTP_KEYS = ['http2', 'headers'];
const RATE_LIMIT_KEYS = ['interval', 'burst'];

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

type Mapping = Map<string, unknown>;

class Issues {
  readonly errors: string[] = [];
  readonly warnings: string[] = [];
  error(key: string, message: string): void {
    this.errors.push(key === '' ? message : `${key}: ${message}`);
  }
  warn(key: string, message: string): void {
    this.warnings.push(`${key}: ${message}`);
  }
}

/** A mapping's entries, with unknown keys reported; null or absent = empty (YAML `key:` with no value). */
function mapping(value: unknown, at: string, allowed: readonly string[] | undefined, issues: Issues): Mapping {
  if (value === undefined || value === null) return new Map();
  if (!isMapping(value)) {
    issues.error(at, `must be a mapping, got ${kindOf(value)}`);
    return new Map();
  }
  const out: Mapping = new Map();
  let hidden = 0;
  for (const [key, v] of Object.entries(value)) {
    if (allowed !== undefined && !allowed.includes(key)) {
      if (isKeyName(key)) issues.error(at === '' ? key : `${at}.${key}`, `unknown key (expected one of: ${allowed.join(', ')})`);
      else hidden++;
      continue;
    }
    out.set(key, v);
  }
  if (hidden > 0) issues.error(at, notKeyNames(hidden));
  return out;
}

/** A string value; absent, null and '' are all "not set" (Go's zero value); null: set, but not a string (reported). */
function str(m: Mapping, key: string, at: string, issues: Issues): string | undefined | null {
  const v = m.get(key);
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') {
    issues.error(`${at}.${key}`, `must be a string, got ${kindOf(v)}`);
    return null;
  }
  return v;
}

function bool(m: Mapping, key: string, at: string, fallback: boolean, issues: Issues): boolean {
  const v = m.get(key);
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'boolean') {
    issues.error(`${at}.${key}`, `must be true or false, got ${kindOf(v)}`);
    return fallback;
  }
  return v;
}

function strings(m: Mapping, key: string, at: string, issues: Issues): string[] | undefined {
  const v = m.get(key);
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((s): s is string => typeof s === 'string')) {
    issues.error(`${at}.${key}`, `must be a list of strings, got ${kindOf(v)}`);
    return undefined;
  }
  return v;
}

/** undefined: neither key set; null: set, but wrong (reported). */
function pem(m: Mapping, inlineKey: string, fileKey: string, dir: string, issues: Issues): PemSource | undefined | null {
  const inline = str(m, inlineKey, 'tls_server_config', issues);
  const file = str(m, fileKey, 'tls_server_config', issues);
  if (inline === null || file === null) return null;
  if (inline !== undefined && file !== undefined) {
    issues.error(`tls_server_config.${fileKey}`, `set ${inlineKey} or ${fileKey}, not both`);
    return null;
  }
  if (file !== undefined) return { file: path.resolve(dir, file) };
  return inline === undefined ? undefined : { inline };
}

function version(m: Mapping, key: string, fallback: TlsVersionName, issues: Issues): TlsVersionName {
  const v = str(m, key, 'tls_server_config', issues);
  if (v === undefined || v === null) return fallback;
  if (Object.hasOwn(TLS_VERSIONS, v)) return v as TlsVersionName;
  issues.error(`tls_server_config.${key}`, `unknown TLS version ${JSON.stringify(v)} (expected one of: ${Object.keys(TLS_VERSIONS).join(', ')})`);
  return fallback;
}

function tlsSection(raw: unknown, dir: string, issues: Issues): TlsServerConfig | undefined {
  const at = 'tls_server_config';
  const m = mapping(raw, at, TLS_KEYS, issues);
  const cert = pem(m, 'cert', 'cert_file', dir, issues);
  const key = pem(m, 'key', 'key_file', dir, issues);
  const clientCa = pem(m, 'client_ca', 'client_ca_file', dir, issues);
  const authText = str(m, 'client_auth_type', at, issues);
  // The toolkit's rule: any of these set means TLS; none means plain HTTP.
  if (cert === undefined && key === undefined && clientCa === undefined && authText === undefined) {
    for (const k of m.keys()) {
      if (!['cert', 'key', 'client_ca', 'cert_file', 'key_file', 'client_ca_file', 'client_auth_type'].includes(k) && m.get(k) !== null) {
        issues.warn(`${at}.${k}`, 'ignored: TLS is off (no cert_file, key_file, client_ca_file or client_auth_type)');
      }
    }
    return undefined;
  }
  if (cert === undefined) issues.error(at, 'missing one of cert or cert_file');
  if (key === undefined) issues.error(at, 'missing one of key or key_file');

  let clientAuth: ClientAuthType = 'NoClientCert';
  if (typeof authText === 'string') {
    const known = (CLIENT_AUTH_TYPES as readonly string[]).includes(authText) ? (authText as ClientAuthType) : CLIENT_AUTH_ALIASES[authText];
    if (known === undefined) issues.error(`${at}.client_auth_type`, `${JSON.stringify(authText)} is not one of ${CLIENT_AUTH_TYPES.join(', ')}`);
    else clientAuth = known;
  }
  if (clientCa && clientAuth === 'NoClientCert') {
    issues.error(`${at}.client_auth_type`, 'a client CA is set but client_auth_type is NoClientCert: set RequireAndVerifyClientCert (or remove the CA)');
  }
  if (clientCa === undefined && (clientAuth === 'RequireAndVerifyClientCert' || clientAuth === 'VerifyClientCertIfGiven')) {
    issues.warn(`${at}.client_auth_type`, `${clientAuth} without client_ca_file: client certificates are verified against Node's bundled root CAs`);
  }
  if (clientAuth === 'RequestClientCert' || clientAuth === 'RequireAnyClientCert') {
    issues.warn(`${at}.client_auth_type`, `${clientAuth} does not verify client certificates; use RequireAndVerifyClientCert to authenticate clients`);
  }
  const sans = strings(m, 'client_allowed_sans', at, issues);
  if (sans !== undefined && clientAuth !== 'RequireAnyClientCert' && clientAuth !== 'RequireAndVerifyClientCert') {
    issues.error(`${at}.client_allowed_sans`, 'requires client_auth_type to be one of RequireAnyClientCert or RequireAndVerifyClientCert');
  }

  const minVersion = version(m, 'min_version', 'TLS12', issues);
  const maxVersion = version(m, 'max_version', 'TLS13', issues);
  if (minVersion === 'TLS10' || minVersion === 'TLS11') {
    // measured, Node 20: "tls_choose_sigalg: no suitable signature algorithm" for a TLS 1.0/1.1 client
    issues.warn(`${at}.min_version`, `${minVersion}: Node's OpenSSL 3 refuses TLS 1.0 and 1.1 handshakes at its default security level; TLS 1.2 is the lowest that works`);
  }
  const order = Object.keys(TLS_VERSIONS);
  if (order.indexOf(minVersion) > order.indexOf(maxVersion)) {
    issues.error(`${at}.min_version`, `${minVersion} is above max_version ${maxVersion}`);
  }

  let ciphers: string[] | undefined;
  for (const name of strings(m, 'cipher_suites', at, issues) ?? []) {
    const openssl = TLS12_CIPHERS[name];
    if (openssl !== undefined) (ciphers ??= []).push(openssl);
    else if (TLS13_CIPHERS.includes(name)) issues.warn(`${at}.cipher_suites`, `${name} is a TLS 1.3 suite: TLS 1.3 suites are not configurable (as in Go), ignored`);
    else issues.error(`${at}.cipher_suites`, `unknown cipher ${JSON.stringify(name)} (expected Go names from tls.CipherSuites(), e.g. TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)`);
  }

  let curves: string[] | undefined;
  for (const name of strings(m, 'curve_preferences', at, issues) ?? []) {
    const group = CURVES[name];
    if (group !== undefined) (curves ??= []).push(group);
    else issues.error(`${at}.curve_preferences`, `unknown curve ${JSON.stringify(name)} (expected one of: ${Object.keys(CURVES).join(', ')})`);
  }

  if (!cert || !key || clientCa === null || authText === null) return undefined;
  const tls: TlsServerConfig = { cert, key, clientAuth, minVersion, maxVersion, preferServerCipherSuites: bool(m, 'prefer_server_cipher_suites', at, true, issues) };
  if (clientCa !== undefined) tls.clientCa = clientCa;
  if (sans !== undefined) tls.clientAllowedSans = sans;
  if (ciphers !== undefined) tls.ciphers = ciphers;
  if (curves !== undefined) tls.curves = curves;
  return tls;
}

function headersSection(raw: unknown, issues: Issues): Array<[string, string]> {
  const at = 'http_server_config.headers';
  const out: Array<[string, string]> = [];
  for (const [name, value] of mapping(raw, at, undefined, issues)) {
    if (!Object.hasOwn(SETTABLE_HEADERS, name)) {
      issues.error(`${at}.${name}`, `this header can not be configured (expected one of: ${Object.keys(SETTABLE_HEADERS).join(', ')})`);
      continue;
    }
    if (value === null || value === '') continue; // "unset if blank"
    if (typeof value !== 'string') {
      issues.error(`${at}.${name}`, `must be a string, got ${kindOf(value)}`);
      continue;
    }
    const allowed = SETTABLE_HEADERS[name];
    if (allowed !== undefined && !allowed.includes(value)) {
      issues.error(`${at}.${name}`, `${JSON.stringify(value)} is not one of ${allowed.join(', ')}`);
      continue;
    }
    out.push([name, value]);
  }
  return out;
}

const MAKE_HASH = 'make one with `htpasswd -nBC 10 "" | tr -d \':\\n\'`';

function usersSection(raw: unknown, issues: Issues): Map<string, string> {
  const users = new Map<string, string>();
  const costs = new Set<number>();
  for (const [user, hash] of mapping(raw, 'basic_auth_users', undefined, issues)) {
    const at = `basic_auth_users.${user}`;
    // Never echo the value: it may be a plain password written there by mistake.
    const cost = typeof hash === 'string' ? bcryptCost(hash) : NaN;
    if (typeof hash !== 'string') issues.error(at, `must be a bcrypt hash (a string), got ${kindOf(hash)}`);
    else if (!(cost >= 4 && cost <= 31)) issues.error(at, `is not a bcrypt hash ($2y$10$ and 53 characters; ${MAKE_HASH})`);
    else if (cost > MAX_BCRYPT_COST) {
      issues.error(at, `bcrypt cost ${cost} is above ${MAX_BCRYPT_COST}: every check, a wrong password's too, would take ${2 ** (cost - 10) / 10} s or more of a core; ${MAKE_HASH}`);
    } else {
      users.set(user, hash);
      costs.add(cost);
    }
    if (user.includes(':')) issues.error(at, 'a user name cannot contain ":" (HTTP basic auth splits on it)');
  }
  if (costs.size > 1) {
    const list = [...costs].sort((a, b) => a - b).join(', ');
    issues.warn('basic_auth_users', `hashes of different bcrypt costs (${list}): how long a check takes tells a user's cost, and so that a user of a lower cost exists; use one cost for all`);
  }
  return users;
}

function rateLimitSection(raw: unknown, issues: Issues): WebConfig['rateLimit'] {
  const m = mapping(raw, 'rate_limit', RATE_LIMIT_KEYS, issues);
  if (m.size === 0) return undefined;
  const intervalRaw = m.get('interval');
  let intervalMs = 0;
  if (intervalRaw !== undefined && intervalRaw !== null) {
    const ms = typeof intervalRaw === 'string' ? parseDuration(intervalRaw) : undefined;
    if (ms === undefined) issues.error('rate_limit.interval', `must be a duration such as "1s", got ${typeof intervalRaw === 'string' ? JSON.stringify(intervalRaw) : kindOf(intervalRaw)}`);
    else intervalMs = ms;
  }
  const burst = m.get('burst') ?? 0;
  if (typeof burst !== 'number' || !Number.isSafeInteger(burst) || burst < 0) {
    issues.error('rate_limit.burst', `must be a whole number, got ${kindOf(burst)}`);
    return undefined;
  }
  if (intervalMs === 0) return undefined; // the toolkit: "set to 0 to disable rate limiter"
  if (burst === 0) {
    issues.error('rate_limit.burst', 'must be 1 or more when interval is set (0 would refuse every request)');
    return undefined;
  }
  return { intervalMs, burst };
}

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
  const issues = new Issues();
  if (raw !== null && raw !== undefined && !isMapping(raw)) {
    return { ok: false, errors: [`the top level must be a mapping, got ${kindOf(raw)}`] };
  }
  const top = mapping(raw, '', TOP_KEYS, issues);
  const httpSection = mapping(top.get('http_server_config'), 'http_server_config', HTTP_KEYS, issues);
  const tls = tlsSection(top.get('tls_server_config'), path.dirname(path.resolve(file)), issues);
  const config: WebConfig = {
    http2: bool(httpSection, 'http2', 'http_server_config', true, issues),
    headers: headersSection(httpSection.get('headers'), issues),
    users: usersSection(top.get('basic_auth_users'), issues),
  };
  if (tls !== undefined) config.tls = tls;
  const rateLimit = rateLimitSection(top.get('rate_limit'), issues);
  if (rateLimit !== undefined) config.rateLimit = rateLimit;
  if (issues.errors.length > 0) return { ok: false, errors: issues.errors };
  return { ok: true, config, warnings: issues.warnings };
}

/** Reads and parses the file; a read error is one error naming its code. */
export function readWebConfig(file: string): WebConfigResult {
  const read = readRegularText(file);
  if (!read.ok) return { ok: false, errors: [`cannot read the web config file (${read.reason})`] };
  return parseWebConfig(read.text, file);
}
