// `npm run bench`: the fleet-scale benchmark. Per workload, the exporter with its
// worker pool, the exporter parsing on the main thread, and the floor (bench/floor.ts) are
// scraped in turns against the same simulated fleet; then memory under churn, and the TLS
// handshake count. Results: bench/results/<name>.json and bench/results/results.md.
//
//   node --import tsx bench/run.ts [--only S,M,W,L,churn,tls] [--scrapes N] [--procs N]
//                                  [--delay-ms N] [--churn-scrapes N] [--cpu-prof DIR] [--no-write]
//                                  [--quick]
// `--only none` measures nothing and rebuilds results.md from the JSON files.
// `--quick`: the regression guard CI runs (bench/quick.ts): S and a small M, nothing written;
// exits 1 when a CPU ratio or peak RSS is past its limit.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { makeCerts } from '../test/support/certs.ts';
import { ExporterProcess, exposition, ROOT, type ExporterOptions } from './exporter.ts';
import { startFleet, startFloor, type Fleet, type Floor } from './fleet.ts';
import { cpuMicros, memory } from '../test/support/proc.ts';
import { renderResults } from './report.ts';
import { mb, percentile, round } from './stats.ts';
import { QUICK, checkQuick } from './quick.ts';
import { defaultPoolThreads } from '../src/config/defaults.ts';
import type { ChurnResult, TlsResult, VariantRatios, VariantResult, WorkloadResult } from './types.ts';

const WORKLOADS = {
  S: { hosts: 1, perHost: 50, scrapes: 200 },
  M: { hosts: 50, perHost: 40, scrapes: 30 },
  L: { hosts: 200, perHost: 50, scrapes: 20 },
  /** one wide host: its bodies and its part of the exposition arrive as one piece of work */
  W: { hosts: 1, perHost: 1000, scrapes: 30 },
} as const;
type WorkloadName = keyof typeof WORKLOADS;

/**
 * collection.concurrency for the exporters and the floor: covers a host's 50 running containers
 * (config/example.yml's advice) and keeps L's sockets (200 hosts x 64 per client) under the
 * usual 20k file-descriptor limit, in the exporter and in the daemon processes.
 */
const CONCURRENCY = 64;
const WARMUP = 3;
/** CPU is also read at the end of each quarter of the measured rounds (VariantRatios.cpuBlocks). */
const BLOCKS = 4;
const RESULTS = join(ROOT, 'bench/results');

const { values: args } = parseArgs({
  options: {
    only: { type: 'string', default: 'S,M,W,L,churn,tls' },
    scrapes: { type: 'string' },
    procs: { type: 'string' },
    'delay-ms': { type: 'string', default: '0' },
    'cpu-prof': { type: 'string' },
    'churn-scrapes': { type: 'string', default: '200' },
    'no-write': { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
  },
});
if (args.quick) {
  args.only = 'S,M';
  args['no-write'] = true;
}
const only = new Set(args.only.split(',').map((s) => s.trim()));
/** daemon processes: at least 2, and at most 50 hosts each (file descriptors) */
const procsFor = (hosts: number): number => (args.procs ? Number(args.procs) : Math.max(2, Math.ceil(hosts / 50)));
const delayMs = Number(args['delay-ms']);

function log(msg: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

function save(name: string, data: unknown): void {
  if (args['no-write']) return;
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, `${name}.json`), `${JSON.stringify(data, null, 2)}\n`);
}

function exporterOptions(dir: string, fleet: Fleet, label: string, threads?: number): ExporterOptions {
  const cpuProfDir = args['cpu-prof'] ? join(args['cpu-prof'], label) : undefined;
  return { label, dir, hosts: fleet.hosts, threads, concurrency: CONCURRENCY, cpuProfDir };
}

/** Checks that a scrape exported every container: a benchmark of a half-failing exporter is worthless. */
function checkComplete(label: string, bytes: Buffer, containers: number): void {
  const body = bytes.toString('utf8');
  const n = body.split('\ncontainer_cpu_usage_seconds_total{').length - 1;
  if (n !== containers) throw new Error(`${label}: scrape has cpu series for ${n} of ${containers} containers`);
  if (/^docker_host_up\{[^}]*\} 0$/m.test(body)) throw new Error(`${label}: a host is down in the scrape`);
}

function workload(name: WorkloadName): { hosts: number; perHost: number; scrapes: number } {
  return args.quick && (name === 'S' || name === 'M') ? QUICK[name] : WORKLOADS[name];
}

async function runWorkload(name: WorkloadName): Promise<WorkloadResult> {
  const w = workload(name);
  const scrapes = args.scrapes ? Number(args.scrapes) : w.scrapes;
  const dir = mkdtempSync(join(os.tmpdir(), 'dfe-bench-'));
  log(`${name}: ${w.hosts} hosts x ${w.perHost} containers, ${scrapes} scrapes each`);
  const fleet = await startFleet({ dir, hosts: w.hosts, containersPerHost: w.perHost, procs: procsFor(w.hosts), delayMs });
  let pool: ExporterProcess | undefined;
  let main: ExporterProcess | undefined;
  let floor: Floor | undefined;
  try {
    pool = await ExporterProcess.start(exporterOptions(dir, fleet, `${name}-pool`, os.availableParallelism()));
    main = await ExporterProcess.start(exporterOptions(dir, fleet, `${name}-main-thread`, 0));
    floor = await startFloor(fleet.hosts, CONCURRENCY, args['cpu-prof'] ? join(args['cpu-prof'], `${name}-floor`) : undefined);
    return await measure(name, scrapes, fleet, pool, main, floor);
  } finally {
    await Promise.all([pool?.stop(), main?.stop(), floor?.close()]);
    await fleet.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function measure(name: WorkloadName, scrapes: number, fleet: Fleet, pool: ExporterProcess, main: ExporterProcess, floor: Floor): Promise<WorkloadResult> {
  const w = workload(name);
  const walls = { pool: [] as number[], main: [] as number[], floor: [] as number[] };
  const bodies: Record<'pool' | 'main', Buffer> = { pool: Buffer.alloc(0), main: Buffer.alloc(0) };
  const turn = async (who: 'pool' | 'main' | 'floor', record: boolean): Promise<void> => {
    if (who === 'floor') {
      const r = await floor.scrape();
      if (r.containers !== fleet.containers) throw new Error(`floor fetched ${r.containers} of ${fleet.containers}`);
      if (record) walls.floor.push(r.wallMs);
      return;
    }
    const ex = who === 'pool' ? pool : main;
    const s = await ex.scrape();
    bodies[who] = s.body;
    if (record) walls[who].push(s.wallMs);
  };
  const order = ['pool', 'main', 'floor'] as const;
  for (let i = 0; i < WARMUP; i++) for (const who of order) await turn(who, false);
  checkComplete(pool.label, bodies.pool, fleet.containers);
  checkComplete(main.label, bodies.main, fleet.containers);

  await Promise.all([pool.report(), main.report()]); // restart the event-loop histograms
  const cpuNow = () => ({ pool: cpuMicros(pool.pid), main: cpuMicros(main.pid), floor: cpuMicros(floor.pid) });
  const cpu0 = cpuNow();
  const marks = [cpu0];
  for (let i = 0; i < scrapes; i++) {
    // rotate who goes first, so no one always follows the same neighbour
    for (let k = 0; k < 3; k++) await turn(order[(i + k) % 3]!, true);
    if (Math.floor(((i + 1) * BLOCKS) / scrapes) > marks.length - 1) marks.push(cpuNow());
  }
  const cpu1 = marks.at(-1)!;
  const [rPool, rMain] = await Promise.all([pool.report(), main.report()]);
  checkComplete(pool.label, bodies.pool, fleet.containers);

  const perContainer = (us: number): number => round(us / (scrapes * fleet.containers), 1);
  const variant = (ex: ExporterProcess, key: 'pool' | 'main', r: typeof rPool, threads: string): VariantResult => {
    const e = exposition(bodies[key]);
    return {
      threads,
      wallP50Ms: round(percentile(walls[key], 50)),
      wallP99Ms: round(percentile(walls[key], 99)),
      cpuUsPerContainer: perContainer(cpu1[key] - cpu0[key]),
      peakRssMb: mb(memory(ex.pid).peakRss),
      eldP99Ms: round(r.eld.p99Ms),
      eldMaxMs: round(r.eld.maxMs),
      series: e.series,
      bodyBytes: e.bytes,
    };
  };
  const floorRes = {
    wallP50Ms: round(percentile(walls.floor, 50)),
    wallP99Ms: round(percentile(walls.floor, 99)),
    cpuUsPerContainer: perContainer(cpu1.floor - cpu0.floor),
    peakRssMb: mb(memory(floor.pid).peakRss),
  };
  const cores = os.availableParallelism();
  const defaultVariant = defaultPoolThreads(cores) === 0 ? 'mainThread' : 'pool';
  const poolRes = variant(pool, 'pool', rPool, `${cores}${defaultVariant === 'pool' ? ' (default)' : ''}`);
  const mainRes = variant(main, 'main', rMain, `0 (main thread)${defaultVariant === 'mainThread' ? ' (default)' : ''}`);
  const blockRatios = (key: 'pool' | 'main'): number[] => marks.slice(1).map((m, b) => (m[key] - marks[b]![key]) / Math.max(1, m.floor - marks[b]!.floor));
  const ratios = (v: VariantResult, key: 'pool' | 'main'): VariantRatios => ({
    wall: round(v.wallP50Ms / floorRes.wallP50Ms, 2),
    cpu: round(v.cpuUsPerContainer / floorRes.cpuUsPerContainer, 2),
    cpuBlocks: round(percentile(blockRatios(key), 50), 2),
  });
  const counters = await fleet.counters();
  const result: WorkloadResult = {
    workload: name,
    hosts: w.hosts,
    containersPerHost: w.perHost,
    containers: fleet.containers,
    scrapes,
    delayMs,
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.availableParallelism(),
    defaultVariant,
    exporter: { pool: poolRes, mainThread: mainRes },
    floor: floorRes,
    ratios: { pool: ratios(poolRes, 'pool'), mainThread: ratios(mainRes, 'main') },
    daemon: {
      connections: counters.reduce((a, c) => a + c.connections, 0),
      requests: counters.reduce((a, c) => a + c.requests, 0),
    },
  };
  log(`${name}: ${JSON.stringify({ pool: poolRes, main: mainRes, floor: floorRes, ratios: result.ratios })}`);
  return result;
}

/** 200 scrapes of M with 10% of the containers replaced before each: does memory level off? */
async function runChurn(): Promise<ChurnResult> {
  const w = WORKLOADS.M;
  const scrapes = Number(args['churn-scrapes']);
  const fraction = 0.1;
  const dir = mkdtempSync(join(os.tmpdir(), 'dfe-bench-'));
  log(`churn: M, ${scrapes} scrapes, ${fraction * 100}% of containers replaced between scrapes`);
  const fleet = await startFleet({ dir, hosts: w.hosts, containersPerHost: w.perHost, procs: procsFor(w.hosts), delayMs });
  const ex = await ExporterProcess.start({ ...exporterOptions(dir, fleet, 'churn'), exposeGc: true });
  try {
    let early: { rss: number; heapUsed: number } | undefined;
    let body: Buffer = Buffer.alloc(0);
    const walls: number[] = [];
    let replaced = 0;
    for (let i = 1; i <= scrapes; i++) {
      if (i > 1) replaced += await fleet.churn(fraction);
      const s = await ex.scrape();
      walls.push(s.wallMs);
      body = s.body;
      if (i === 20) {
        const r = await ex.report();
        early = { rss: memory(ex.pid).rss, heapUsed: r.mem.heapUsed };
      }
    }
    checkComplete(ex.label, body, fleet.containers);
    const r = await ex.report();
    const end = { rss: memory(ex.pid).rss, heapUsed: r.mem.heapUsed };
    const result: ChurnResult = {
      workload: 'M',
      scrapes,
      fractionReplaced: fraction,
      containersReplaced: replaced,
      date: new Date().toISOString(),
      after20: { rssMb: mb(early!.rss), heapUsedMb: mb(early!.heapUsed) },
      end: { rssMb: mb(end.rss), heapUsedMb: mb(end.heapUsed) },
      growth: { rss: round(end.rss / early!.rss - 1, 3), heapUsed: round(end.heapUsed / early!.heapUsed - 1, 3) },
      peakRssMb: mb(memory(ex.pid).peakRss),
      wallP50Ms: round(percentile(walls, 50)),
      series: exposition(body).series,
    };
    log(`churn: ${JSON.stringify(result)}`);
    return result;
  } finally {
    await ex.stop();
    await fleet.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Hosts over TCP with mutual TLS: handshakes must follow connections, not requests. */
async function runTls(): Promise<TlsResult> {
  const dir = mkdtempSync(join(os.tmpdir(), 'dfe-bench-'));
  const scrapes = 10;
  const hosts = 2;
  const perHost = 20;
  log(`tls: ${hosts} hosts x ${perHost} containers over mutual TLS, ${scrapes} scrapes`);
  const certs = await makeCerts(join(dir, 'certs'));
  const fleet = await startFleet({ dir, hosts, containersPerHost: perHost, procs: 1, tls: { key: certs.serverKey, cert: certs.serverCert, ca: certs.ca } });
  const tls = { ca: certs.paths.ca, cert: certs.paths.clientCert, key: certs.paths.clientKey };
  const ex = await ExporterProcess.start({ label: 'tls', dir, hosts: fleet.hosts.map((h) => ({ ...h, tls })), concurrency: CONCURRENCY });
  try {
    const sum = async () => {
      const c = await fleet.counters();
      return { handshakes: c.reduce((a, x) => a + x.tlsHandshakes, 0), connections: c.reduce((a, x) => a + x.connections, 0), requests: c.reduce((a, x) => a + x.requests, 0), errors: c.reduce((a, x) => a + x.tlsErrors, 0) };
    };
    let body = (await ex.scrape()).body;
    const first = await sum();
    for (let i = 1; i < scrapes; i++) body = (await ex.scrape()).body;
    checkComplete(ex.label, body, hosts * perHost);
    const end = await sum();
    const result: TlsResult = {
      hosts,
      containersPerHost: perHost,
      scrapes,
      date: new Date().toISOString(),
      afterFirstScrape: first,
      afterAllScrapes: end,
      oneHandshakePerConnection: end.handshakes === end.connections && end.errors === 0,
      connectionsReused: end.connections === first.connections && end.requests > end.connections,
    };
    log(`tls: ${JSON.stringify(result)}`);
    return result;
  } finally {
    await ex.stop();
    await fleet.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const measured: WorkloadResult[] = [];
for (const name of ['S', 'M', 'W', 'L'] as const) {
  if (!only.has(name)) continue;
  const r = await runWorkload(name);
  measured.push(r);
  save(name, r);
}
if (args.quick) {
  let check = checkQuick(measured);
  for (const line of check.report) process.stdout.write(`${line}\n`);
  if (check.failed) {
    // A neighbour's burst on a shared box can push one run over; a regression pushes both.
    log('quick: past a limit; measuring once more before failing');
    const again: WorkloadResult[] = [];
    for (const r of measured) again.push(await runWorkload(r.workload));
    check = checkQuick(again);
    for (const line of check.report) process.stdout.write(`${line}\n`);
  }
  if (check.failed) {
    process.stderr.write('bench --quick: past a limit in two runs in a row (see above): the change costs CPU or memory\n');
    process.exit(1);
  }
  process.stdout.write('bench --quick: within the limits\n');
  process.exit(0);
}
if (only.has('churn')) save('churn', await runChurn());
if (only.has('tls')) save('tls', await runTls());
if (!args['no-write']) {
  writeFileSync(join(RESULTS, 'results.md'), renderResults(RESULTS));
  log(`wrote ${join(RESULTS, 'results.md')}`);
}
process.stdout.write(renderResults(RESULTS));
