// `npm run bench:engine`: the exporter against a real Docker Engine with running containers,
// next to the floor, which is every container's one-shot stats call made in parallel by a
// bare HTTP client (bench/floor.ts). Both wait for the daemon's 1 s sampling tick, so the
// wall-time ratio shows what the exporter adds on top of the daemon itself (target <= 1.15).
// CPU per container-scrape (all threads, /proc) of the exporter (pool default and
// pool.threads=0) against the floor (target <= 1.5 x) and against the peer baseline
// (bench/peer.ts: a cycle shaped like docker_stats_exporter, dockerode and prom-client),
// measured in the same run twice: scraped back to back, and spaced (each client every
// --spaced-ms, as Prometheus scrapes, for blocks of five periods, the clients taking turns).
// --families sets the exporters' metrics.families (e.g. docker_exporter: the series that
// exporter's users get, nearest to the peer's eight per container).
//
//   node --import tsx bench/engine.ts [--scrapes N] [--spaced-ms MS] [--spaced-scrapes N] [--only b2b,spaced]
//                                     [--families a,b] [--cpu-prof DIR] [--no-write]
//
// Uses the daemon at $DFE_BENCH_DOCKER_SOCK if set (its running containers as they are);
// otherwise starts its own dockerd (root, as /work/shared/docs/real-engine.md describes) with
// $DFE_BENCH_CONTAINERS (default 50) busybox containers, and removes all of it afterwards.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { cpuMicros, memory } from '../test/support/proc.ts';
import { BENCH_FAMILIES, ExporterProcess, ROOT } from './exporter.ts';
import { startFloor, startPeer } from './fleet.ts';
import { renderResults } from './report.ts';
import { mb, percentile, round } from './stats.ts';
import { threadAdd, threadCpu, threadDelta, type ThreadCpu } from './threads.ts';
import type { EngineCpu, EngineResult } from './types.ts';

const run = promisify(execFile);
const { values: args } = parseArgs({
  options: {
    scrapes: { type: 'string', default: process.env.DFE_BENCH_ENGINE_SCRAPES ?? '20' }, // a multiple of 5
    'spaced-ms': { type: 'string', default: '3000' },
    // per client, in blocks of 5 periods: 4 clients x 10 x 3 s = 2 minutes
    'spaced-scrapes': { type: 'string', default: '10' },
    only: { type: 'string', default: 'b2b,spaced' },
    families: { type: 'string' },
    'cpu-prof': { type: 'string' },
    'no-write': { type: 'boolean', default: false },
  },
});
const SCRAPES = Number(args.scrapes);
const SPACED_MS = Number(args['spaced-ms']);
const SPACED_SCRAPES = Number(args['spaced-scrapes']);
const phases = new Set(args.only.split(',').map((s) => s.trim()));
const cpuProf = args['cpu-prof'];
const families = args.families === undefined ? BENCH_FAMILIES : args.families.split(',').map((s) => s.trim()).filter(Boolean);
// every scrape is checked for one cpu series per running container
const CPU_SERIES = families.includes('cadvisor') ? 'container_cpu_usage_seconds_total' : families.includes('docker_exporter') ? 'docker_container_cpu_used_total' : undefined;
if (CPU_SERIES === undefined) throw new Error(`--families ${families.join(',')}: needs docker_exporter or cadvisor (a scrape is checked by its per-container cpu series)`);
/** The peer's gauges per container. */
const PEER_SERIES = 8;
const WANT = Number(process.env.DFE_BENCH_CONTAINERS ?? 50);
const IMAGE = 'dfe-bench-bb:latest';

function log(msg: string): void {
  process.stderr.write(`[bench:engine ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

function apiGet(socketPath: string, path: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = http.get({ socketPath, path }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        } catch (err) {
          reject(err);
        }
      });
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

interface OwnDaemon {
  socketPath: string;
  stop(): Promise<void>;
}

/** A private dockerd with `count` busybox containers; stop() removes it all. */
async function startDaemon(count: number): Promise<OwnDaemon> {
  // short path: containerd's sockets under exec-root must fit in sun_path (108 bytes)
  const d = mkdtempSync('/tmp/dfe-be-');
  const socketPath = join(d, 'docker.sock');
  const docker = (...args: string[]) => run('docker', args, { env: { ...process.env, DOCKER_HOST: `unix://${socketPath}`, DOCKER_CONTEXT: '' }, maxBuffer: 1 << 24 });
  log(`starting dockerd in ${d}`);
  const daemon: ChildProcess = spawn(
    'dockerd',
    ['--iptables=false', '--ip6tables=false', '--bridge=none', '--storage-driver=vfs', '--data-root', join(d, 'data'), '--exec-root', join(d, 'exec'), '--pidfile', join(d, 'docker.pid'), '-H', `unix://${socketPath}`],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let daemonLog = '';
  daemon.stderr!.on('data', (c: Buffer) => (daemonLog = (daemonLog + c.toString('utf8')).slice(-2000)));
  const stop = async (): Promise<void> => {
    log('removing the containers and stopping dockerd');
    try {
      const { stdout } = await docker('ps', '-aq');
      const ids = stdout.split('\n').filter(Boolean);
      if (ids.length > 0) await docker('rm', '-f', ...ids);
    } catch {
      /* the daemon may be gone already */
    }
    if (daemon.exitCode === null) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => daemon.kill('SIGKILL'), 20_000);
        daemon.once('exit', () => {
          clearTimeout(t);
          resolve();
        });
        daemon.kill('SIGTERM');
      });
    }
    rmSync(d, { recursive: true, force: true });
  };
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (daemon.exitCode !== null) throw new Error(`dockerd exited (${daemon.exitCode}); is this root, with dockerd installed?\n${daemonLog}`);
      if (existsSync(socketPath) && (await apiGet(socketPath, '/version').then(() => true, () => false))) break;
      if (Date.now() > deadline) throw new Error(`dockerd did not answer within 60 s\n${daemonLog}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    // no registry here: an image from the static busybox binary
    const rootfs = join(d, 'rootfs');
    mkdirSync(join(rootfs, 'bin'), { recursive: true });
    copyFileSync('/bin/busybox', join(rootfs, 'bin/busybox'));
    for (const applet of ['sh', 'sleep']) symlinkSync('busybox', join(rootfs, 'bin', applet));
    await run('tar', ['-C', rootfs, '-cf', join(d, 'rootfs.tar'), '.']);
    await docker('import', join(d, 'rootfs.tar'), IMAGE);
    log(`starting ${count} containers`);
    for (let i = 0; i < count; i += 10) {
      await Promise.all(
        Array.from({ length: Math.min(10, count - i) }, (_, k) => docker('run', '-d', '--network', 'none', '--name', `bench-${i + k}`, IMAGE, 'sh', '-c', 'while :; do sleep 1; done')),
      );
    }
    return { socketPath, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

type Who = 'pool' | 'main' | 'floor' | 'peer';
const WHO: readonly Who[] = ['pool', 'main', 'floor', 'peer'];
const byWho = <T>(f: (who: Who) => T): Record<Who, T> => ({ pool: f('pool'), main: f('main'), floor: f('floor'), peer: f('peer') });

const external = process.env.DFE_BENCH_DOCKER_SOCK;
const own = external ? undefined : await startDaemon(WANT);
const socketPath = external ?? own!.socketPath;
const dir = mkdtempSync('/tmp/dfe-bench-');
let pool: ExporterProcess | undefined;
let main: ExporterProcess | undefined;
let floor: Awaited<ReturnType<typeof startFloor>> | undefined;
let peer: Awaited<ReturnType<typeof startPeer>> | undefined;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
try {
  const version = (await apiGet(socketPath, '/version')) as { Version?: string };
  const list = (await apiGet(socketPath, '/containers/json')) as unknown[];
  const containers = list.length;
  log(`dockerd ${version.Version} at ${socketPath}: ${containers} running containers; ${SCRAPES} scrapes per client and phase; exporter families: ${families.join(', ')}`);
  const hosts = [{ name: 'engine', socketPath }];
  const prof = (label: string) => (cpuProf ? join(cpuProf, label) : undefined);
  pool = await ExporterProcess.start({ label: 'engine-pool', dir, hosts, concurrency: 256, threads: os.availableParallelism(), eld: false, families, cpuProfDir: prof('engine-pool') });
  main = await ExporterProcess.start({ label: 'engine-main-thread', dir, hosts, concurrency: 256, threads: 0, eld: false, families, cpuProfDir: prof('engine-main-thread') });
  floor = await startFloor(hosts, 256, prof('engine-floor'));
  peer = await startPeer(socketPath, prof('engine-peer'));
  const exporters = { pool, main };
  const pids = { pool: pool.pid, main: main.pid, floor: floor.pid, peer: peer.pid };
  const scrape = async (who: Who): Promise<number> => {
    if (who === 'floor') {
      const r = await floor!.scrape();
      if (r.containers !== containers) throw new Error(`floor fetched ${r.containers} of ${containers}`);
      return r.wallMs;
    }
    if (who === 'peer') {
      const r = await peer!.scrape();
      if (r.containers !== containers) throw new Error(`peer fetched ${r.containers} of ${containers}`);
      const n = r.body.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;
      if (n !== PEER_SERIES * containers) throw new Error(`peer: ${n} series for ${containers} containers, not ${PEER_SERIES} each`);
      return r.wallMs;
    }
    const s = await exporters[who].scrape();
    const n = s.body.toString('utf8').split(`\n${CPU_SERIES}{`).length - 1;
    if (n !== containers) throw new Error(`${who}: scrape has ${CPU_SERIES} for ${n} of ${containers} containers`);
    return s.wallMs;
  };
  // warm-up: negotiation, inspect, connections, JIT
  for (let i = 0; i < 3; i++) for (const who of WHO) await scrape(who);

  const summary = (name: string, periodMs: number, cpuUs: Record<Who, number>, threads: EngineCpu['threads'], walls: Record<Who, number[]>, everyMs?: number, scrapes = SCRAPES): EngineCpu => {
    const cpu = byWho((who) => round(cpuUs[who] / (scrapes * containers), 1));
    const r: EngineCpu = {
      periodMs,
      ...(everyMs !== undefined ? { everyMs } : {}),
      cpuUsPerContainer: cpu,
      cpuRatio: { pool: round(cpu.pool / cpu.floor, 2), main: round(cpu.main / cpu.floor, 2) },
      exporterToPeer: { pool: round(cpu.pool / cpu.peer, 2), main: round(cpu.main / cpu.peer, 2) },
      wallP50Ms: byWho((who) => round(percentile(walls[who], 50))),
      threads,
    };
    log(`${name}: ${JSON.stringify(r)}`);
    return r;
  };

  /**
   * Back to back: each client scraped BLOCK times in a row while the others wait, the clients
   * taking turns block by block (rotating who goes first), so all see the same load over the
   * run; a client's CPU is counted over its own blocks only.
   */
  const backToBackPhase = async (): Promise<EngineCpu> => {
    const BLOCK = 5;
    const walls = byWho((): number[] => []);
    const cpuUs = byWho(() => 0);
    const threads = byWho((): ThreadCpu => ({}));
    for (let i = 0; i < SCRAPES / BLOCK; i++) {
      for (let k = 0; k < WHO.length; k++) {
        const who = WHO[(i + k) % WHO.length]!;
        const c0 = cpuMicros(pids[who]);
        const t0 = threadCpu(pids[who]);
        for (let j = 0; j < BLOCK; j++) walls[who].push(await scrape(who));
        cpuUs[who] += cpuMicros(pids[who]) - c0;
        threads[who] = threadAdd(threads[who], t0, threadCpu(pids[who]));
      }
    }
    const per = SCRAPES * containers;
    return summary('back to back', 0, cpuUs, byWho((who) => threadDelta({}, threads[who], per)), walls);
  };

  /** Spaced: each client every periodMs, the clients 1/WHO.length of a period apart; CPU over the whole phase, idle time included. */
  /**
   * Spaced: each client alone, scraped every periodMs (as Prometheus does) for BLOCK periods,
   * the clients taking turns block by block; a client's CPU is counted over its own blocks,
   * its idle time between scrapes included. Four clients in one period would not fit: a
   * scrape of the real engine takes 1-2 s.
   */
  const spacedPhase = async (periodMs: number, scrapes: number): Promise<EngineCpu> => {
    const BLOCK = 5;
    const walls = byWho((): number[] => []);
    const cpuUs = byWho(() => 0);
    const threads = byWho((): ThreadCpu => ({}));
    for (let i = 0; i < scrapes / BLOCK; i++) {
      for (let k = 0; k < WHO.length; k++) {
        const who = WHO[(i + k) % WHO.length]!;
        const c0 = cpuMicros(pids[who]);
        const t0 = threadCpu(pids[who]);
        const start = performance.now();
        for (let j = 0; j < BLOCK; j++) {
          await sleep(Math.max(0, start + j * periodMs - performance.now()));
          walls[who].push(await scrape(who));
        }
        await sleep(Math.max(0, start + BLOCK * periodMs - performance.now()));
        cpuUs[who] += cpuMicros(pids[who]) - c0;
        threads[who] = threadAdd(threads[who], t0, threadCpu(pids[who]));
      }
    }
    const per = scrapes * containers;
    return summary(`spaced ${periodMs} ms`, periodMs, cpuUs, byWho((who) => threadDelta({}, threads[who], per)), walls, periodMs, scrapes);
  };
  const backToBack = phases.has('b2b') ? await backToBackPhase() : undefined;
  const spaced = phases.has('spaced') ? await spacedPhase(SPACED_MS, SPACED_SCRAPES) : undefined;
  const wallPhase = backToBack ?? spaced!;
  const result: EngineResult = {
    date: new Date().toISOString(),
    containers,
    scrapes: SCRAPES,
    exporterWallP50Ms: wallPhase.wallP50Ms.pool,
    floorWallP50Ms: wallPhase.wallP50Ms.floor,
    ratio: round(wallPhase.wallP50Ms.pool / wallPhase.wallP50Ms.floor, 3),
    serverVersion: version.Version ?? '?',
    cpus: os.availableParallelism(),
    backToBack,
    spaced,
    peakRssMb: byWho((who) => mb(memory(pids[who]).peakRss)),
    families: [...families],
  };
  log(JSON.stringify(result));
  process.stdout.write(`exporter scrape p50 ${result.exporterWallP50Ms} ms / floor p50 ${result.floorWallP50Ms} ms = ratio ${result.ratio} (target <= 1.15)\n`);
  for (const [name, p] of [['back to back', backToBack], ['spaced', spaced]] as const) {
    if (!p) continue;
    const c = p.cpuUsPerContainer;
    const vsPeer = p.exporterToPeer ? `; peer ${c.peer}: exporter / peer pool ${p.exporterToPeer.pool} x, threads=0 ${p.exporterToPeer.main} x` : '';
    process.stdout.write(`${name}: CPU us / container-scrape: pool ${c.pool} (${p.cpuRatio.pool} x floor), threads=0 ${c.main} (${p.cpuRatio.main} x), floor ${c.floor} (target <= 1.5 x)${vsPeer}\n`);
  }
  if (!args['no-write']) {
    const results = join(ROOT, 'bench/results');
    mkdirSync(results, { recursive: true });
    writeFileSync(join(results, 'engine.json'), `${JSON.stringify(result, null, 2)}\n`);
    writeFileSync(join(results, 'results.md'), renderResults(results));
  }
} finally {
  await Promise.all([pool?.stop(), main?.stop(), floor?.close(), peer?.close()]);
  await own?.stop();
  rmSync(dir, { recursive: true, force: true });
}
