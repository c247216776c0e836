// `npm run bench:events`: the cost of the event streams at L (200 hosts x 50 containers, the
// fake fleet answering GET /events as streams).
//   1. idle: process CPU over an idle minute (no scrapes) with every stream open, against the
//      same exporter with `collection.events: false`;
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
import { cpuMicros } from './proc.ts';
import { percentile, round } from './stats.ts';
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

/** CPU (ms) of the process over `seconds` of wall time, nothing asked of it (after 10 s to settle). */
async function idleCpuMs(pid: number, seconds: number): Promise<number> {
  await sleep(10_000);
  const c0 = cpuMicros(pid);
  await sleep(seconds * 1000);
  return (cpuMicros(pid) - c0) / 1000;
}

async function exporter(dir: string, fleet: Fleet, label: string, events: boolean): Promise<ExporterProcess> {
  const ex = await ExporterProcess.start({ label, dir, hosts: fleet.hosts, concurrency: CONCURRENCY, threads: 0, events });
  // a few scrapes first: pools, caches and connections as between two real scrapes
  for (let i = 0; i < 3; i++) await ex.scrape();
  return ex;
}

const dir = mkdtempSync(join(os.tmpdir(), 'dfe-bench-events-'));
log(`L: ${HOSTS} hosts x ${PER_HOST} containers; idle ${idleSeconds}s per variant`);
const fleet = await startFleet({ dir, hosts: HOSTS, containersPerHost: PER_HOST, procs: 4 });
let result: EventsResult;
try {
  // 1. idle, without streams, then with them (each alone against the fleet)
  const off = await exporter(dir, fleet, 'events-off', false);
  if ((await fleet.events.subscribers()) !== 0) throw new Error('streams open with collection.events: false');
  const offMs = await idleCpuMs(off.pid, idleSeconds);
  await off.stop();
  log(`idle without streams: ${offMs} ms CPU in ${idleSeconds}s`);

  const on = await exporter(dir, fleet, 'events-on', true);
  await until('200 streams', async () => (await fleet.events.subscribers()) === HOSTS, 30_000);
  const onMs = await idleCpuMs(on.pid, idleSeconds);
  log(`idle with ${HOSTS} streams: ${onMs} ms CPU in ${idleSeconds}s`);

  // 2. one event per host per second for the idle period
  const c0 = cpuMicros(on.pid);
  let emitted = 0;
  const t0 = Date.now();
  while (Date.now() - t0 < idleSeconds * 1000) {
    emitted += await fleet.events.emit(1);
    await sleep(1000);
  }
  const trickleMs = (cpuMicros(on.pid) - c0) / 1000;
  log(`trickle: ${emitted} events, ${trickleMs} ms CPU`);

  // 3. every stream cut at once
  const cpuBefore = cpuMicros(on.pid);
  const cutAt = Date.now();
  const cut = await fleet.events.cut();
  await until('200 reconnects', async () => (await fleet.events.servedSince(cutAt)).length >= cut, 60_000);
  await until('200 streams', async () => (await fleet.events.subscribers()) === HOSTS, 30_000);
  const stormCpuMs = (cpuMicros(on.pid) - cpuBefore) / 1000;
  const after = (await fleet.events.servedSince(cutAt)).map((t) => t - cutAt);
  const buckets = new Map<number, number>();
  for (const t of after) buckets.set(Math.floor(t / 100), (buckets.get(Math.floor(t / 100)) ?? 0) + 1);
  await on.stop();

  result = {
    hosts: HOSTS,
    containersPerHost: PER_HOST,
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.availableParallelism(),
    idleSeconds,
    idleCpuMs: { withoutStreams: round(offMs), withStreams: round(onMs) },
    trickle: { events: emitted, cpuMs: round(trickleMs), usPerEvent: round(((trickleMs - onMs) * 1000) / emitted, 1) },
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
  await fleet.close();
  rmSync(dir, { recursive: true, force: true });
}
if (!args['no-write']) {
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench/results/events.json'), `${JSON.stringify(result, null, 2)}\n`);
}
