// Reload against fake Engine API daemons: what a reload keeps (trackers of unchanged and
// labels-only hosts: no new negotiation, counters go on), rebuilds, closes and adds; a scrape
// during a reload sees one host set; a bad config changes nothing; settings outside hosts apply;
// /sd and the shard-aware /probe.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { pino } from 'pino';
import { createExporter, type Exporter } from '../../src/app.ts';
import type { LoadResult } from '../../src/config/load.ts';
import { shardOf } from '../../src/config/shard.ts';
import type { ExporterConfig, HostConfig } from '../../src/config/types.ts';
import { startFakeEngine, type FakeEngine } from '../support/fake-engine.ts';

const silent = pino({ level: 'silent' });
const dir = mkdtempSync(join(tmpdir(), 'dfe-reload-'));

const host = (name: string, e: FakeEngine, labels: Record<string, string> = {}): HostConfig => ({
  name, url: e.url, endpoint: { kind: 'unix', socketPath: e.socketPath! }, labels,
});

function config(hosts: HostConfig[], more: Partial<ExporterConfig> = {}): ExporterConfig {
  return {
    hosts,
    collection: { timeoutMs: 3000, minIntervalMs: 0, maxStalenessMs: 60_000, concurrency: 64 },
    metrics: { families: ['docker_exporter', 'cadvisor', 'state'], containerLabels: [], include: { names: [], labels: [] }, exclude: { names: [], labels: [] } },
    web: { listenAddress: '127.0.0.1:0' },
    log: { level: 'error' },
    pool: { threads: 1 },
    ...more,
  };
}

const engines: FakeEngine[] = [];
async function engine(): Promise<FakeEngine> {
  const e = await startFakeEngine({ socketPath: join(dir, `e${engines.length}.sock`), containers: [{ name: 'web', state: 'running' }] });
  engines.push(e);
  return e;
}

const running: Exporter[] = [];
/** An exporter whose reload loads `next()`. */
async function start(first: ExporterConfig, next: () => LoadResult): Promise<{ url: string; exporter: Exporter }> {
  const exporter = createExporter(first, silent, { load: next });
  running.push(exporter);
  const port = await exporter.listen(0, '127.0.0.1');
  return { url: `http://127.0.0.1:${port}`, exporter };
}

after(async () => {
  await Promise.all(running.map((e) => e.close()));
  await Promise.all(engines.map((e) => e.close()));
  rmSync(dir, { recursive: true, force: true });
});

const get = async (url: string) => {
  const res = await fetch(url);
  return { status: res.status, text: await res.text(), type: res.headers.get('content-type'), allow: res.headers.get('allow') };
};
const lines = (text: string, metric: string) => text.split('\n').filter((l) => l.startsWith(`${metric}{`));
const hostsIn = (text: string) => lines(text, 'docker_host_up').map((l) => /host="([^"]+)"/.exec(l)![1]!).sort();
const value = (text: string, metric: string, ...has: string[]) => {
  const line = lines(text, metric).find((l) => has.every((h) => l.includes(h)));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
};

describe('reload', () => {
  test('keeps unchanged and relabelled hosts whole, rebuilds a moved one, closes a removed one, adds a new one', async () => {
    const [keep, relabel, removed, movedFrom, movedTo, added] = [await engine(), await engine(), await engine(), await engine(), await engine(), await engine()];
    let next: ExporterConfig = config([]);
    const { url } = await start(
      config([host('keep', keep), host('relabel', relabel, { dc: 'old' }), host('removed', removed), host('moved', movedFrom)]),
      () => ({ ok: true, config: next, warnings: [] }),
    );
    await get(`${url}/metrics`);
    const before = (await get(`${url}/metrics`)).text;
    assert.deepEqual(hostsIn(before), ['keep', 'moved', 'relabel', 'removed']);
    assert.equal(value(before, 'docker_probe_duration_seconds_count', 'host="keep"'), 2);

    next = config([host('keep', keep), host('relabel', relabel, { dc: 'new' }), host('moved', movedTo), host('added', added)]);
    const r = await fetch(`${url}/-/reload`, { method: 'POST' });
    assert.equal(r.status, 200, await r.text());
    const removedSeen = removed.requests.total;
    const movedFromSeen = movedFrom.requests.total;

    const text = (await get(`${url}/metrics`)).text;
    assert.deepEqual(hostsIn(text), ['added', 'keep', 'moved', 'relabel'], 'exactly the new host set');
    assert.deepEqual(lines(text, 'docker_host_up').map((l) => /^docker_host_up\{(.*)\}/.exec(l)![1]), ['host="keep"', 'host="relabel",dc="new"', 'host="moved"', 'host="added"']);
    assert.equal(text.includes('dc="old"'), false, 'no series keeps the old label');
    // kept whole: the same tracker (one negotiation in all, counters going on)
    for (const [name, e] of [['keep', keep], ['relabel', relabel]] as const) {
      assert.equal(e.requests.byKind.version, 1, `${name}: negotiated once, before the reload`);
      assert.equal(value(text, 'docker_probe_duration_seconds_count', `host="${name}"`), 3, `${name}: its probe count went on`);
    }
    assert.equal(value(text, 'docker_probe_duration_seconds_count', 'host="moved"'), 1, 'moved: a new tracker');
    assert.equal(movedTo.requests.byKind.version, 1);
    assert.equal(value(text, 'docker_host_up', 'host="added"'), 1);
    await get(`${url}/metrics`);
    assert.equal(removed.requests.total, removedSeen, 'the removed host is asked nothing more');
    assert.equal(movedFrom.requests.total, movedFromSeen, "the moved host's old daemon is asked nothing more");
  });

  test('a scrape running during a reload is answered from the host set it started with', async () => {
    const [slow, gone, fresh] = [await engine(), await engine(), await engine()];
    let next: ExporterConfig = config([]);
    const { url } = await start(config([host('slow', slow), host('gone', gone)]), () => ({ ok: true, config: next, warnings: [] }));
    await get(`${url}/metrics`);
    for (const e of [slow, gone]) e.addFault({ kind: 'list', delayMs: 1500 });
    const during = get(`${url}/metrics`);
    await new Promise((r) => setTimeout(r, 300)); // the scrape is waiting for both lists
    next = config([host('slow', slow), host('fresh', fresh)]);
    assert.equal((await fetch(`${url}/-/reload`, { method: 'PUT' })).status, 200);
    const after = get(`${url}/metrics`);
    const [old, now] = [await during, await after];
    assert.deepEqual(hostsIn(old.text), ['gone', 'slow'], 'all old');
    assert.equal(value(old.text, 'docker_host_up', 'host="gone"'), 1, 'the removed host was not cut off mid-scrape');
    assert.deepEqual(hostsIn(now.text), ['fresh', 'slow'], 'all new');
    for (const e of [slow, gone]) e.clearFaults();
  });

  test('a bad config changes nothing: 400 with every problem, reload metric 0, last success kept; GET is 405', async () => {
    const e = await engine();
    let next: LoadResult = { ok: false, errors: ['f.yml: hosts[0].url (host "x"): missing', 'f.yml: collection.timeout: "soon" is not a duration'] };
    const { url } = await start(config([host('one', e)]), () => next);
    const before = (await get(`${url}/metrics`)).text;
    const at = value(before, 'docker_fleet_exporter_config_last_reload_success_timestamp_seconds');
    assert.equal(value(before, 'docker_fleet_exporter_config_last_reload_successful'), undefined, 'no labels: not found by the "{" lookup');
    assert.match(before, /^docker_fleet_exporter_config_last_reload_successful 1$/m);

    const r = await get(`${url}/-/reload`);
    assert.equal(r.status, 405);
    assert.equal(r.allow, 'POST, PUT');
    const bad = await fetch(`${url}/-/reload`, { method: 'POST' });
    assert.equal(bad.status, 400);
    assert.equal(await bad.text(), 'configuration not reloaded:\n  - f.yml: hosts[0].url (host "x"): missing\n  - f.yml: collection.timeout: "soon" is not a duration\n');
    const after = (await get(`${url}/metrics`)).text;
    assert.deepEqual(hostsIn(after), ['one']);
    assert.match(after, /^docker_fleet_exporter_config_last_reload_successful 0$/m);
    assert.equal(value(after, 'docker_fleet_exporter_config_last_reload_success_timestamp_seconds'), at);

    next = { ok: true, config: config([host('one', e), host('two', e)]), warnings: [] };
    assert.equal((await fetch(`${url}/-/reload`, { method: 'POST' })).status, 200);
    const good = (await get(`${url}/metrics`)).text;
    assert.match(good, /^docker_fleet_exporter_config_last_reload_successful 1$/m);
    assert.deepEqual(hostsIn(good), ['one', 'two']);
  });

  test('settings outside hosts apply: families, container filter, pool threads', async () => {
    const e = await startFakeEngine({ socketPath: join(dir, 'settings.sock'), containers: [{ name: 'web', state: 'running' }, { name: 'db', state: 'running' }] });
    engines.push(e);
    let next = config([]);
    const { url } = await start(config([host('one', e)]), () => ({ ok: true, config: next, warnings: [] }));
    const before = (await get(`${url}/metrics`)).text;
    assert.equal(lines(before, 'container_cpu_usage_seconds_total').length, 2);
    next = config([host('one', e)], {
      metrics: { families: ['state'], containerLabels: [], include: { names: ['web'], labels: [] }, exclude: { names: [], labels: [] } },
      pool: { threads: 0 },
    });
    assert.equal((await fetch(`${url}/-/reload`, { method: 'POST' })).status, 200);
    const text = (await get(`${url}/metrics`)).text;
    assert.equal(lines(text, 'container_cpu_usage_seconds_total').length, 0, 'cadvisor switched off');
    assert.deepEqual(lines(text, 'container_info').map((l) => /name="([^"]+)"/.exec(l)![1]), ['web'], 'the container filter');
    // stats still parse, now on the main thread: state has none, so switch cadvisor back on
    next = config([host('one', e)], { pool: { threads: 0 } });
    assert.equal((await fetch(`${url}/-/reload`, { method: 'POST' })).status, 200);
    const parsed = (await get(`${url}/metrics`)).text;
    assert.ok((value(parsed, 'container_memory_usage_bytes', 'name="web"') ?? 0) > 0, 'stats parsed after the pool changed');
  });
});

describe('reload: who may trigger it', () => {
  test('a POST from a page of another site (Origin not this server) is refused 403, without a reload; no Origin or our own: reloaded', async () => {
    const e = await engine();
    let loads = 0;
    const { url } = await start(config([host('one', e)]), () => (loads++, { ok: true, config: config([host('one', e)]), warnings: [] }));
    const post = (headers: Record<string, string>) => fetch(`${url}/-/reload`, { method: 'POST', headers: { 'content-type': 'text/plain', ...headers }, body: 'x' });
    for (const origin of ['http://evil.example', 'null', `${url.replace('http:', 'https:')}`, 'http://127.0.0.1:1']) {
      const r = await post({ origin });
      assert.equal(r.status, 403, origin);
      assert.match(await r.text(), /^403 forbidden: the request's Origin is not this server/);
    }
    assert.equal(loads, 0, 'nothing was reloaded');
    assert.equal((await post({})).status, 200, 'curl, Prometheus, systemd: no Origin');
    assert.equal((await post({ origin: url })).status, 200, 'a page of the exporter itself');
    assert.equal(loads, 2);
  });

  test('100 concurrent POSTs coalesce into a few reloads, not 100', async () => {
    const e = await engine();
    let loads = 0;
    const { url } = await start(config([host('one', e)]), () => (loads++, { ok: true, config: config([host('one', e)]), warnings: [] }));
    const all = await Promise.all(Array.from({ length: 100 }, () => fetch(`${url}/-/reload`, { method: 'POST' }).then((r) => r.status)));
    assert.ok(all.every((s) => s === 200));
    assert.ok(loads < 10, `${loads} loads for 100 requests`); // 2 when they all arrive within one reload and its gap
  });
});

describe('reload: what a tracker is built with', () => {
  test('switching the event stream or the disk walk rebuilds the host, and takes effect', async () => {
    const e = await engine();
    const base = config([]).collection;
    const metrics = { ...config([]).metrics, families: ['docker_exporter' as const, 'events' as const] };
    let next = config([]);
    const { url } = await start(config([host('one', e)]), () => ({ ok: true, config: next, warnings: [] }));
    const before = (await get(`${url}/metrics`)).text;
    assert.equal(value(before, 'docker_events_connected', 'host="one"'), undefined, 'events off at first');

    next = config([host('one', e)], { collection: { ...base, events: true }, metrics });
    const r = await fetch(`${url}/-/reload`, { method: 'POST' });
    assert.equal(r.status, 200);
    let text = '';
    for (let i = 0; i < 50 && value(text, 'docker_events_connected', 'host="one"') !== 1; i++) {
      await new Promise((res) => setTimeout(res, 100));
      text = (await get(`${url}/metrics`)).text;
    }
    assert.equal(value(text, 'docker_events_connected', 'host="one"'), 1, 'the stream followed after the reload');
    assert.equal(e.requests.byKind.events, 1);
    assert.equal(value(text, 'docker_probe_duration_seconds_count', 'host="one"') !== undefined, true);

    next = config([host('one', e)], { collection: { ...base, events: true, diskIntervalMs: 60_000 }, metrics });
    assert.equal((await fetch(`${url}/-/reload`, { method: 'POST' })).status, 200);
    const disk = (await get(`${url}/metrics`)).text;
    assert.equal(value(disk, 'docker_probe_duration_seconds_count', 'host="one"'), 1, 'a new tracker: its first probe');
  });
});

describe('/sd and shards', () => {
  test('/sd: 200 application/json, one target group per host of this replica', async () => {
    const e = await engine();
    const hosts = ['h-0', 'h-1', 'h-2', 'h-3', 'h-4', 'h-5'].map((n) => host(n, e, { dc: 'x' }));
    const mine = hosts.filter((h) => shardOf(h.name, 2) === 1).map((h) => h.name);
    const others = hosts.filter((h) => shardOf(h.name, 2) === 0).map((h) => h.name);
    assert.ok(mine.length > 0 && others.length > 0, 'both shards hold hosts');
    const cfg = config(hosts, { shard: { count: 2, index: 1 } });
    const { url } = await start(cfg, () => ({ ok: true, config: cfg, warnings: [] }));
    const sd = await get(`${url}/sd`);
    assert.equal(sd.status, 200);
    assert.equal(sd.type, 'application/json; charset=utf-8');
    const groups = JSON.parse(sd.text) as { targets: string[]; labels: Record<string, string> }[];
    assert.deepEqual(groups.map((g) => g.targets[0]), mine);
    assert.equal(groups[0]!.labels['dc'], 'x');
    assert.equal(groups[0]!.labels['__meta_docker_fleet_exporter_address'], url.slice('http://'.length));
    assert.deepEqual(hostsIn((await get(`${url}/metrics`)).text), [...mine].sort());
    const other = await get(`${url}/probe?target=${others[0]}`);
    assert.equal(other.status, 400);
    assert.equal(other.text, `target "${others[0]}" is in shard 0 of 2: another replica serves it (this one is shard 1)\n`);
    assert.equal((await get(`${url}/probe?target=nope`)).text.startsWith('unknown target "nope"'), true);
  });

  test('/sd with no hosts in this shard: []', async () => {
    const e = await engine();
    const name = ['a', 'b', 'c', 'd', 'e'].find((n) => shardOf(n, 2) === 0)!;
    const cfg = config([host(name, e)], { shard: { count: 2, index: 1 } });
    const { url } = await start(cfg, () => ({ ok: true, config: cfg, warnings: [] }));
    assert.equal((await get(`${url}/sd`)).text, '[]');
  });
});
