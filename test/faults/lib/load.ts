// The load tests' common parts: one host of 1000 containers, a streamed GET that checks a big
// body without holding it, the exporter's TCP connections as the kernel counts them.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { sampleContainers, type ContainerInput } from '../../support/stats-bodies.ts';
import { startDaemons, type Daemons } from './daemons.ts';
import type { RunningExporter } from './exporter.ts';

export const BIG_HOST = 'big';
export const BIG_CONTAINERS = 1000;
/** collection.timeout of the load tests: the default; a 1000-container probe takes ~0.3-1 s here. */
export const LOAD_DEADLINE_MS = 8000;
export const MB = 1e6;

export function bigContainers(): ContainerInput[] {
  return sampleContainers(BIG_CONTAINERS, { seed: 8, allRunning: true });
}

/** The big host's daemon for one test file: started before its tests, closed (and its logs removed) after. */
export function bigDaemonPerFile(): { dir: string; daemons: Daemons; url: () => string } {
  const big = { dir: '', daemons: undefined as unknown as Daemons, url: () => big.daemons.urls.get(BIG_HOST)! };
  before(async () => {
    big.dir = mkdtempSync(join(tmpdir(), 'dfe-faults-'));
    big.daemons = await startDaemons('big', big.dir, [{ name: BIG_HOST, containers: bigContainers() }]);
  });
  after(async () => {
    await big.daemons?.close();
    if (!process.env.FAULTS_KEEP_LOGS) rmSync(big.dir, { recursive: true, force: true });
  });
  return big;
}

/** Lines that make the big host whole: one running_state per container, and the host up. */
const MARKERS = [`\ndocker_container_running_state{host="${BIG_HOST}",`, `\ndocker_host_up{host="${BIG_HOST}"} 1\n`];

export interface StreamedAnswer {
  status: number;
  bytes: number;
  /** from the request to the last byte */
  ms: number;
  /** occurrences of each marker */
  counts: number[];
  error?: string;
}

/**
 * GET on a new connection, reading as fast as it comes and counting MARKERS across chunk
 * boundaries: 100 bodies of ~7 MB are checked without 700 MB in the test process.
 */
export function streamGet(url: string, timeoutMs: number): Promise<StreamedAnswer> {
  const start = performance.now();
  const needles = MARKERS.map((m) => Buffer.from(m));
  const keep = Math.max(...needles.map((n) => n.length)) - 1;
  return new Promise((resolve) => {
    const out: StreamedAnswer = { status: 0, bytes: 0, ms: 0, counts: needles.map(() => 0) };
    const done = (error?: string): void => {
      out.ms = performance.now() - start;
      if (error !== undefined) out.error = error;
      resolve(out);
    };
    const req = get(url, { agent: false, timeout: timeoutMs }, (res) => {
      out.status = res.statusCode ?? 0;
      let carry = Buffer.alloc(0);
      res.on('data', (chunk: Buffer) => {
        out.bytes += chunk.length;
        const buf = carry.length ? Buffer.concat([carry, chunk]) : chunk;
        needles.forEach((n, k) => {
          // a match must end inside the new chunk, else the carry already counted it
          for (let i = buf.indexOf(n); i >= 0; i = buf.indexOf(n, i + 1)) if (i + n.length > carry.length) out.counts[k]!++;
        });
        carry = Buffer.from(buf.subarray(Math.max(0, buf.length - keep)));
      });
      res.on('end', () => done());
      res.on('error', (err) => done(err.message));
    });
    req.on('timeout', () => req.destroy(new Error(`no complete answer in ${timeoutMs} ms`)));
    req.on('error', (err) => done(err.message));
  });
}

/** What is wrong with a streamed /metrics answer for the big host; undefined when whole. */
export function bigBodyProblem(a: StreamedAnswer): string | undefined {
  if (a.error !== undefined) return `${a.error} after ${a.bytes} bytes`;
  if (a.status !== 200) return `HTTP ${a.status}`;
  if (a.counts[0] !== BIG_CONTAINERS) return `${a.counts[0]} docker_container_running_state series of ${BIG_CONTAINERS}`;
  if (a.counts[1] !== 1) return 'no docker_host_up 1';
  return undefined;
}

/** ESTABLISHED TCP connections whose local port is `port`: the server side of the exporter's clients. */
export function establishedTo(port: number): number {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  let n = 0;
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // f[1] local "ADDR:PORT", f[3] state; 01 = ESTABLISHED
      if (f[1]?.endsWith(`:${hex}`) && f[3] === '01') n++;
    }
  }
  return n;
}

/** Peak RSS of one scrape alone, the largest of `n` (each measured from a reset of VmHWM). */
export async function singleScrapePeak(exp: RunningExporter, n = 3): Promise<{ peak: number; bodyBytes: number; problems: string[] }> {
  let peak = 0;
  let bodyBytes = 0;
  const problems: string[] = [];
  for (let i = 0; i < n; i++) {
    exp.resetPeak();
    const a = await streamGet(`${exp.url}/metrics`, 60_000);
    peak = Math.max(peak, exp.memory().peakRss);
    bodyBytes = a.bytes;
    const p = bigBodyProblem(a);
    if (p) problems.push(`single scrape: ${p}`);
  }
  return { peak, bodyBytes, problems };
}

export const mb = (bytes: number): string => `${(bytes / MB).toFixed(0)} MB`;
