// The built exporter run as a user runs it: `node dist/src/cli.js --config.file ... ` on a free
// port, a config file written here, stdout/stderr kept in .run/ for post-mortems.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, closeSync, readFileSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort } from '../../support/net.ts';
import { REPO_DIR, RUN_DIR, type Fleet, HOST_A, HOST_B, HOST_A_SSH, type TlsPaths } from './fleet.ts';
import { parseExposition, type Exposition } from './exposition.ts';

/** E2E_EXPORTER_CLI runs another build (e.g. a deliberately broken copy, to see the suite fail). */
export const CLI = process.env.E2E_EXPORTER_CLI || join(REPO_DIR, 'dist', 'src', 'cli.js');


export interface HttpResult {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

/** `ca`: for an https:// URL, the CA (PEM) its server certificate is verified against. */
export interface GetOptions {
  ca?: string;
  headers?: Record<string, string>;
}

export async function httpGet(url: string, timeoutMs = 30_000, opts: GetOptions = {}): Promise<HttpResult> {
  return httpRequest('GET', url, timeoutMs, opts);
}

export async function httpRequest(method: string, url: string, timeoutMs = 30_000, opts: GetOptions = {}): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const send = url.startsWith('https:') ? httpsRequest : request;
    const req = send(url, { method, timeout: timeoutMs, ...(opts.ca === undefined ? {} : { ca: opts.ca }), ...(opts.headers === undefined ? {} : { headers: opts.headers }) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${url}: timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

export interface HostEntry {
  name: string;
  url: string;
  labels?: Record<string, string>;
  tls?: TlsPaths;
  ssh?: Record<string, string>;
}

export const hostA = (f: Fleet): HostEntry => ({ name: HOST_A, url: `unix://${f.a.socket}`, labels: { dc: 'e2e' } });
export const hostB = (f: Fleet, tls: TlsPaths = f.b.tls): HostEntry => ({
  name: HOST_B,
  url: `tcp://${f.b.tcp_host}:${f.b.tcp_port}`,
  tls,
});
export const hostASsh = (f: Fleet): HostEntry => ({
  name: HOST_A_SSH,
  url: `ssh://${f.ssh.user}@${f.ssh.host}:${f.ssh.port}`,
  ssh: { identity_file: f.ssh.identity_file, known_hosts: f.ssh.known_hosts, socket_path: f.ssh.socket_path },
});

export interface Exporter {
  readonly url: string;
  readonly address: string;
  readonly child: ChildProcess;
  readonly logFile: string;
  readonly configFile: string;
  /** Rewrites the config file (to reload it). */
  writeConfig(hosts: HostEntry[], extra?: Record<string, unknown>): void;
  scrape(path?: string): Promise<Exposition & { body: string; seconds: number }>;
  get(path: string): Promise<HttpResult>;
  /** SIGTERM; resolves with the exit code. */
  stop(): Promise<number | null>;
  logTail(lines?: number): string;
}

export interface StartOptions {
  /** more command-line flags */
  flags?: string[];
  /** the endpoint serves TLS (a web config): https, verified against this CA (PEM) */
  ca?: string;
  /** more environment variables */
  env?: Record<string, string>;
}

/** Writes a config naming `hosts` and starts the exporter on it; resolves once /-/healthy answers. */
export async function startExporter(tag: string, hosts: HostEntry[], extra: Record<string, unknown> = {}, opts: StartOptions = {}): Promise<Exporter> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first`);
  const dir = join(RUN_DIR, `exporter-${tag}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const configFile = join(dir, 'config.yml');
  const writeConfig = (hosts: HostEntry[], extra: Record<string, unknown> = {}) =>
    writeFileSync(configFile, stringify({ collection: { timeout: '8s' }, ...extra, ...(hosts.length > 0 ? { hosts } : {}) }));
  writeConfig(hosts, extra);
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const logFile = join(dir, 'exporter.log');
  const out = openSync(logFile, 'a');
  const child = spawn(process.execPath, [CLI, '--config.file', configFile, '--web.listen-address', address, '--log.level', 'info', ...(opts.flags ?? [])], {
    cwd: REPO_DIR,
    stdio: ['ignore', out, out],
    // The tests' own DOCKER_* must not leak into a process that builds its clients explicitly.
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', ...opts.env },
  });
  closeSync(out);
  // fleet.sh down stops what a crashed test run left behind, by these pid files.
  mkdirSync(join(RUN_DIR, 'pids'), { recursive: true });
  if (child.pid) writeFileSync(join(RUN_DIR, 'pids', `exporter-${tag}.pid`), `${child.pid}\n`);
  let exited: number | null | undefined;
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve((exited = code))));

  const logTail = (lines = 30) => {
    try {
      return readFileSync(logFile, 'utf8').trim().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  };
  const url = `${opts.ca === undefined ? 'http' : 'https'}://${address}`;
  const get = (path: string, timeoutMs?: number) => httpGet(`${url}${path}`, timeoutMs, opts.ca === undefined ? {} : { ca: opts.ca });
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited !== undefined) throw new Error(`exporter (${tag}) exited with ${exited} before serving; its log:\n${logTail()}`);
    try {
      const r = await get('/-/healthy', 2_000);
      if (r.status === 200) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`exporter (${tag}) did not answer /-/healthy within 30 s; its log:\n${logTail()}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }

  return {
    url,
    address,
    child,
    logFile,
    configFile,
    writeConfig,
    logTail,
    get: (path: string) => get(path),
    async scrape(path = '/metrics') {
      const t0 = performance.now();
      const r = await get(path);
      const seconds = (performance.now() - t0) / 1000;
      if (r.status !== 200) throw new Error(`GET ${path}: HTTP ${r.status}: ${r.body.slice(0, 300)}`);
      return { ...parseExposition(r.body), body: r.body, seconds };
    },
    async stop() {
      if (exited === undefined) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exit;
        clearTimeout(timer);
      }
      rmSync(join(RUN_DIR, 'pids', `exporter-${tag}.pid`), { force: true });
      return exited ?? null;
    },
  };
}

/** Scrapes until `ok` holds or the time is up; returns the last scrape. */
export async function scrapeUntil(
  exp: Exporter,
  ok: (e: Exposition) => boolean,
  timeoutMs: number,
  path = '/metrics',
): Promise<{ e: Exposition; ok: boolean }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const e = await exp.scrape(path);
    if (ok(e)) return { e, ok: true };
    if (Date.now() > deadline) return { e, ok: false };
    await new Promise((r) => setTimeout(r, 500));
  }
}
