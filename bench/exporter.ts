// The exporter under test, as a child process started from the compiled dist/ (what ships),
// with bench instrumentation preloaded (bench-hooks.ts). Scrapes go over one kept-alive
// connection, as Prometheus does.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchReport } from './bench-hooks.ts';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface ExporterHost {
  name: string;
  socketPath?: string;
  port?: number;
  tls?: { ca: string; cert: string; key: string };
}

/** The benches' metrics.families unless told otherwise (the host family is always on). */
export const BENCH_FAMILIES: readonly string[] = ['docker_exporter', 'cadvisor', 'state'];

export interface ExporterOptions {
  label: string;
  dir: string;
  hosts: ExporterHost[];
  /** undefined: the default (CPU count); 0: parse on the main thread */
  threads?: number;
  concurrency: number;
  /** node --cpu-prof into this directory */
  cpuProfDir?: string;
  exposeGc?: boolean;
  /** false: collection.events off (no event streams); default on */
  events?: boolean;
  /**
   * Event-loop delay monitor while a request is in flight (bench-hooks.ts), default on. Its
   * 10 ms timer costs CPU of its own (measured on the real engine: ~40 us per container-scrape,
   * 1.1 s scrapes of 50 containers), so CPU comparisons that do not report ELD turn it off.
   */
  eld?: boolean;
  /** metrics.families; default BENCH_FAMILIES */
  families?: readonly string[];
}

export interface Scrape {
  wallMs: number;
  /** raw bytes: decoding 15 MB here would count against the exporter's wall time */
  body: Buffer;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function configYaml(o: ExporterOptions): string {
  const lines = [
    'collection:',
    '  timeout: 60s', // a slow L scrape must be measured, not cut off
    '  min_interval: 0s',
    '  max_staleness: 60s',
    `  concurrency: ${o.concurrency}`,
    ...(o.events === false ? ['  events: false'] : []),
    'metrics:',
    `  families: [${(o.families ?? BENCH_FAMILIES).join(', ')}]`,
    '  container_labels: [com.docker.compose.project, com.docker.compose.service]',
  ];
  if (o.threads !== undefined) lines.push('pool:', `  threads: ${o.threads}`);
  lines.push('hosts:');
  for (const h of o.hosts) {
    lines.push(`  - name: ${h.name}`);
    if (h.socketPath) lines.push(`    url: unix://${h.socketPath}`);
    else lines.push(`    url: tcp://127.0.0.1:${h.port}`);
    if (h.tls) lines.push('    tls:', `      ca: ${h.tls.ca}`, `      cert: ${h.tls.cert}`, `      key: ${h.tls.key}`);
  }
  return `${lines.join('\n')}\n`;
}

export class ExporterProcess {
  readonly #agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  readonly #reports: ((r: BenchReport) => void)[] = [];
  #stderr = '';

  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
    readonly label: string,
  ) {
    let buf = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      buf += chunk.toString('utf8');
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.startsWith('DFE_BENCH ')) this.#reports.shift()?.(JSON.parse(line.slice(10)) as BenchReport);
        else this.#stderr = (this.#stderr + line + '\n').slice(-4000);
      }
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  static async start(o: ExporterOptions): Promise<ExporterProcess> {
    const cfg = join(o.dir, `${o.label}.yml`);
    writeFileSync(cfg, configYaml(o));
    const port = await freePort();
    const args = [
      ...(o.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', o.cpuProfDir] : []),
      ...(o.exposeGc ? ['--expose-gc'] : []),
      // DFE_BENCH_NODE_ARGS: node flags for the exporters alone (NODE_OPTIONS would reach the fleet and the floor too)
      ...(process.env.DFE_BENCH_NODE_ARGS ?? '').split(' ').filter((a) => a !== ''),
      '--import',
      join(ROOT, 'dist/bench/bench-hooks.js'),
      // DFE_BENCH_EXPORTER_ROOT: another checkout's build, e.g. an older commit for before/after
      join(process.env.DFE_BENCH_EXPORTER_ROOT ?? ROOT, 'dist/src/cli.js'),
      '--config.file',
      cfg,
      '--web.listen-address',
      `127.0.0.1:${port}`,
      '--log.level',
      'warn',
    ];
    const child = spawn(process.execPath, args, { env: { ...process.env, DFE_BENCH_ELD: o.eld === false ? '0' : '1' }, stdio: ['ignore', 'ignore', 'pipe'] });
    const ex = new ExporterProcess(child, port, o.label);
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${o.label} exited (${child.exitCode}): ${ex.#stderr}`);
      if (await ex.#get('/healthz').then(() => true, () => false)) return ex;
      if (Date.now() > deadline) {
        await ex.stop();
        throw new Error(`${o.label} did not answer /healthz in 20 s: ${ex.#stderr}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  #get(path: string): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const req = http.get({ agent: this.#agent, host: '127.0.0.1', port: this.port, path }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          if (res.statusCode === 200) resolve(body);
          else reject(new Error(`${this.label} ${path}: HTTP ${res.statusCode}: ${body.toString('utf8', 0, 200)}`));
        });
      });
      req.on('error', reject);
    });
  }

  async scrape(): Promise<Scrape> {
    const t0 = performance.now();
    const body = await this.#get('/metrics');
    return { wallMs: performance.now() - t0, body };
  }

  /** Event-loop delay since the last report, and memory now (after a GC with exposeGc). */
  report(): Promise<BenchReport> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`${this.label}: no DFE_BENCH report within 10 s`)), 10_000);
      this.#reports.push((r) => {
        clearTimeout(t);
        resolve(r);
      });
      this.child.kill('SIGUSR2');
    });
  }

  stop(): Promise<void> {
    this.#agent.destroy();
    if (this.child.exitCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
      this.child.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
      this.child.kill('SIGTERM');
    });
  }
}

/** Series (sample lines) and bytes of an exposition. */
export function exposition(body: Buffer): { series: number; bytes: number } {
  let series = 0;
  for (const line of body.toString('utf8').split('\n')) if (line !== '' && !line.startsWith('#')) series++;
  return { series, bytes: body.length };
}
