// Disk usage (GET /system/df in the background) against the real daemons, through all three
// transports: A's socket, B over TCP with mutual TLS, A again over SSH. What the exporter says
// must be what `docker ps --size` and `docker system df` say on the same daemon.
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { engineGet } from './lib/engine.ts';
import { one, select, type Exposition } from './lib/exposition.ts';
import { hostA, hostASsh, hostB, scrapeUntil, startExporter, type Exporter } from './lib/exporter.ts';
import { dockerCli, HOST_A, HOST_A_SSH, HOST_B, loadFleet, RUN_DIR } from './lib/fleet.ts';

const fleet = loadFleet();
const MiB = 2 ** 20;
const WRITER = 'e2e-disk-writer';
const USED_VOLUME = 'e2e-disk-used';
const UNUSED_VOLUME = 'e2e-disk-unused';
const EXTRA_IMAGE = 'e2e-disk-extra:latest';
/** The writer committed: the fleet's image (in use) plus 20 MiB, so the two share a layer. */
const COMMITTED_IMAGE = 'e2e-disk-committed:latest';
/** The daemon behind each host the exporter watches (A-over-SSH is A). */
const HOSTS = [
  { host: HOST_A, socket: fleet.a.socket },
  { host: HOST_B, socket: fleet.b.socket },
  { host: HOST_A_SSH, socket: fleet.a.socket },
] as const;
const DAEMONS = [fleet.a.socket, fleet.b.socket];
const TYPES = { images: 'Images', containers: 'Containers', volumes: 'Local Volumes', build_cache: 'Build Cache' } as const;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** docker's human sizes (go-units HumanSize: powers of 1000, 3-4 significant digits) in bytes. */
export function humanBytes(text: string): number {
  const m = /^([\d.]+)\s*(B|kB|KB|MB|GB|TB)\b/.exec(text.trim());
  if (!m) throw new Error(`not a docker size: ${JSON.stringify(text)}`);
  const unit = { B: 1, kB: 1e3, KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12 }[m[2] as 'B'];
  return Math.round(Number(m[1]) * unit);
}

/** dockerd 20.10 refuses a df while another runs (the exporter's, say): try again. */
async function cli(socket: string, args: string[]): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await dockerCli(socket, args);
    } catch (err) {
      if (attempt < 20 && /already running/.test(String(err))) {
        await sleep(500);
        continue;
      }
      throw err;
    }
  }
}

interface DfLine {
  Type: string;
  TotalCount: string;
  Size: string;
  Reclaimable: string;
}

/** `docker system df`, by our type names: bytes as the CLI prints them. */
async function systemDf(socket: string): Promise<Record<keyof typeof TYPES, { count: number; size: number; reclaimable: number }>> {
  const lines = (await cli(socket, ['system', 'df', '--format', '{{json .}}'])).trim().split('\n').map((l) => JSON.parse(l) as DfLine);
  const out = {} as Record<keyof typeof TYPES, { count: number; size: number; reclaimable: number }>;
  for (const [type, label] of Object.entries(TYPES) as [keyof typeof TYPES, string][]) {
    const line = lines.find((l) => l.Type === label);
    assert.ok(line, `docker system df has a "${label}" line: ${JSON.stringify(lines)}`);
    out[type] = { count: Number(line.TotalCount), size: humanBytes(line.Size), reclaimable: humanBytes(line.Reclaimable) };
  }
  return out;
}

/** Scrapes until every host's disk figures were measured after `since` (unix ms). */
async function freshScrape(exp: Exporter, since: number): Promise<Exposition> {
  const measuredAfter = (e: Exposition, host: string) => {
    const age = select(e, 'docker_host_disk_usage_age_seconds', { host })[0]?.value;
    return age !== undefined && Date.now() - age * 1000 > since + 200;
  };
  const { e, ok } = await scrapeUntil(exp, (e) => HOSTS.every(({ host }) => measuredAfter(e, host)), 60_000);
  assert.ok(ok, `disk figures measured after the change for every host; ages: ${select(e, 'docker_host_disk_usage_age_seconds').map((s) => `${s.labels.host}=${s.value}`).join(', ')}\n${exp.logTail(10)}`);
  return e;
}

/** |a - b| within `fraction` of b, or within `slack` bytes (the CLI's rounding of small numbers). */
function near(actual: number, expected: number, fraction: number, what: string, slack = 0): void {
  const ok = Math.abs(actual - expected) <= Math.max(Math.abs(expected) * fraction, slack);
  assert.ok(ok, `${what}: exporter ${actual}, docker ${expected} (allowed ${fraction * 100}%${slack ? ` or ${slack} bytes` : ''})`);
}

let exp: Exporter;

before(async () => {
  // 2s: the test waits for fresh figures; the 5m default would have it wait minutes.
  exp = await startExporter('disk', [hostA(fleet), hostB(fleet), hostASsh(fleet)], { collection: { timeout: '8s', disk_interval: '2s' } });
});

after(async () => {
  if (exp && exp.child.exitCode === null) await exp.stop();
  for (const socket of DAEMONS) {
    await dockerCli(socket, ['rm', '-f', WRITER]).catch(() => '');
    await dockerCli(socket, ['rmi', EXTRA_IMAGE, COMMITTED_IMAGE]).catch(() => '');
    await dockerCli(socket, ['volume', 'rm', USED_VOLUME, UNUSED_VOLUME]).catch(() => '');
  }
});

describe('disk usage against real daemons (A socket, B TLS, A over SSH)', { timeout: 300_000 }, () => {
  test('GET /system/df on the e2e daemon: what it costs (vfs storage driver)', async (t) => {
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      for (;;) {
        try {
          await engineGet(fleet.a.socket, '/system/df');
          break;
        } catch (err) {
          if (!/already running/.test(String(err))) throw err;
          await sleep(200);
        }
      }
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    const list = (await engineGet<unknown[]>(fleet.a.socket, '/containers/json?all=1')).length;
    const images = (await engineGet<unknown[]>(fleet.a.socket, '/images/json')).length;
    t.diagnostic(`A: ${list} containers, ${images} images: /system/df took ${times.map((x) => `${Math.round(x)}ms`).join(', ')} (median ${Math.round(times[2]!)}ms)`);
    assert.ok(times[2]! < 60_000);
  });

  test('a container that wrote 20 MiB into its own filesystem: container_fs_usage_bytes as docker ps --size and docker system df -v say', async (t) => {
    for (const socket of DAEMONS) {
      await dockerCli(socket, ['volume', 'create', USED_VOLUME]);
      await dockerCli(socket, [
        'run', '-d', '--network', 'none', '--stop-timeout', '2', '--name', WRITER, '-v', `${USED_VOLUME}:/data`, fleet.image, 'sh', '-c',
        'dd if=/dev/urandom of=/fill bs=1M count=20 2>/dev/null && dd if=/dev/urandom of=/data/fill bs=1M count=1 2>/dev/null && echo written; trap "exit 0" TERM; while :; do sleep 1; done',
      ]);
    }
    for (const socket of DAEMONS) {
      for (let i = 0; !(await dockerCli(socket, ['logs', WRITER])).includes('written'); i++) {
        assert.ok(i < 120, `${WRITER} wrote its 20 MiB within 60 s`);
        await sleep(500);
      }
    }
    const e = await freshScrape(exp, Date.now());

    for (const { host, socket } of HOSTS) {
      const fs = one(e, 'container_fs_usage_bytes', { host, name: WRITER });
      const rootfs = one(e, 'container_fs_rootfs_bytes', { host, name: WRITER });
      assert.ok(fs >= 20 * MiB, `${host}: container_fs_usage_bytes ${fs} >= the 20 MiB written`);
      // what `docker ps --size` asks the daemon, exact bytes
      const listed = await engineGet<{ Names: string[]; SizeRw?: number; SizeRootFs?: number }[]>(socket, '/containers/json?all=1&size=1');
      const mine = listed.find((c) => c.Names.includes(`/${WRITER}`));
      assert.ok(mine, `${WRITER} listed on ${host}`);
      near(fs, mine.SizeRw ?? 0, 0.05, `${host} container_fs_usage_bytes vs /containers/json?size=1 SizeRw`);
      near(rootfs, mine.SizeRootFs ?? 0, 0.05, `${host} container_fs_rootfs_bytes vs SizeRootFs`);
      // and what the CLI prints
      const ps = (await cli(socket, ['ps', '-a', '--size', '--filter', `name=^${WRITER}$`, '--format', '{{.Size}}'])).trim();
      near(fs, humanBytes(ps), 0.05, `${host} container_fs_usage_bytes vs docker ps --size "${ps}"`);
      const verbose = JSON.parse(await cli(socket, ['system', 'df', '-v', '--format', '{{json .}}'])) as {
        Containers: { Names: string; Size: string }[];
        Volumes: { Name: string; Size: string; Links: string }[];
      };
      const row = verbose.Containers.find((c) => c.Names === WRITER);
      assert.ok(row, `${WRITER} in docker system df -v on ${host}`);
      near(fs, humanBytes(row.Size), 0.05, `${host} container_fs_usage_bytes vs docker system df -v "${row.Size}"`);
      t.diagnostic(`${host}: container_fs_usage_bytes ${fs}, SizeRw ${mine.SizeRw}, docker ps --size "${ps}", docker system df -v "${row.Size}"; container_fs_rootfs_bytes ${rootfs}, SizeRootFs ${mine.SizeRootFs}`);
      // its volume: exported, as df -v sizes it
      const vol = verbose.Volumes.find((v) => v.Name === USED_VOLUME);
      assert.ok(vol, `${USED_VOLUME} in docker system df -v on ${host}`);
      const volBytes = one(e, 'docker_volume_usage_bytes', { host, volume: USED_VOLUME });
      assert.ok(volBytes >= MiB, `${host}: docker_volume_usage_bytes{volume="${USED_VOLUME}"} ${volBytes} >= the 1 MiB written`);
      near(volBytes, humanBytes(vol.Size), 0.05, `${host} docker_volume_usage_bytes vs docker system df -v "${vol.Size}"`);
    }
  });

  test('an extra image, an image sharing a layer with one in use, and an unused 10 MiB volume move usage and reclaimable as docker system df does', async (t) => {
    // Before: both sides measured after the last change.
    const before0 = await freshScrape(exp, Date.now());
    const cliBefore = Object.fromEntries(await Promise.all(DAEMONS.map(async (s) => [s, await systemDf(s)] as const)));

    const dir = join(RUN_DIR, 'disk-extra-image');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(join(dir, 'rootfs'), { recursive: true });
    writeFileSync(join(dir, 'rootfs', 'blob'), randomBytes(10 * MiB));
    execFileSync('tar', ['-C', join(dir, 'rootfs'), '-cf', join(dir, 'image.tar'), '.']);
    for (const socket of DAEMONS) {
      await dockerCli(socket, ['import', join(dir, 'image.tar'), EXTRA_IMAGE]);
      // shares the fleet image's layer, which its containers use: the CLI counts that layer as
      // reclaimable too (docker 28; see README, Disk usage), and so must the exporter
      await dockerCli(socket, ['commit', WRITER, COMMITTED_IMAGE]);
      await dockerCli(socket, ['volume', 'create', UNUSED_VOLUME]);
      // --rm: the container goes, the volume stays, referenced by nothing
      await dockerCli(socket, ['run', '--rm', '--network', 'none', '-v', `${UNUSED_VOLUME}:/v`, fleet.image, 'dd', 'if=/dev/urandom', 'of=/v/fill', 'bs=1M', 'count=10']);
    }
    rmSync(dir, { recursive: true, force: true });

    const after1 = await freshScrape(exp, Date.now());
    const cliAfter = Object.fromEntries(await Promise.all(DAEMONS.map(async (s) => [s, await systemDf(s)] as const)));

    for (const { host, socket } of HOSTS) {
      for (const type of Object.keys(TYPES) as (keyof typeof TYPES)[]) {
        const usage = one(after1, 'docker_host_disk_usage_bytes', { host, type });
        const reclaimable = one(after1, 'docker_host_disk_reclaimable_bytes', { host, type });
        // the CLI prints 3-4 significant digits: 0.1% of the figure, or 10 kB near zero
        near(usage, cliAfter[socket]![type].size, 0.002, `${host} docker_host_disk_usage_bytes{type="${type}"}`, 10_000);
        near(reclaimable, cliAfter[socket]![type].reclaimable, 0.002, `${host} docker_host_disk_reclaimable_bytes{type="${type}"}`, 10_000);
        t.diagnostic(`${host} ${type}: usage ${usage} (docker ${cliAfter[socket]![type].size}), reclaimable ${reclaimable} (docker ${cliAfter[socket]![type].reclaimable})`);
      }
      assert.equal(one(after1, 'docker_host_images', { host }), cliAfter[socket]!.images.count, `${host} docker_host_images = docker system df TOTAL`);
      assert.equal(one(after1, 'docker_host_volumes', { host }), cliAfter[socket]!.volumes.count, `${host} docker_host_volumes = docker system df TOTAL`);
      const dangling = (await dockerCli(socket, ['images', '-q', '--filter', 'dangling=true'])).trim().split('\n').filter(Boolean).length;
      assert.equal(one(after1, 'docker_host_dangling_images', { host }), dangling, `${host} docker_host_dangling_images = docker images --filter dangling=true`);
      assert.equal(select(after1, 'docker_volume_usage_bytes', { host, volume: UNUSED_VOLUME }).length, 0, `${host}: an unused volume has no docker_volume_usage_bytes`);

      // The moves: at least +10 MiB of image (unused, so reclaimable) and +10 MiB of unused volume.
      for (const [type, metric] of [['images', 'docker_host_disk_usage_bytes'], ['images', 'docker_host_disk_reclaimable_bytes'], ['volumes', 'docker_host_disk_usage_bytes'], ['volumes', 'docker_host_disk_reclaimable_bytes']] as const) {
        const moved = one(after1, metric, { host, type }) - one(before0, metric, { host, type });
        const field = metric === 'docker_host_disk_usage_bytes' ? 'size' : 'reclaimable';
        const cliMoved = cliAfter[socket]![type][field] - cliBefore[socket]![type][field];
        assert.ok(moved >= 10 * MiB, `${host} ${metric}{type="${type}"} moved ${moved} >= 10 MiB`);
        near(moved, cliMoved, 0.05, `${host} ${metric}{type="${type}"} moved as docker system df's`, 100_000);
        t.diagnostic(`${host} ${metric}{type="${type}"} moved ${moved} (docker system df: ${cliMoved})`);
      }
    }
  });

  test('age and failures: figures are fresh, no walk failed for long', async () => {
    const e = await exp.scrape();
    for (const { host } of HOSTS) {
      const age = one(e, 'docker_host_disk_usage_age_seconds', { host });
      assert.ok(age >= 0 && age < 30, `${host} docker_host_disk_usage_age_seconds ${age}`);
      // the CLI's own df calls above may have collided with a walk: those count, and are few
      const failures = one(e, 'docker_host_disk_usage_failures_total', { host });
      assert.ok(failures >= 0 && failures < 20, `${host} docker_host_disk_usage_failures_total ${failures}`);
    }
  });
});
