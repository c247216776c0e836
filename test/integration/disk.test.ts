// Disk usage (GET /system/df) against fake Engine API daemons: it runs in the background, a
// scrape never waits for it, and what the daemon says reaches the right series.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { createExporter, type Exporter } from '../../src/app.ts';
import type { CollectionConfig, ExporterConfig, HostConfig } from '../../src/config/types.ts';
import { makeCerts, type Certs } from '../support/certs.ts';
import { buildRecord } from '../support/disk-bodies.ts';
import { startFakeEngine, type FakeEngine } from '../support/fake-engine.ts';
import { testConfig } from '../support/config.ts';

const MB = 1_000_000;
/** What the issue asks for: a daemon that takes 30 s to walk its layers. */
const SLOW_DF_MS = 30_000;
const silent = pino({ level: 'silent' });
const dir = mkdtempSync(join(tmpdir(), 'dfe-disk-'));
let certs: Certs;

const unixHost = (name: string, e: FakeEngine): HostConfig => ({ name, url: e.url, endpoint: { kind: 'unix', socketPath: e.socketPath! }, labels: {} });
const tlsHost = (name: string, e: FakeEngine): HostConfig => ({
  name, url: e.url, labels: { dc: 'x' },
  endpoint: { kind: 'tcp', host: '127.0.0.1', port: e.port!, tls: { ca: certs.paths.ca, cert: certs.paths.clientCert, key: certs.paths.clientKey, insecureSkipVerify: false } },
});

function config(hosts: HostConfig[], collection: Partial<CollectionConfig>): ExporterConfig {
  return testConfig(hosts, { collection: { timeoutMs: 2000, ...collection }, metrics: { containerLabels: [] } });
}

const running: Exporter[] = [];
const engines: FakeEngine[] = [];

async function start(cfg: ExporterConfig, log = silent): Promise<{ url: string; exporter: Exporter }> {
  const exporter = createExporter(cfg, log);
  running.push(exporter);
  const port = await exporter.listen(0, '127.0.0.1');
  return { url: `http://127.0.0.1:${port}`, exporter };
}

/** A daemon whose disk is known: web (20 MB written, volume "data"), an exited job, an orphan volume, an unused image, build cache. */
async function engine(kind: 'unix' | 'tls'): Promise<FakeEngine> {
  const containers = [
    { name: 'web', image: 'nginx:1.25', state: 'running' as const },
    { name: 'job', image: 'nginx:1.25', state: 'exited' as const, exitCode: 0 },
  ];
  const e = kind === 'unix'
    ? await startFakeEngine({ socketPath: join(dir, `e${engines.length}.sock`), containers })
    : await startFakeEngine({ port: 0, tls: { key: certs.serverKey, cert: certs.serverCert, ca: certs.ca, requestCert: true }, containers });
  e.disk.containers = { web: { sizeRw: 20 * MB, sizeRootFs: 70 * MB, volumes: ['data', 'logs'] }, job: { sizeRw: 3 * MB, sizeRootFs: 53 * MB } };
  e.disk.images = [
    { id: e.containers.get('web')!.imageId, repoTags: ['nginx:1.25'], repoDigests: [], size: 50 * MB, sharedSize: 0, createdAt: Date.now() },
    { id: `sha256:${'d'.repeat(64)}`, repoTags: [], repoDigests: [], size: 10 * MB, sharedSize: 0, createdAt: Date.now() },
  ];
  e.disk.volumes = [{ name: 'data', size: 5 * MB }, { name: 'logs', size: 1 * MB }, { name: 'orphan', size: 10 * MB }];
  e.disk.buildCache = [buildRecord('layer', 4 * MB), buildRecord('busy', 1 * MB, { inUse: true })];
  engines.push(e);
  return e;
}

interface Scrape {
  text: string;
  ms: number;
}

async function scrape(url: string): Promise<Scrape> {
  const t0 = performance.now();
  const res = await fetch(`${url}/metrics`);
  const text = await res.text();
  assert.equal(res.status, 200);
  return { text, ms: performance.now() - t0 };
}

/** value of the series `metric{labels}` (labels exactly as rendered, host first), or undefined */
function value(text: string, metric: string, labels: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${metric}{${labels}} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** Scrapes every 100 ms until `ok` holds of the text (10 s at most); returns that text. */
async function scrapeUntil(url: string, ok: (text: string) => boolean, what: string): Promise<string> {
  for (let i = 0; ; i++) {
    const { text } = await scrape(url);
    if (ok(text)) return text;
    assert.ok(i < 100, `${what} within 10 s`);
    await sleep(100);
  }
}

/** Polls every 50 ms until `ok` (5 s at most). */
async function waitFor(ok: () => boolean, what: string): Promise<void> {
  for (let i = 0; !ok(); i++) {
    assert.ok(i < 100, `${what} within 5 s`);
    await sleep(50);
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every figure the fake daemon's disk implies, as host `host` (labels `hl`) exports it. */
function assertFigures(text: string, e: FakeEngine, hl: string): void {
  const bytes = (type: string) => [value(text, 'docker_host_disk_usage_bytes', `${hl},type="${type}"`), value(text, 'docker_host_disk_reclaimable_bytes', `${hl},type="${type}"`)];
  // images: 60 MB of layers, only the unused 10 MB one reclaimable
  assert.deepEqual(bytes('images'), [60 * MB, 10 * MB]);
  // containers: 23 MB of writable layers, the exited job's 3 MB reclaimable
  assert.deepEqual(bytes('containers'), [23 * MB, 3 * MB]);
  // volumes: 16 MB, the orphan's 10 MB reclaimable
  assert.deepEqual(bytes('volumes'), [16 * MB, 10 * MB]);
  assert.deepEqual(bytes('build_cache'), [5 * MB, 4 * MB]);
  assert.equal(value(text, 'docker_host_images', hl), 2);
  assert.equal(value(text, 'docker_host_dangling_images', hl), 1);
  assert.equal(value(text, 'docker_host_volumes', hl), 3);
  const web = e.containers.get('web')!;
  const cl = (c: { name: string; id: string; image: string }) => `${hl},name="${c.name}",id="${c.id}",image="${c.image}"`;
  assert.equal(value(text, 'container_fs_usage_bytes', cl(web)), 20 * MB);
  assert.equal(value(text, 'container_fs_rootfs_bytes', cl(web)), 70 * MB);
  assert.equal(value(text, 'container_fs_usage_bytes', cl(e.containers.get('job')!)), 3 * MB);
  // only volumes an exported container mounts
  assert.equal(value(text, 'docker_volume_usage_bytes', `${hl},volume="data"`), 5 * MB);
  assert.equal(value(text, 'docker_volume_usage_bytes', `${hl},volume="logs"`), 1 * MB);
  assert.equal(value(text, 'docker_volume_usage_bytes', `${hl},volume="orphan"`), undefined, 'a volume no container mounts');
}

before(async () => {
  certs = await makeCerts(join(dir, 'certs'));
});

after(async () => {
  await Promise.all(running.map((e) => e.close()));
  await Promise.all(engines.map((e) => e.close()));
  rmSync(dir, { recursive: true, force: true });
});

describe('a daemon that takes 30 s to answer /system/df', { timeout: 120_000 }, () => {
  test('scrapes are as quick while it walks, and its figures appear once it answers', async (t) => {
    const slow = await engine('unix');
    slow.dfDelayMs = SLOW_DF_MS;
    // The same daemon watched without disk usage: the baseline, scraped in turn.
    const { url } = await start(config([unixHost('slow', slow)], { diskIntervalMs: 1000 }));
    const { url: baseline } = await start(config([unixHost('slow', slow)], { diskIntervalMs: 0 }));

    // the first walk starts within the first interval (1 s, jittered)
    await waitFor(() => slow.requests.byKind.df > 0, 'the exporter asked for /system/df on its own, without a scrape,');
    const walkStarted = Date.now();
    const during: number[] = [];
    const without: number[] = [];
    let last: Scrape | undefined;
    while (Date.now() - walkStarted < SLOW_DF_MS - 3000) {
      last = await scrape(url);
      during.push(last.ms);
      without.push((await scrape(baseline)).ms);
      assert.equal(value(last.text, 'docker_host_up', 'host="slow"'), 1, 'the probe is not held up');
      assert.equal(value(last.text, 'docker_probe_inline_timeouts_total', 'host="slow"'), 0, 'no scrape waited past its deadline');
      assert.equal(value(last.text, 'docker_host_disk_usage_age_seconds', 'host="slow"'), undefined, 'no disk figures before the daemon answered');
      assert.equal(value(last.text, 'docker_host_disk_usage_failures_total', 'host="slow"'), 0);
      await sleep(300);
    }
    assert.equal(slow.requests.byKind.df, 1, 'one walk at a time: none started while the first runs');
    assert.ok(during.length >= 10, `${during.length} scrapes during the walk`);
    t.diagnostic(`${during.length} scrapes during the walk: median ${median(during).toFixed(1)} ms, max ${Math.max(...during).toFixed(1)} ms; without disk usage: median ${median(without).toFixed(1)} ms, max ${Math.max(...without).toFixed(1)} ms`);
    // Unchanged: no scrape near the 2 s deadline, and typically as quick as without disk usage
    // (generous margins: other tests share these 2 cores).
    assert.ok(Math.max(...during) < 1500, `slowest scrape during the walk: ${Math.round(Math.max(...during))} ms`);
    assert.ok(median(during) <= 3 * median(without) + 50, `median scrape ${median(during).toFixed(1)} ms with the walk, ${median(without).toFixed(1)} ms without`);

    // It answers at 30 s: the next scrape after that has the figures.
    const text = await scrapeUntil(url, (t) => value(t, 'docker_host_disk_usage_age_seconds', 'host="slow"') !== undefined, 'figures after the answer');
    assert.ok(Date.now() - walkStarted >= SLOW_DF_MS - 100, 'not before the daemon answered');
    assertFigures(text, slow, 'host="slow"');
    assert.ok(value(text, 'docker_host_disk_usage_age_seconds', 'host="slow"')! < 10);
    const baselineText = (await scrape(baseline)).text;
    assert.doesNotMatch(baselineText, /^(docker_host_disk|container_fs_usage|docker_volume_usage)\S*\{/m, 'disk_interval 0s: no disk series');

    // The next walk starts an interval later and takes 30 s again: closing does not wait for it.
    await waitFor(() => slow.requests.byKind.df === 2, 'a second walk an interval after the first');
    const exporter = running[0]!;
    const t0 = performance.now();
    await exporter.close();
    assert.ok(performance.now() - t0 < 5000, `close took ${Math.round(performance.now() - t0)} ms with a walk in flight`);
  });
});

describe('figures, failures and limits', () => {
  test('through mutual TLS: every figure as the daemon says, the host\'s static labels on each', async () => {
    const e = await engine('tls');
    const { url } = await start(config([tlsHost('tls', e)], { diskIntervalMs: 200 }));
    const text = await scrapeUntil(url, (t) => value(t, 'docker_host_disk_usage_age_seconds', 'host="tls",dc="x"') !== undefined, 'figures');
    assertFigures(text, e, 'host="tls",dc="x"');
    // a change shows at the next walk
    e.disk.containers = { ...e.disk.containers, web: { sizeRw: 25 * MB, sizeRootFs: 75 * MB, volumes: ['data', 'logs'] } };
    const web = e.containers.get('web')!;
    const labels = `host="tls",dc="x",name="web",id="${web.id}",image="nginx:1.25"`;
    await scrapeUntil(url, (t) => value(t, 'container_fs_usage_bytes', labels) === 25 * MB, 'the change');
  });

  test('disk_max_volumes: the largest mounted volumes only, the cut logged once', async () => {
    const e = await engine('unix');
    const lines: Record<string, unknown>[] = [];
    const log = pino({ level: 'warn', base: undefined }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
    const { url } = await start(config([unixHost('capped', e)], { diskIntervalMs: 200, diskMaxVolumes: 1 }), log);
    const text = await scrapeUntil(url, (t) => value(t, 'docker_host_disk_usage_age_seconds', 'host="capped"') !== undefined, 'figures');
    assert.equal(value(text, 'docker_volume_usage_bytes', 'host="capped",volume="data"'), 5 * MB);
    assert.equal(value(text, 'docker_volume_usage_bytes', 'host="capped",volume="logs"'), undefined, 'the smaller one is left out');
    for (let i = 0; i < 3; i++) await scrape(url);
    const cut = lines.filter((l) => String(l.msg).includes('disk_max_volumes'));
    assert.deepEqual(cut.map((l) => [l.host, l.dropped, l.kept]), [['capped', 1, 1]], 'one warning however many scrapes');
  });

  test('a failing /system/df is counted; the host and its containers are served as usual', async () => {
    const e = await engine('unix');
    e.addFault({ kind: 'df', status: 500, message: 'a disk usage operation is already running' });
    const { url } = await start(config([unixHost('failing', e)], { diskIntervalMs: 100 }));
    let text = await scrapeUntil(url, (t) => (value(t, 'docker_host_disk_usage_failures_total', 'host="failing"') ?? 0) >= 3, 'three failures');
    assert.equal(value(text, 'docker_host_up', 'host="failing"'), 1);
    assert.equal(value(text, 'docker_host_disk_usage_age_seconds', 'host="failing"'), undefined, 'no figures: none ever succeeded');
    assert.doesNotMatch(text, /^container_fs_usage_bytes\{/m);
    // it recovers, and the count stays
    e.clearFaults();
    text = await scrapeUntil(url, (t) => value(t, 'docker_host_disk_usage_age_seconds', 'host="failing"') !== undefined, 'figures once the daemon answers');
    assert.ok(value(text, 'docker_host_disk_usage_failures_total', 'host="failing"')! >= 3);
  });

  test('disk_interval 0s: /system/df is never asked', async () => {
    const e = await engine('unix');
    const { url } = await start(config([unixHost('off', e)], { diskIntervalMs: 0 }));
    await scrape(url);
    await sleep(500);
    const { text } = await scrape(url);
    assert.equal(e.requests.byKind.df, 0);
    assert.doesNotMatch(text, /^(docker_host_disk|docker_host_images|docker_host_volumes|container_fs_usage|docker_volume_usage)\S*\{/m);
  });
});
