// The built exporter as a user runs it (`node dist/src/cli.js --config.file …`), a real child
// process, so that its crashes and memory are real. Logs go to a file in the test's directory
// for post-mortems.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { freePort } from '../../support/net.ts';
import { memory, resetPeakRss } from '../../support/proc.ts';
import { raisePriority } from './healthz.ts';

export const REPO_DIR = fileURLToPath(new URL('../../..', import.meta.url));
/** FAULTS_EXPORTER_CLI runs another build (e.g. main's, to see which tests fail there). */
export const CLI = process.env.FAULTS_EXPORTER_CLI || join(REPO_DIR, 'dist', 'src', 'cli.js');

export interface HostEntry {
  name: string;
  url: string;
}

export interface ExporterOptions {
  tag: string;
  /** config file and log go here */
  dir: string;
  hosts: HostEntry[];
  /** collection.* keys (snake_case), e.g. {timeout: '2s'} */
  collection?: Record<string, unknown>;
  /** pool.threads; default: the exporter's (CPU count) */
  threads?: number;
  /** flags without the leading "--"; one this build does not know is left out and listed in missingFlags */
  flags?: Record<string, string>;
}

export interface HttpAnswer {
  status: number;
  body: string;
  ms: number;
}

export interface RunningExporter {
  readonly pid: number;
  readonly url: string;
  readonly port: number;
  readonly logFile: string;
  /** flags asked for that this build does not have (its --help does not name them) */
  readonly missingFlags: string[];
  alive(): boolean;
  /** "exited with 1" / "killed by SIGSEGV" / "running" */
  exitStatus(): string;
  memory(): { rss: number; peakRss: number };
  resetPeak(): void;
  /** the longest turn since the last call (the first call starts the window) */
  turns(): Promise<TurnReport>;
  get(path: string, timeoutMs?: number): Promise<HttpAnswer>;
  /** SIGTERM; SIGKILL after 10 s; resolves with the exit code (null when killed). */
  stop(): Promise<number | null>;
  logTail(lines?: number): string;
}

let helpText: string | undefined;

/** DOCKER_* of the test's environment must not reach an exporter that builds its clients from the config. */
function exporterEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', DFE_BENCH_ELD: 'always' };
}

/**
 * The turn probe (bench/bench-hooks.ts, built with the exporter), then FAULTS_NODE_ARGS: node
 * flags for the exporter, e.g. `--cpu-prof --cpu-prof-dir=/tmp/p` to see what a long turn ran.
 */
const NODE_ARGS = ['--import', join(REPO_DIR, 'dist', 'bench', 'bench-hooks.js'), ...(process.env.FAULTS_NODE_ARGS ?? '').split(' ').filter((a) => a !== '')];

/** The main thread's longest turn since the last call, as the turn probe saw it. */
export interface TurnReport {
  maxMs: number;
  /** the longest the process spent on a CPU (not waiting for a core) */
  busyMaxMs: number;
}

/** Whether this build's --help names `--flag`. */
export function hasFlag(flag: string): boolean {
  helpText ??= spawnSync(process.execPath, [CLI, '--help'], { encoding: 'utf8' }).stdout ?? '';
  return helpText.includes(`--${flag}`);
}


/** A plain GET on a new connection; the body as text. */
export function httpGet(url: string, timeoutMs: number): Promise<HttpAnswer> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const req = get(url, { agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - start }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: no complete answer in ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

export async function startExporter(o: ExporterOptions): Promise<RunningExporter> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first`);
  const configFile = join(o.dir, `${o.tag}.yml`);
  // The background /system/df walk starts at a random point of its first 5 minutes; a run that
  // crosses it would see 18 new host series mid-way (CI saw it at scrape 250 of churn). The
  // faults compare every scrape with a healthy one, so it is off unless a scenario asks for it.
  const config: Record<string, unknown> = { collection: { timeout: '2s', disk_interval: '0', ...o.collection }, hosts: o.hosts };
  if (o.threads !== undefined) config.pool = { threads: o.threads };
  writeFileSync(configFile, stringify(config));
  const port = await freePort();
  const missingFlags: string[] = [];
  const flags: string[] = [];
  for (const [flag, value] of Object.entries(o.flags ?? {})) {
    if (hasFlag(flag)) flags.push(`--${flag}=${value}`);
    else missingFlags.push(`--${flag}`);
  }
  const logFile = join(o.dir, `${o.tag}.log`);
  const out = openSync(logFile, 'a');
  const child: ChildProcess = spawn(
    process.execPath,
    [...NODE_ARGS, CLI, `--config.file=${configFile}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=info', ...flags],
    { cwd: REPO_DIR, stdio: ['ignore', out, out], env: exporterEnv() },
  );
  closeSync(out);
  raisePriority(child.pid);
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const logTail = (lines = 20): string => {
    try {
      return readFileSync(logFile, 'utf8').trim().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  };
  const exitStatus = (): string =>
    child.exitCode !== null ? `exited with ${child.exitCode}` : child.signalCode !== null ? `killed by ${child.signalCode}` : 'running';

  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`exporter ${o.tag} ${exitStatus()} before serving; its log:\n${logTail()}`);
    const ok = await httpGet(`${url}/healthz`, 1000).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`exporter ${o.tag} did not answer /healthz within 20 s; its log:\n${logTail()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  const pid = child.pid!;
  return {
    pid,
    url,
    port,
    logFile,
    missingFlags,
    alive: () => child.exitCode === null && child.signalCode === null,
    exitStatus,
    memory: () => memory(pid),
    resetPeak: () => resetPeakRss(pid),
    turns: () => turnReport(child, logFile),
    get: (path, timeoutMs = 30_000) => httpGet(`${url}${path}`, timeoutMs),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exit;
        clearTimeout(timer);
      }
      return child.exitCode;
    },
    logTail,
  };
}

/** SIGUSR2 makes the turn probe write one `DFE_BENCH {...}` line to the log; the newest one. */
async function turnReport(child: ChildProcess, logFile: string): Promise<TurnReport> {
  const reports = (): string[] => readFileSync(logFile, 'utf8').split('\n').filter((l) => l.startsWith('DFE_BENCH '));
  const before = reports().length;
  child.kill('SIGUSR2');
  for (const deadline = Date.now() + 5000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 20))) {
    const all = reports();
    if (all.length > before) {
      const { eld } = JSON.parse(all.at(-1)!.slice('DFE_BENCH '.length)) as { eld: TurnReport };
      return { maxMs: eld.maxMs, busyMaxMs: eld.busyMaxMs };
    }
  }
  throw new Error(`no turn report in ${logFile} within 5 s of SIGUSR2`);
}
