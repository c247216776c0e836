// A daemon that answers what no real one would: bodies past their caps, nesting that
// makes a parse slow, thousands of interfaces, repeated ids, link aliases, an outage, renamed
// failing containers. Each must cost only that host or container, and be counted and logged once.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, test } from 'node:test';
import { pino } from 'pino';
import type { Logger } from '../../src/log.ts';
import { createExporter, type Exporter } from '../../src/app.ts';
import type { CollectionConfig, ExporterConfig, HostConfig } from '../../src/config/types.ts';
import { StatsPool } from '../../src/stats/pool.ts';
import { HostTracker } from '../../src/tracker/host-tracker.ts';
import { createUnixTransport } from '../../src/transport/unix.ts';
import { startFakeEngine, type FakeEngine } from '../support/fake-engine.ts';
import { listEntry, statsBody, type ContainerInput } from '../support/stats-bodies.ts';
import { testConfig } from '../support/config.ts';

const dir = mkdtempSync(join(tmpdir(), 'dfe-hostile-'));
const running: Exporter[] = [];
const engines: FakeEngine[] = [];
after(async () => {
  await Promise.all(running.map((e) => e.close()));
  await Promise.all(engines.map((e) => e.close()));
  rmSync(dir, { recursive: true, force: true });
});

/** Log lines as objects, to count what was logged. */
function capture(): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: 'info', base: undefined }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
  return { log, lines };
}

async function engine(containers: ContainerInput[]): Promise<FakeEngine> {
  const e = await startFakeEngine({ socketPath: join(dir, `e${engines.length}.sock`), containers });
  engines.push(e);
  return e;
}

const unixHost = (name: string, e: FakeEngine): HostConfig => ({ name, url: e.url, endpoint: { kind: 'unix', socketPath: e.socketPath! }, labels: {} });

function config(hosts: HostConfig[], collection: Partial<CollectionConfig> = {}, threads = 0): ExporterConfig {
  return testConfig(hosts, { collection: { timeoutMs: 3000, ...collection }, metrics: { containerLabels: [] }, pool: { threads } });
}

async function start(cfg: ExporterConfig, log = capture().log): Promise<string> {
  const exporter = createExporter(cfg, log);
  running.push(exporter);
  return `http://127.0.0.1:${await exporter.listen(0, '127.0.0.1')}`;
}

const scrape = async (url: string): Promise<string> => (await fetch(`${url}/metrics`)).text();

/** Every series of `metric` whose labels contain every fragment: [labels, value]. */
function series(text: string, metric: string, ...has: string[]): [string, number][] {
  const out: [string, number][] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${metric}{`) && !line.startsWith(`${metric} `)) continue;
    if (has.every((h) => line.includes(h))) out.push([line.slice(0, line.lastIndexOf(' ')), Number(line.slice(line.lastIndexOf(' ') + 1))]);
  }
  return out;
}
const value = (text: string, metric: string, ...has: string[]): number | undefined => series(text, metric, ...has)[0]?.[1];

test('a stats body past its 1 MiB cap fails that container alone, counted, logged once with the cap', async () => {
  const e = await engine([{ name: 'ok', state: 'running' }, { name: 'big', state: 'running' }]);
  const big = e.containers.get('big')!;
  // a valid stats body, padded past 1 MiB: before the caps it was accepted (64 MiB for any body)
  const body = statsBody({ id: big.id, name: big.name, cgroup: 2, tick: 1, seed: 1 }).replace(/}\s*$/, `,"pad":"${'x'.repeat(1024 * 1024)}"}`);
  e.addFault({ kind: 'stats', container: 'big', body });
  const { log, lines } = capture();
  const url = await start(config([unixHost('h', e)]), log);
  let text = '';
  for (let i = 0; i < 2; i++) text = await scrape(url);
  assert.equal(value(text, 'docker_host_up', 'host="h"'), 1);
  assert.equal(value(text, 'container_info', 'name="ok"'), 1);
  assert.equal(value(text, 'container_info', 'name="big"'), undefined);
  assert.equal(value(text, 'docker_probe_container_failed_total', 'name="big"'), 2);
  const warned = lines.filter((l) => l.container === 'big' && l.msg === 'container update failed');
  assert.equal(warned.length, 1, 'logged once, not once per scrape');
  assert.match(String(warned[0]!.err), /stats body larger than its 1 MiB cap$/);
});

test('bodies that nest deep fail fast: one daemon cannot stall the others\' parses (pool.threads 1)', async () => {
  // ~1 MiB of nested arrays, under the cap: JSON.parse took ~780 ms on each here, so 6 of them
  // kept the only worker busy for ~5 s per probe and the good host missed every deadline.
  const deep = `{"read":"2026-11-29T00:00:00Z","x":${'['.repeat(500_000)}${']'.repeat(500_000)}}`;
  const badNames = Array.from({ length: 6 }, (_, i) => `deep-${i}`);
  const bad = await engine(badNames.map((name) => ({ name, state: 'running' })));
  bad.addFault({ kind: 'stats', body: deep });
  const good = await engine([{ name: 'g1', state: 'running' }, { name: 'g2', state: 'running' }]);
  const url = await start(config([unixHost('bad', bad), unixHost('good', good)], { timeoutMs: 3000 }, 1));
  await scrape(url); // the worker thread starts (under tsx that alone can take a while)
  for (let i = 0; i < 3; i++) {
    const text = await scrape(url);
    for (const n of ['g1', 'g2']) assert.ok(value(text, 'container_cpu_usage_seconds_total', `name="${n}"`)! > 0, `scrape ${i}: ${n} missing`);
    assert.equal(value(text, 'docker_probe_inline_timeouts_total', 'host="good"'), 0, `scrape ${i}: the good host missed its deadline`);
    assert.equal(value(text, 'docker_host_up', 'host="bad"'), 1);
    assert.equal(series(text, 'container_info', 'host="bad"').length, 0, 'every deep container failed');
  }
});

test('a parse stuck past the probe\'s deadline is stopped: that probe ends, and the worker is free for the others', async () => {
  // The real parser, except that a body holding "spin" never finishes (a worker stuck in
  // JSON.parse; the caps and the depth check leave no real body that slow, this is the backstop).
  const worker = join(dir, 'spin-worker.mjs');
  const real = pathToFileURL(join(import.meta.dirname, '../../workers/parse-stats.ts')).href;
  writeFileSync(
    worker,
    `import parseStats from ${JSON.stringify(real)};
     export default function (task) {
       if (new TextDecoder().decode(task.buf).includes('"spin"')) for (;;) {}
       return parseStats(task);
     }\n`,
  );
  const e = await engine([{ name: 'ok', state: 'running' }, { name: 'stuck', state: 'running' }]);
  const stuck = e.containers.get('stuck')!;
  e.addFault({ kind: 'stats', container: 'stuck', body: statsBody({ id: stuck.id, name: stuck.name, cgroup: 2, tick: 1, seed: 1 }).replace(/}\s*$/, ',"x":"spin"}') });
  const other = await engine([{ name: 'o1', state: 'running' }, { name: 'o2', state: 'running' }]);
  const pool = StatsPool.create({ threads: 1, workerUrl: pathToFileURL(worker) });
  const { log, lines } = capture();
  const tracker = (name: string, en: FakeEngine, timeoutMs: number) =>
    new HostTracker({
      host: unixHost(name, en),
      transport: createUnixTransport(en.socketPath!, 16),
      parser: pool,
      collection: testConfig([], { collection: { timeoutMs, concurrency: 16 } }).collection,
      include: () => true,
      log,
    });
  // the other host's deadline leaves room for a new thread to start (under tsx: up to seconds)
  const [h, o] = [tracker('h', e, 2000), tracker('o', other, 8000)];
  try {
    await pool.parse([new TextEncoder().encode('{}')]); // the thread is up
    const t0 = Date.now();
    const first = h.scrape();
    // another host's probe, later: its parse waits behind the stuck one on the only thread
    await new Promise((r) => setTimeout(r, 700));
    const so = await o.scrape();
    assert.deepEqual(so.containers?.map((c) => c.ident.name).sort(), ['o1', 'o2'], 'the other host is whole');
    assert.ok(so.containers!.every((c) => c.stats !== null));
    // the stuck host's parse ended at its deadline: its probe completed, its containers failed
    await first;
    let failed: Record<string, unknown> | undefined;
    while (!(failed = lines.find((l) => l.container === 'stuck')) && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 50));
    assert.match(String(failed?.err), /stats parse: not parsed: the probe's deadline passed/);
  } finally {
    await Promise.all([h.close(), o.close()]);
    await pool.close();
  }
});

test('5,000 interfaces in one body: 64 exported, the rest counted, logged once', async () => {
  const many = Array.from({ length: 5000 }, (_, i) => `veth${String(i).padStart(4, '0')}`);
  const e = await engine([{ name: 'wide', state: 'running', networks: many }, { name: 'normal', state: 'running' }]);
  const { log, lines } = capture();
  const url = await start(config([unixHost('h', e)]), log);
  await scrape(url);
  const text = await scrape(url);
  assert.equal(series(text, 'container_network_receive_bytes_total', 'name="wide"').length, 64);
  assert.equal(series(text, 'container_network_receive_bytes_total', 'name="normal"').length, 1);
  assert.ok(text.includes('interface="veth0063"') && !text.includes('interface="veth0064"'), 'the first 64, in body order');
  assert.equal(value(text, 'docker_probe_dropped_interfaces_total', 'host="h"'), 2 * 4936);
  assert.equal(lines.filter((l) => l.container === 'wide' && /interfaces/.test(String(l.msg))).length, 1);
  // the series count a user sees: before the cap, 5,000 x 8 network series for one container
  assert.ok(text.split('\n').filter((l) => l.startsWith('container_network_')).length <= 65 * 8);
});

test('a list repeating an id: one set of series (the first entry), logged once; names as the docker CLI picks them', async () => {
  const e = await engine([{ name: 'web', state: 'running' }, { name: 'db', state: 'running' }]);
  const web = e.containers.get('web')!;
  const db = e.containers.get('db')!;
  const aliased = JSON.parse(listEntry(db)) as { Names: string[] };
  aliased.Names = ['/web/db_alias', '/db']; // a legacy --link alias listed first
  const list = `[${listEntry(web)},${JSON.stringify(aliased)},${listEntry({ ...web, state: 'exited' })}]`;
  e.addFault({ kind: 'list', body: list });
  const { log, lines } = capture();
  const url = await start(config([unixHost('h', e)]), log);
  await scrape(url);
  const text = await scrape(url);
  assert.deepEqual(series(text, 'docker_container_running_state', 'name="web"'), [['docker_container_running_state{host="h",name="web"}', 1]]);
  assert.equal(series(text, 'container_state', 'name="web"', 'state="running"').length, 1);
  assert.equal(value(text, 'docker_container_running_state', 'name="db"'), 1);
  assert.doesNotMatch(text, /db_alias/);
  assert.equal(lines.filter((l) => /repeats container ids/.test(String(l.msg))).length, 1);
});

test('through an outage docker_host_up stays 0, stale series are served with their age', async () => {
  const e = await engine([{ name: 'c', state: 'running' }]);
  const url = await start(config([unixHost('h', e)], { timeoutMs: 800, maxStalenessMs: 60_000 }));
  const first = await scrape(url);
  assert.equal(value(first, 'docker_host_up', 'host="h"'), 1);

  e.addFault({ kind: 'list', hang: true });
  const outage: string[] = [];
  for (let i = 0; i < 4; i++) outage.push(await scrape(url));
  // before: 1 while the last snapshot was served, 0 when the hung probe failed, 1, ...
  assert.deepEqual(outage.map((t) => value(t, 'docker_host_up', 'host="h"')), [0, 0, 0, 0]);
  const stale = outage.filter((t) => value(t, 'container_info', 'name="c"') === 1);
  assert.ok(stale.length >= 2, `stale snapshots served: ${stale.length}`);
  const ages = stale.map((t) => value(t, 'docker_host_snapshot_age_seconds', 'host="h"')!);
  assert.ok(ages.every((a, i) => a >= 0.7 && (i === 0 || a > ages[i - 1]!)), `ages ${ages}`);
  for (const t of outage) {
    if (value(t, 'container_info', 'name="c"') === undefined) assert.equal(value(t, 'docker_host_snapshot_age_seconds', 'host="h"'), undefined, 'no data, no age');
  }
  const fresh = value(first, 'docker_host_snapshot_age_seconds', 'host="h"')!;
  assert.ok(fresh >= 0 && fresh < 0.5, `fresh probe age ${fresh}`);

  e.clearFaults();
  // the hung probe gives up at twice the deadline; then a fresh one
  await new Promise((r) => setTimeout(r, 1700));
  const back = await scrape(url);
  assert.equal(value(back, 'docker_host_up', 'host="h"'), 1);
  assert.ok(value(back, 'docker_host_snapshot_age_seconds', 'host="h"')! < 0.5);
});

test('failure counters follow renamed containers: one series each, under the current name, gone with the container', async () => {
  const names = Array.from({ length: 5 }, (_, i) => `flaky-${i}`);
  const e = await engine(names.map((name) => ({ name, state: 'running' })));
  const ids = names.map((n) => e.containers.get(n)!.id);
  for (const id of ids) e.addFault({ kind: 'stats', container: id, status: 500, message: 'stats broke' });
  const url = await start(config([unixHost('h', e)]));
  let text = '';
  for (let round = 1; round <= 20; round++) {
    ids.forEach((id, i) => e.containers.update(id, { name: `flaky-${i}-r${round}` }));
    text = await scrape(url);
  }
  const failed = series(text, 'docker_probe_container_failed_total');
  assert.equal(failed.length, 5, `series: ${failed.map(([l]) => l).join(' ')}`);
  for (let i = 0; i < 5; i++) assert.equal(value(text, 'docker_probe_container_failed_total', `name="flaky-${i}-r20"`), 20);
  for (const id of ids) e.containers.remove(id);
  text = await scrape(url);
  assert.equal(series(text, 'docker_probe_container_failed_total').length, 0);
});
