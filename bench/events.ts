// `npm run bench:events`: the cost of the event streams at L (200 hosts x 50 containers, the
// fake fleet answering GET /events as streams).
//   1. idle: process CPU over an idle minute (in 3 windows, no scrapes in it) with every stream
//      open, against the same exporter with `collection.events: false`; fresh, and after scrapes;
//   2. a trickle: one event per host every second, CPU per event;
//   3. a reconnect storm: every stream cut at once; when the 200 reconnects reach the daemons.
// Results: bench/results/events.json (and a section of results.md).
//
//   node --import tsx bench/events.ts [--idle-seconds N] [--no-write]
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ExporterProcess, ROOT } from './exporter.ts';
import { startFleet, type Fleet } from './fleet.ts';
import { cpuMicros } from '../test/support/proc.ts';
import { percentile, round } from './stats.ts';

const median = (xs: readonly number[]): number => percentile(xs, 50);
import type { EventsResult } from './types.ts';

const HOSTS = 200;
const PER_HOST = 50;
const CONCURRENCY = 64;
const { values: args } = parseArgs({
  options: {
    'idle-seconds': { type: 'string', default: '60' },
    'no-write': { type: 'boolean', default: false },
  },
});
const idleSeconds = Number(args['idle-seconds']);
/** the idle period is measured in this many windows, each reported */
const WINDOWS = 3;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function log(msg: string): void {
  process.stderr.write(`[bench:events ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

async function until(what: string, ok: () => Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

/** CPU (ms) of the process in each of `windows` windows of `seconds`, nothing asked of it. */
async function idleCpuMs(pid: number, windows: number, seconds: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < windows; i++) {
    const c0 = cpuMicros(pid);
    await sleep(seconds * 1000);
    out.push((cpuMicros(pid) - c0) / 1000);
  }
  return out;
}

/**
 * An exporter against the fleet, streams on or off. `scrapes` first (the heap and pools as
 * between two real scrapes), then a forced GC and 15 s to settle: V8's idle-time GC of the
 * scrapes' garbage would otherwise land in one variant's window and not the other's.
 */
async function exporter(dir: string, fleet: Fleet, label: string, events: boolean, scrapes: number): Promise<ExporterProcess> {
  const ex = await ExporterProcess.start({ label, dir, hosts: fleet.hosts, concurrency: CONCURRENCY, threads: 0, events, exposeGc: true });
  started.push(ex);
  for (let i = 0; i < scrapes; i++) await ex.scrape();
  if (events) await until(`${HOSTS} streams`, async () => (await fleet.events.subscribers()) === HOSTS, 30_000);
  else if ((await fleet.events.subscribers()) !== 0) throw new Error('streams open with collection.events: false');
  await ex.report(); // runs gc()
  await sleep(15_000);
  return ex;
}

const started: ExporterProcess[] = [];
const dir = mkdtempSync(join(os.tmpdir(), 'dfe-bench-events-'));
log(`L: ${HOSTS} hosts x ${PER_HOST} containers; idle ${idleSeconds}s per variant`);
const fleet = await startFleet({ dir, hosts: HOSTS, containersPerHost: PER_HOST, procs: 4 });
let result: EventsResult;
try {
  let on: ExporterProcess | undefined;
  // 1. idle: each variant alone against the fleet, without scrapes, then after scrapes
  const idle: Record<string, number[]> = {};
  for (const scrapes of [0, 3]) {
    for (const events of [false, true]) {
      const label = `${events ? 'with' : 'without'}Streams${scrapes ? 'AfterScrapes' : ''}`;
      const ex = await exporter(dir, fleet, label, events, scrapes);
      idle[label] = await idleCpuMs(ex.pid, WINDOWS, idleSeconds / WINDOWS);
      log(`idle ${label}: ${idle[label]!.join(', ')} ms CPU per ${idleSeconds / WINDOWS}s`);
      if (events && scrapes) {
        on = ex;
        break;
      }
      await ex.stop();
    }
  }
  if (!on) throw new Error('no exporter left running');
  const streams: ExporterProcess = on;

  // 2. one event per host per second, for the same windows
  const trickle: number[] = [];
  let emitted = 0;
  for (let w = 0; w < WINDOWS; w++) {
    const c0 = cpuMicros(streams.pid);
    const t0 = Date.now();
    while (Date.now() - t0 < (idleSeconds / WINDOWS) * 1000) {
      emitted += await fleet.events.emit(1);
      await sleep(1000);
    }
    trickle.push((cpuMicros(streams.pid) - c0) / 1000);
  }
  log(`trickle: ${emitted} events, ${trickle.join(', ')} ms CPU per window`);

  // 3. every stream cut at once
  const cpuBefore = cpuMicros(streams.pid);
  const cutAt = Date.now();
  const cut = await fleet.events.cut();
  await until('200 reconnects', async () => (await fleet.events.servedSince(cutAt)).length >= cut, 60_000);
  await until('200 streams', async () => (await fleet.events.subscribers()) === HOSTS, 30_000);
  const stormCpuMs = (cpuMicros(streams.pid) - cpuBefore) / 1000;
  const after = (await fleet.events.servedSince(cutAt)).map((t) => t - cutAt);
  const buckets = new Map<number, number>();
  for (const t of after) buckets.set(Math.floor(t / 100), (buckets.get(Math.floor(t / 100)) ?? 0) + 1);
  await streams.stop();

  result = {
    hosts: HOSTS,
    containersPerHost: PER_HOST,
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.availableParallelism(),
    idleSeconds,
    idleCpuMsPerWindow: idle,
    trickle: {
      events: emitted,
      cpuMsPerWindow: trickle,
      usPerEvent: round(((median(trickle) - median(idle.withStreamsAfterScrapes!)) * WINDOWS * 1000) / emitted, 1),
    },
    storm: {
      streamsCut: cut,
      reconnects: after.length,
      firstMs: Math.min(...after),
      p50Ms: percentile(after, 50),
      lastMs: Math.max(...after),
      peakPer100Ms: Math.max(...buckets.values()),
      cpuMs: round(stormCpuMs),
    },
  };
  log(JSON.stringify(result));
} finally {
  await Promise.all(started.map((ex) => ex.stop()));
  await fleet.close();
  rmSync(dir, { recursive: true, force: true });
}
if (!args['no-write']) {
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench/results/events.json'), `${JSON.stringify(result, null, 2)}\n`);
}
