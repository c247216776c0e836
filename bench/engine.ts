// `npm run bench:engine`: the exporter against a real Docker Engine with running containers,
// next to the floor, which is every container's one-shot stats call made in parallel by a
// bare HTTP client (bench/floor.ts). Both wait for the daemon's 1 s sampling tick, so the
// ratio shows what the exporter adds on top of the daemon itself. Target: <= 1.15.
//
// Uses the daemon at $DFE_BENCH_DOCKER_SOCK if set (its running containers as they are);
// otherwise starts its own dockerd (root, as /work/shared/docs/real-engine.md describes) with
// $DFE_BENCH_CONTAINERS (default 50) busybox containers, and removes all of it afterwards.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ExporterProcess, ROOT } from './exporter.ts';
import { startFloor } from './fleet.ts';
import { renderResults } from './report.ts';
import { percentile, round } from './stats.ts';
import type { EngineResult } from './types.ts';

const run = promisify(execFile);
const SCRAPES = Number(process.env.DFE_BENCH_ENGINE_SCRAPES ?? 10);
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

const external = process.env.DFE_BENCH_DOCKER_SOCK;
const own = external ? undefined : await startDaemon(WANT);
const socketPath = external ?? own!.socketPath;
const dir = mkdtempSync('/tmp/dfe-bench-');
let ex: ExporterProcess | undefined;
let floor: Awaited<ReturnType<typeof startFloor>> | undefined;
try {
  const version = (await apiGet(socketPath, '/version')) as { Version?: string };
  const list = (await apiGet(socketPath, '/containers/json')) as unknown[];
  log(`dockerd ${version.Version} at ${socketPath}: ${list.length} running containers; ${SCRAPES} scrapes each`);
  const hosts = [{ name: 'engine', socketPath }];
  ex = await ExporterProcess.start({ label: 'engine', dir, hosts, concurrency: 256 });
  floor = await startFloor(hosts, 256);
  const walls = { exporter: [] as number[], floor: [] as number[] };
  for (let i = 0; i < SCRAPES + 2; i++) {
    const record = i >= 2; // two warm-up rounds: negotiation, inspect, connections
    const order = i % 2 === 0 ? (['exporter', 'floor'] as const) : (['floor', 'exporter'] as const);
    for (const who of order) {
      const ms = who === 'exporter' ? (await ex.scrape()).wallMs : (await floor.scrape()).wallMs;
      if (record) walls[who].push(ms);
    }
  }
  const result: EngineResult = {
    date: new Date().toISOString(),
    containers: list.length,
    scrapes: SCRAPES,
    exporterWallP50Ms: round(percentile(walls.exporter, 50)),
    floorWallP50Ms: round(percentile(walls.floor, 50)),
    ratio: round(percentile(walls.exporter, 50) / percentile(walls.floor, 50), 3),
    serverVersion: version.Version ?? '?',
  };
  log(JSON.stringify(result));
  process.stdout.write(`exporter scrape p50 ${result.exporterWallP50Ms} ms / floor p50 ${result.floorWallP50Ms} ms = ratio ${result.ratio} (target <= 1.15)\n`);
  const results = join(ROOT, 'bench/results');
  mkdirSync(results, { recursive: true });
  writeFileSync(join(results, 'engine.json'), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(join(results, 'results.md'), renderResults(results));
} finally {
  await ex?.stop();
  await floor?.close();
  await own?.stop();
  rmSync(dir, { recursive: true, force: true });
}

