// The hosts list: Docker URLs, and each item checked against the item schema of schema.ts,
// with its files checked for readability and its relative paths resolved.
//
// URLs (the forms `docker -H` takes, minus the ones a fleet exporter has no use for):
//   unix:///abs/path.sock
//   tcp://host[:port]       port defaults as in the docker CLI: 2376 with a tls block, else 2375
//   ssh://user@host[:port]  port defaults to 22; the remote socket is ssh.socket_path
// Credentials never go in a URL: a password is rejected without being echoed.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { reservedLabels } from '../metrics/families/index.ts';
import { parseDuration } from '../util/duration.ts';
import { loadTlsContext } from './tls-material.ts';
import type { Endpoint, HostConfig, SshOptions, TlsFiles } from './types.ts';
import {
  HOST_KEYS,
  HOST_NAME,
  LABEL_NAME,
  SSH_DEFAULTS,
  SSH_FINGERPRINT,
  SSH_KEYS,
  TLS_KEYS,
  kindOf,
  durationCheck,
  isMapping,
  type ConfigIssue,
} from './schema.ts';

export type ParsedUrl =
  | { kind: 'unix'; socketPath: string }
  | { kind: 'tcp'; host: string; port: number }
  | { kind: 'ssh'; user: string; host: string; port: number };

export type UrlResult = { ok: true; value: ParsedUrl } | { ok: false; error: string };

export const TCP_PORT = 2375;
export const TCP_TLS_PORT = 2376;
export const SSH_PORT = 22;

const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(.*)$/s;
const HOSTNAME = /^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?$/;
const SSH_USER = /^[A-Za-z0-9_.][A-Za-z0-9_.-]*$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Messages may name the scheme, host and port, but never echo the whole URL. */
export function parseDockerUrl(text: string, opts: { tls: boolean }): UrlResult {
  const fail = (error: string): UrlResult => ({ ok: false, error });
  const m = SCHEME.exec(text);
  if (!m) return fail('not a URL: expected unix:///path/to/docker.sock, tcp://host:port or ssh://user@host');
  const scheme = m[1]!.toLowerCase();
  const rest = m[2]!;
  // Before anything else, so that no later message can carry a password.
  if (scheme !== 'unix') {
    const at = rest.lastIndexOf('@');
    if (at >= 0 && rest.slice(0, at).includes(':')) {
      return fail('must not contain a password: use ssh.identity_file, ssh.agent or ssh.passphrase_file/passphrase_env');
    }
  }
  if (/\s/.test(text)) return fail('must not contain whitespace');
  if (/[?#]/.test(rest)) return fail('must not have a query or fragment');
  switch (scheme) {
    case 'unix':
      if (!rest.startsWith('/') || rest === '/') return fail('unix:// needs an absolute socket path, e.g. unix:///var/run/docker.sock');
      return { ok: true, value: { kind: 'unix', socketPath: rest } };
    case 'tcp':
    case 'ssh':
      return parseNetworkUrl(scheme, rest, opts.tls);
    case 'http':
    case 'https':
      return fail(`unsupported scheme "${scheme}": use tcp://host:port (with a tls block for TLS)`);
    default:
      return fail(`unsupported scheme "${scheme}": use unix://, tcp:// or ssh://`);
  }
}

function parseNetworkUrl(scheme: 'tcp' | 'ssh', rest: string, tls: boolean): UrlResult {
  const fail = (error: string): UrlResult => ({ ok: false, error });
  const slash = rest.indexOf('/');
  const authority = slash >= 0 ? rest.slice(0, slash) : rest;
  if (slash >= 0 && rest.slice(slash) !== '/') {
    return fail(scheme === 'ssh' ? 'ssh:// URLs take no path: set ssh.socket_path for the remote socket' : 'tcp:// URLs take no path');
  }
  const at = authority.lastIndexOf('@');
  let user: string | undefined;
  let hostPort = authority;
  if (at >= 0) {
    if (scheme === 'tcp') return fail('tcp:// URLs take no user name');
    user = authority.slice(0, at);
    hostPort = authority.slice(at + 1);
  }
  if (scheme === 'ssh') {
    if (user === undefined || user === '') return fail('ssh:// needs a user: ssh://user@host[:port]');
    if (!SSH_USER.test(user)) return fail(`${JSON.stringify(user)} is not a valid user name`);
  }
  const hp = splitHostPort(hostPort);
  if (!hp.ok) return hp;
  const port = hp.port ?? (scheme === 'ssh' ? SSH_PORT : tls ? TCP_TLS_PORT : TCP_PORT);
  if (scheme === 'ssh') return { ok: true, value: { kind: 'ssh', user: user!, host: hp.host, port } };
  return { ok: true, value: { kind: 'tcp', host: hp.host, port } };
}

/** "host", "host:port", "[v6]" or "[v6]:port"; the host comes back without brackets. */
function splitHostPort(text: string): { ok: true; host: string; port?: number } | { ok: false; error: string } {
  let host: string;
  let portText: string | undefined;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) return { ok: false, error: 'unterminated [ in the host' };
    host = text.slice(1, close);
    if (!net.isIPv6(host)) return { ok: false, error: `${JSON.stringify(host)} is not an IPv6 address` };
    const after = text.slice(close + 1);
    if (after !== '') {
      if (!after.startsWith(':')) return { ok: false, error: 'unexpected text after the ] of the host' };
      portText = after.slice(1);
    }
  } else {
    const parts = text.split(':');
    if (parts.length > 2) return { ok: false, error: 'IPv6 addresses need brackets: tcp://[::1]:2376' };
    host = parts[0]!;
    portText = parts[1];
    if (host === '') return { ok: false, error: 'missing host' };
    if (!HOSTNAME.test(host)) return { ok: false, error: `${JSON.stringify(host)} is not a valid host name` };
  }
  if (portText === undefined) return { ok: true, host };
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 1 && port <= 65535)) return { ok: false, error: `bad port ${JSON.stringify(portText)}: must be 1-65535` };
  return { ok: true, host, port };
}

// ---- files ---------------------------------------------------------------------------------

export interface HostContext {
  /** Relative paths in tls/ssh blocks are resolved against this (the config file's directory). */
  baseDir: string;
  env: NodeJS.ProcessEnv;
  /** For a leading "~/" in paths. */
  homeDir: string;
}

export function resolvePath(p: string, ctx: Pick<HostContext, 'baseDir' | 'homeDir'>): string {
  if (p === '~' || p.startsWith('~/')) return path.join(ctx.homeDir, p.slice(1));
  return path.resolve(ctx.baseDir, p);
}

/** Why `file` cannot be read as a file now, or undefined when it can. Never reads contents. */
export function unreadable(file: string): string | undefined {
  try {
    fs.accessSync(file, fs.constants.R_OK);
    if (fs.statSync(file).isDirectory()) return `${file} is a directory, not a file`;
    return undefined;
  } catch (err) {
    return `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`;
  }
}

/**
 * A warning when a secret file is open to group or others, as ssh warns of an "UNPROTECTED
 * PRIVATE KEY FILE" (a warning here, not a refusal); undefined when it is private or unknown.
 */
export function unprotected(file: string, what: 'private key' | 'passphrase'): string | undefined {
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

// ---- one hosts[] item ---------------------------------------------------------------------

/** Issues of one item, with its path prefix and (once known) its name. */
class ItemIssues {
  readonly issues: ConfigIssue[] = [];
  readonly warnings: ConfigIssue[] = [];
  host?: string;
  constructor(readonly prefix: string) {}
  add(key: string, message: string): void {
    this.issues.push(this.issue(key, message));
  }
  warn(key: string, message: string): void {
    this.warnings.push(this.issue(key, message));
  }
  private issue(key: string, message: string): ConfigIssue {
    const issue: ConfigIssue = { path: key === '' ? this.prefix : `${this.prefix}.${key}`, message };
    if (this.host !== undefined) issue.host = this.host;
    return issue;
  }
}

function unknownKeys(block: Record<string, unknown>, allowed: readonly string[], at: string, out: ItemIssues): void {
  for (const key of Object.keys(block)) {
    if (!allowed.includes(key)) {
      out.add(at === '' ? key : `${at}.${key}`, `unknown key (expected one of: ${allowed.join(', ')})`);
    }
  }
}

const given = (b: Record<string, unknown>, key: string): boolean => b[key] !== undefined && b[key] !== null;

/** An optional block: absent or null = not given; anything but a mapping is an issue. */
function block(item: Record<string, unknown>, key: string, out: ItemIssues): Record<string, unknown> | undefined {
  const value = item[key];
  if (value === undefined || value === null) return undefined;
  if (!isMapping(value)) {
    out.add(key, `must be a mapping, got ${kindOf(value)}`);
    return undefined;
  }
  return value;
}

function optionalString(b: Record<string, unknown>, key: string, at: string, out: ItemIssues): string | undefined {
  const value = b[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value === '') {
    out.add(`${at}.${key}`, `must be a non-empty string, got ${kindOf(value)}`);
    return undefined;
  }
  return value;
}

function optionalBool(b: Record<string, unknown>, key: string, at: string, out: ItemIssues): boolean {
  const value = b[key];
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean') {
    out.add(`${at}.${key}`, `must be true or false, got ${kindOf(value)}`);
    return false;
  }
  return value;
}

/** A path key: resolved, and checked readable; a secret one also checked private. */
function fileKey(
  b: Record<string, unknown>,
  key: string,
  at: string,
  out: ItemIssues,
  ctx: HostContext,
  secret?: 'private key' | 'passphrase',
): string | undefined {
  const raw = optionalString(b, key, at, out);
  if (raw === undefined) return undefined;
  const file = resolvePath(raw, ctx);
  const problem = unreadable(file);
  if (problem !== undefined) out.add(`${at}.${key}`, problem);
  else if (secret !== undefined) {
    const warning = unprotected(file, secret);
    if (warning !== undefined) out.warn(`${at}.${key}`, warning);
  }
  return file;
}

/**
 * passphrase_file or passphrase_env of a block whose encrypted key is `keyName`: one of them,
 * only with the key, and of the variable only whether it is set (its value is a secret).
 */
function passphraseOf(
  b: Record<string, unknown>,
  at: 'tls' | 'ssh',
  keyName: string,
  out: ItemIssues,
  ctx: HostContext,
): { passphraseFile?: string; passphraseEnv?: string } {
  const result: { passphraseFile?: string; passphraseEnv?: string } = {};
  const passphraseFile = fileKey(b, 'passphrase_file', at, out, ctx, 'passphrase');
  const passphraseEnv = optionalString(b, 'passphrase_env', at, out);
  if (passphraseFile !== undefined) result.passphraseFile = passphraseFile;
  if (passphraseFile !== undefined && passphraseEnv !== undefined) {
    out.add(`${at}.passphrase_env`, 'passphrase_file and passphrase_env exclude each other: set one');
  }
  if ((passphraseFile !== undefined || passphraseEnv !== undefined) && !given(b, keyName)) {
    out.add(passphraseFile !== undefined ? `${at}.passphrase_file` : `${at}.passphrase_env`, `a passphrase needs ${keyName}`);
  }
  if (passphraseEnv !== undefined) {
    if (!ENV_NAME.test(passphraseEnv)) out.add(`${at}.passphrase_env`, `${JSON.stringify(passphraseEnv)} is not an environment variable name`);
    else if (ctx.env[passphraseEnv] === undefined) out.add(`${at}.passphrase_env`, `environment variable ${passphraseEnv} is not set`);
    else result.passphraseEnv = passphraseEnv;
  }
  return result;
}

function durationKey(b: Record<string, unknown>, key: string, fallback: string, min: 'zero' | 'positive', at: string, out: ItemIssues): number {
  const value = b[key] ?? fallback;
  const problem = durationCheck(min)(value);
  if (problem !== undefined) {
    out.add(`${at}.${key}`, problem);
    return 0;
  }
  return parseDuration(value as string) ?? 0;
}

function labelsOf(item: Record<string, unknown>, out: ItemIssues): Record<string, string> {
  const labels = block(item, 'labels', out);
  if (labels === undefined) return {};
  const entries: [string, string][] = [];
  const reserved = reservedLabels();
  for (const [name, value] of Object.entries(labels)) {
    const at = `labels.${name}`;
    const prefix = reserved.prefixes.find((p) => name.startsWith(p.prefix));
    if (!LABEL_NAME.test(name)) out.add(at, `${JSON.stringify(name)} is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*)`);
    else if (name.startsWith('__')) out.add(at, 'label names starting with "__" are reserved by Prometheus');
    else if (prefix !== undefined) out.add(at, `label names starting with "${prefix.prefix}" are ${prefix.what}`);
    else if (reserved.names.has(name)) out.add(at, `"${name}" is a label the exporter sets itself (reserved: ${[...reserved.names].join(', ')})`);
    else if (typeof value !== 'string') out.add(at, `must be a string, got ${kindOf(value)} (quote numbers and booleans)`);
    else entries.push([name, value]);
  }
  return Object.fromEntries(entries);
}

function tlsOf(b: Record<string, unknown>, out: ItemIssues, ctx: HostContext): TlsFiles {
  unknownKeys(b, TLS_KEYS, 'tls', out);
  const before = out.issues.length;
  const tls: TlsFiles = { insecureSkipVerify: optionalBool(b, 'insecure_skip_verify', 'tls', out) };
  const ca = fileKey(b, 'ca', 'tls', out, ctx);
  const cert = fileKey(b, 'cert', 'tls', out, ctx);
  const key = fileKey(b, 'key', 'tls', out, ctx, 'private key');
  if (ca !== undefined) tls.ca = ca;
  if (cert !== undefined) tls.cert = cert;
  if (key !== undefined) tls.key = key;
  Object.assign(tls, passphraseOf(b, 'tls', 'key', out, ctx));
  // Checked on the raw keys, so a key that is present but bad is not also reported missing.
  if (given(b, 'cert') && !given(b, 'key')) out.add('tls.key', 'missing: tls.cert and tls.key go together');
  if (given(b, 'key') && !given(b, 'cert')) out.add('tls.cert', 'missing: tls.cert and tls.key go together');
  if (!given(b, 'ca') && !tls.insecureSkipVerify) {
    out.add('tls.ca', 'missing: the daemon\'s certificate is verified against it (or set insecure_skip_verify: true)');
  }
  // The files' contents, once every file is there: as the connections will load them.
  if (out.issues.length === before) {
    const loaded = loadTlsContext(tls, ctx.env);
    if (!loaded.ok) for (const p of loaded.problems) out.add(`tls.${p.key}`, p.message);
  }
  if (tls.insecureSkipVerify) out.warn('tls.insecure_skip_verify', 'the daemon\'s TLS certificate is not verified');
  return tls;
}

function sshOf(b: Record<string, unknown>, out: ItemIssues, ctx: HostContext): SshOptions {
  unknownKeys(b, SSH_KEYS, 'ssh', out);
  const at = 'ssh';
  const socketPath = optionalString(b, 'socket_path', at, out) ?? SSH_DEFAULTS.socket_path;
  if (!socketPath.startsWith('/')) out.add('ssh.socket_path', 'must be an absolute path on the remote host');
  const ssh: SshOptions = {
    socketPath,
    insecureIgnoreHostKey: optionalBool(b, 'insecure_ignore_host_key', at, out),
    keepaliveIntervalMs: durationKey(b, 'keepalive_interval', SSH_DEFAULTS.keepalive_interval, 'zero', at, out),
    connectTimeoutMs: durationKey(b, 'connect_timeout', SSH_DEFAULTS.connect_timeout, 'positive', at, out),
  };
  const identityFile = fileKey(b, 'identity_file', at, out, ctx, 'private key');
  Object.assign(ssh, passphraseOf(b, at, 'identity_file', out, ctx));
  const agent = optionalString(b, 'agent', at, out);
  const knownHosts = fileKey(b, 'known_hosts', at, out, ctx);
  const fingerprint = optionalString(b, 'host_key_fingerprint', at, out);
  if (identityFile !== undefined) ssh.identityFile = identityFile;
  if (knownHosts !== undefined) ssh.knownHosts = knownHosts;

  const envAgent = ctx.env['SSH_AUTH_SOCK'];
  if (agent !== undefined) ssh.agent = resolvePath(agent, ctx);
  else if (identityFile === undefined && envAgent !== undefined && envAgent !== '') ssh.agent = envAgent;
  if (!given(b, 'identity_file') && !given(b, 'agent') && ssh.agent === undefined) {
    out.add('ssh.identity_file', 'ssh needs identity_file or agent (and SSH_AUTH_SOCK is not set)');
  }

  if (fingerprint !== undefined) {
    if (SSH_FINGERPRINT.test(fingerprint)) ssh.hostKeyFingerprint = fingerprint;
    else out.add('ssh.host_key_fingerprint', 'must be "SHA256:" and 43 base64 characters without padding, as `ssh-keygen -lf` prints it');
  }
  const hostKeyGiven = given(b, 'known_hosts') || given(b, 'host_key_fingerprint');
  if (!hostKeyGiven && !ssh.insecureIgnoreHostKey) {
    out.add('ssh.known_hosts', 'missing: the daemon\'s host key must be verified: set known_hosts or host_key_fingerprint (or insecure_ignore_host_key: true)');
  }
  if (ssh.insecureIgnoreHostKey) out.warn('ssh.insecure_ignore_host_key', 'the daemon\'s SSH host key is not verified');
  return ssh;
}

interface ItemResult {
  host?: HostConfig;
  issues: ConfigIssue[];
  warnings: ConfigIssue[];
}

function checkItem(item: unknown, index: number, ctx: HostContext): ItemResult {
  const out = new ItemIssues(`hosts[${index}]`);
  if (!isMapping(item)) {
    out.add('', `must be a mapping with name and url, got ${kindOf(item)}`);
    return { issues: out.issues, warnings: out.warnings };
  }
  const name = item['name'];
  if (typeof name === 'string' && HOST_NAME.test(name)) out.host = name;
  else if (name === undefined || name === null || name === '') out.add('name', 'missing: every host needs a unique name');
  else if (typeof name !== 'string') out.add('name', `must be a string, got ${kindOf(name)}`);
  else out.add('name', `${JSON.stringify(name)}: use letters, digits, ".", "_" and "-" (at most 128, starting with a letter or digit)`);

  unknownKeys(item, HOST_KEYS, '', out);
  const labels = labelsOf(item, out);
  const tlsBlock = block(item, 'tls', out);
  const sshBlock = block(item, 'ssh', out);

  const url = item['url'];
  let parsed: ParsedUrl | undefined;
  if (url === undefined || url === null || url === '') out.add('url', 'missing: e.g. unix:///var/run/docker.sock, tcp://host:2376 or ssh://user@host');
  else if (typeof url !== 'string') out.add('url', `must be a string, got ${kindOf(url)}`);
  else {
    const r = parseDockerUrl(url, { tls: tlsBlock !== undefined });
    if (r.ok) parsed = r.value;
    else out.add('url', r.error);
  }

  if (tlsBlock !== undefined && parsed !== undefined && parsed.kind !== 'tcp') {
    out.add('tls', `only valid with tcp:// URLs (this host's url is ${parsed.kind}://)`);
  }
  if (sshBlock !== undefined && parsed !== undefined && parsed.kind !== 'ssh') {
    out.add('ssh', `only valid with ssh:// URLs (this host's url is ${parsed.kind}://)`);
  }

  let endpoint: Endpoint | undefined;
  if (parsed?.kind === 'unix') endpoint = parsed;
  else if (parsed?.kind === 'tcp') {
    endpoint = { ...parsed };
    if (tlsBlock !== undefined) endpoint.tls = tlsOf(tlsBlock, out, ctx);
    else out.warn('url', 'tcp:// without a tls block: the Docker API is reachable unauthenticated and unencrypted');
  } else if (parsed?.kind === 'ssh') {
    endpoint = { ...parsed, ssh: sshOf(sshBlock ?? {}, out, ctx) };
  } else if (parsed === undefined) {
    // The url is bad: still check the blocks, to report everything at once.
    if (tlsBlock !== undefined) tlsOf(tlsBlock, out, ctx);
    if (sshBlock !== undefined) sshOf(sshBlock, out, ctx);
  }
  if (out.issues.length > 0 || endpoint === undefined || out.host === undefined || typeof url !== 'string') {
    return { issues: out.issues, warnings: out.warnings };
  }
  return { host: { name: out.host, url, endpoint, labels }, issues: [], warnings: out.warnings };
}

export interface HostsResult {
  hosts: HostConfig[];
  issues: ConfigIssue[];
  warnings: ConfigIssue[];
}

/** Validates and normalizes the whole `hosts` value; `hosts` is complete only without issues. */
export function checkHosts(value: unknown, ctx: HostContext): HostsResult {
  const result: HostsResult = { hosts: [], issues: [], warnings: [] };
  if (!Array.isArray(value)) {
    result.issues.push({ path: 'hosts', message: `must be a list of hosts, got ${kindOf(value)}` });
    return result;
  }
  if (value.length === 0) {
    result.issues.push({ path: 'hosts', message: 'at least one host is required' });
    return result;
  }
  const firstIndex = new Map<string, number>();
  value.forEach((item, index) => {
    const r = checkItem(item, index, ctx);
    result.issues.push(...r.issues);
    result.warnings.push(...r.warnings);
    if (r.host !== undefined) result.hosts.push(r.host);
    // Duplicates are checked on the raw names, so a bad second item still reports them.
    const name = isMapping(item) ? item['name'] : undefined;
    if (typeof name !== 'string' || name === '') return;
    const first = firstIndex.get(name);
    if (first === undefined) firstIndex.set(name, index);
    else result.issues.push({ path: `hosts[${index}].name`, host: name, message: `duplicate host name "${name}" (also hosts[${first}].name)` });
  });
  return result;
}
