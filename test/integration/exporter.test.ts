// The exporter against fake Engine API daemons: a unix socket and mutual TLS on 127.0.0.1.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { pino } from 'pino';
import { createExporter, type Exporter } from '../../src/app.ts';
import type { CollectionConfig, ExporterConfig, HostConfig } from '../../src/config/types.ts';
import { makeCerts, type Certs } from '../support/certs.ts';
import { startFakeEngine, type FakeEngine, type FakeEngineOptions } from '../support/fake-engine.ts';
import { testConfig } from '../support/config.ts';

const silent = pino({ level: 'silent' });
const dir = mkdtempSync(join(tmpdir(), 'dfe-it-'));
let certs: Certs;

const unixHost = (name: string, e: FakeEngine, labels: Record<string, string> = {}): HostConfig => ({
  name, url: e.url, endpoint: { kind: 'unix', socketPath: e.socketPath! }, labels,
});
const tlsHost = (name: string, e: FakeEngine, client: 'good' | 'other' = 'good'): HostConfig => ({
  name, url: e.url, labels: {},
  endpoint: {
    kind: 'tcp', host: '127.0.0.1', port: e.port!,
    tls: client === 'good'
      ? { ca: certs.paths.ca, cert: certs.paths.clientCert, key: certs.paths.clientKey, insecureSkipVerify: false }
      : { ca: certs.paths.ca, cert: certs.paths.otherClientCert, key: certs.paths.otherClientKey, insecureSkipVerify: false },
  },
});

function config(hosts: HostConfig[], collection: Partial<CollectionConfig> = {}): ExporterConfig {
  return testConfig(hosts, { collection: { timeoutMs: 2000, ...collection }, metrics: { containerLabels: ['com.docker.compose.project'] }, pool: { threads: 1 } });
}

const running: Exporter[] = [];
async function start(cfg: ExporterConfig): Promise<{ url: string; exporter: Exporter }> {
  const exporter = createExporter(cfg, silent);
  running.push(exporter);
  const port = await exporter.listen(0, '127.0.0.1');
  return { url: `http://127.0.0.1:${port}`, exporter };
}

async function scrape(url: string, path = '/metrics'): Promise<{ status: number; text: string }> {
  const res = await fetch(url + path);
  return { status: res.status, text: await res.text() };
}

/** value of the first series of `metric` whose labels contain every `has` fragment */
function value(text: string, metric: string, ...has: string[]): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${metric}{`) && !line.startsWith(`${metric} `)) continue;
    if (has.every((h) => line.includes(h))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

const engines: FakeEngine[] = [];
async function engine(kind: 'unix' | 'tls', containers: FakeEngineOptions['containers'] = []): Promise<FakeEngine> {
  const e = kind === 'unix'
    ? await startFakeEngine({ socketPath: join(dir, `e${engines.length}.sock`), containers })
    : await startFakeEngine({ port: 0, tls: { key: certs.serverKey, cert: certs.serverCert, ca: certs.ca, requestCert: true }, containers });
  engines.push(e);
  return e;
}

before(async () => {
  certs = await makeCerts(join(dir, 'certs'));
});

after(async () => {
  await Promise.all(running.map((e) => e.close()));
  await Promise.all(engines.map((e) => e.close()));
  rmSync(dir, { recursive: true, force: true });
});

describe('two hosts, unix and mutual TLS', () => {
  let a: FakeEngine, b: FakeEngine, url: string;
  before(async () => {
    a = await engine('unix', [
      { name: 'web', state: 'running', labels: { 'com.docker.compose.project': 'shop' }, health: 'healthy' },
      { name: 'job', state: 'exited', exitCode: 3 },
    ]);
    b = await engine('tls', [{ name: 'db', state: 'running', cgroup: 1 }]);
    ({ url } = await start(config([unixHost('a', a, { dc: 'eu-1' }), tlsHost('b', b)])));
  });
  beforeEach(() => {
    a.resetCounters();
    b.resetCounters();
  });

  test('merged on one /metrics, every series labelled with its host', async () => {
    const { status, text } = await scrape(url);
    assert.equal(status, 200);
    assert.equal(value(text, 'docker_host_up', 'host="a"'), 1);
    assert.equal(value(text, 'docker_host_up', 'host="b"'), 1);
    assert.equal(value(text, 'docker_container_running_state', 'host="a",dc="eu-1",name="web"'), 1);
    assert.equal(value(text, 'docker_container_running_state', 'host="a",dc="eu-1",name="job"'), 0);
    assert.equal(value(text, 'container_exit_code', 'host="a"', 'name="job"'), 3);
    assert.equal(value(text, 'container_health_status', 'name="web"', 'status="healthy"'), 1);
    assert.equal(value(text, 'container_info', 'name="web"', 'container_label_com_docker_compose_project="shop"'), 1);
    assert.ok(value(text, 'container_memory_failcnt', 'host="b"', 'name="db"') !== undefined, 'cgroup v1 host has failcnt');
    assert.ok((value(text, 'container_cpu_usage_seconds_total', 'host="b"', 'name="db"') ?? 0) > 0);
    assert.equal(value(text, 'container_cpu_usage_seconds_total', 'name="job"'), undefined, 'no stats for a stopped container');
    assert.equal(value(text, 'docker_containers', 'host="a"'), 2);
    assert.match(text, /^docker_host_info\{host="b",server_version="[^"]+",api_version="1\.\d+"/m);
  });

  test('N concurrent scrapes cause one list per host (single-flight)', async () => {
    // slow enough that every scrape arrives while the first probe runs
    const undo = [a.addFault({ kind: 'list', delayMs: 300 }), b.addFault({ kind: 'list', delayMs: 300 })];
    const results = await Promise.all(Array.from({ length: 8 }, () => scrape(url)));
    assert.ok(results.every((r) => r.status === 200));
    assert.equal(a.requests.byKind.list, 1);
    assert.equal(b.requests.byKind.list, 1);
    undo.forEach((u) => u());
  });

  test('stats are fetched for running containers only, and inspect only when something changed', async () => {
    await scrape(url);
    a.resetCounters();
    await scrape(url);
    assert.equal(a.requests.byKind.stats, 1, 'one running container on a');
    assert.equal(a.requests.byKind.inspect, 0, 'nothing changed: no inspect');
    a.containers.update('job', { state: 'running', exitCode: 0, startedAt: Date.now() });
    await scrape(url);
    assert.equal(a.requests.byKind.inspect, 1, 'state changed: inspected again');
    a.containers.update('job', { state: 'exited', exitCode: 3, finishedAt: Date.now() });
  });

  test('one TLS handshake per kept-alive connection, not per request', async () => {
    for (let i = 0; i < 3; i++) await scrape(url);
    assert.ok(b.requests.total >= 6, `requests: ${b.requests.total}`);
    assert.ok(b.tlsHandshakes <= 2, `handshakes: ${b.tlsHandshakes}`);
  });

  test('/probe serves one host alone; a missing or unknown target is a 400', async () => {
    const { status, text } = await scrape(url, '/probe?target=b');
    assert.equal(status, 200);
    assert.equal(value(text, 'docker_host_up', 'host="b"'), 1);
    assert.doesNotMatch(text, /host="a"/);
    assert.doesNotMatch(text, /^process_cpu/m, 'process metrics belong to /metrics');
    assert.equal(a.requests.total, 0, 'host a was not probed');
    const missing = await scrape(url, '/probe');
    assert.equal(missing.status, 400);
    assert.match(missing.text, /target/);
    const unknown = await scrape(url, '/probe?target=nope');
    assert.equal(unknown.status, 400);
    assert.match(unknown.text, /unknown target "nope"/);
  });

  test('routes: / lists the hosts, /healthz, 404 for other paths, 405 for other methods', async () => {
    const page = await scrape(url, '/');
    assert.equal(page.status, 200);
    assert.match(page.text, /<td><a href="\/hosts\/a">a<\/a>/);
    assert.match(page.text, /<td><a href="\/hosts\/b">b<\/a>/);
    assert.equal((await scrape(url, '/healthz')).status, 200);
    assert.equal((await scrape(url, '/nope')).status, 404);
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const res = await fetch(`${url}/metrics`, { method });
      assert.equal(res.status, 405, method);
    }
  });

  test('no method but GET ever reaches a daemon', async () => {
    // the request log is emptied before each test: fill it with real probes of every kind
    a.containers.update('job', { state: 'running', exitCode: 0, startedAt: Date.now() });
    await scrape(url);
    await scrape(url, '/probe?target=b');
    a.containers.update('job', { state: 'exited', exitCode: 3, finishedAt: Date.now() });
    for (const e of [a, b]) {
      assert.ok(e.requests.byKind.list > 0 && e.requests.byKind.stats > 0, `probes reached the daemon: ${JSON.stringify(e.requests.byKind)}`);
      assert.deepEqual(Object.keys(e.requests.byMethod).filter((m) => m !== 'GET'), []);
      assert.deepEqual(e.requests.log.filter((r) => r.method !== 'GET'), []);
    }
    assert.ok(a.requests.byKind.inspect > 0, 'an inspect too');
  });
});

test('a container appearing and vanishing between scrapes', async () => {
  const e = await engine('unix', [{ name: 'stay', state: 'running' }]);
  const { url } = await start(config([unixHost('h', e)]));
  let text = (await scrape(url)).text;
  assert.equal(value(text, 'container_info', 'name="new"'), undefined);
  e.containers.add({ name: 'new', state: 'running' });
  text = (await scrape(url)).text;
  assert.equal(value(text, 'container_info', 'name="new"'), 1);
  assert.ok(value(text, 'container_cpu_usage_seconds_total', 'name="new"') !== undefined);
  e.containers.remove('new');
  text = (await scrape(url)).text;
  assert.doesNotMatch(text, /name="new"/, 'a removed container leaves nothing behind');
  assert.equal(value(text, 'container_info', 'name="stay"'), 1);
});

test('min_interval: a result younger than it is served without a new probe', async () => {
  const e = await engine('unix', [{ name: 'c', state: 'running' }]);
  const { url } = await start(config([unixHost('h', e)], { minIntervalMs: 400 }));
  await scrape(url);
  await scrape(url);
  assert.equal(e.requests.byKind.list, 1);
  await new Promise((r) => setTimeout(r, 450));
  await scrape(url);
  assert.equal(e.requests.byKind.list, 2);
});

test('a slow host past its deadline: others served at once, it gets stale data, then none', async () => {
  const fast = await engine('unix', [{ name: 'f', state: 'running' }]);
  const slow = await engine('unix', [{ name: 's', state: 'running' }]);
  // parse on the main thread: a worker thread's first start under tsx alone can take 400 ms
  const { url } = await start({ ...config([unixHost('fast', fast), unixHost('slow', slow)], { timeoutMs: 400, maxStalenessMs: 1500 }), pool: { threads: 0 } });
  let text = (await scrape(url)).text;
  assert.equal(value(text, 'container_info', 'name="s"'), 1, 'first probe in time');

  slow.addFault({ kind: 'list', delayMs: 600 });
  let t0 = performance.now();
  text = (await scrape(url)).text;
  assert.ok(performance.now() - t0 < 1000, 'the scrape did not wait for the slow host');
  assert.equal(value(text, 'container_info', 'name="f"'), 1);
  assert.equal(value(text, 'container_info', 'name="s"'), 1, 'stale data, still young enough');
  assert.equal(value(text, 'docker_probe_inline_timeouts_total', 'host="slow"'), 1);

  assert.equal(value(text, 'docker_probe_late_completions_total', 'host="slow"'), 0, 'still running');
  await new Promise((r) => setTimeout(r, 2000));
  slow.clearFaults();
  slow.addFault({ kind: 'list', hang: true });
  t0 = performance.now();
  text = (await scrape(url)).text;
  assert.ok(performance.now() - t0 < 1000);
  assert.equal(value(text, 'container_info', 'name="s"'), undefined, 'older than max_staleness: gone');
  assert.equal(value(text, 'docker_host_up', 'host="slow"'), 0);
  assert.equal(value(text, 'container_info', 'name="f"'), 1);
  assert.equal(value(text, 'docker_probe_late_completions_total', 'host="slow"'), 1, 'the late probe finished in the background and was counted');
});

test('a dead host: up 0, no container series, the others intact, and it recovers', async () => {
  const ok = await engine('unix', [{ name: 'c', state: 'running' }]);
  const deadPath = join(dir, 'dead.sock');
  const { url } = await start(config([unixHost('ok', ok), { name: 'dead', url: `unix://${deadPath}`, endpoint: { kind: 'unix', socketPath: deadPath }, labels: {} }]));
  let text = (await scrape(url)).text;
  assert.equal(value(text, 'docker_host_up', 'host="dead"'), 0);
  assert.equal(value(text, 'docker_host_up', 'host="ok"'), 1);
  assert.equal(value(text, 'container_info', 'name="c"'), 1);
  const page = await scrape(url, '/');
  assert.match(page.text, /class="state down">down<\/span>.*ENOENT/s);

  const revived = await startFakeEngine({ socketPath: deadPath, containers: [{ name: 'back', state: 'running' }] });
  engines.push(revived);
  text = (await scrape(url)).text;
  assert.equal(value(text, 'docker_host_up', 'host="dead"'), 1, 'recovered without a restart');
  assert.equal(value(text, 'container_info', 'host="dead"', 'name="back"'), 1);
});

test('a failed list hides the host\'s container series and is counted', async () => {
  const e = await engine('unix', [{ name: 'c', state: 'running' }]);
  const { url } = await start(config([unixHost('h', e)]));
  assert.equal(value((await scrape(url)).text, 'container_info', 'name="c"'), 1);
  e.addFault({ kind: 'list', status: 500, message: 'daemon trouble' });
  const text = (await scrape(url)).text;
  assert.equal(value(text, 'container_info', 'name="c"'), undefined, 'no stale data');
  assert.equal(value(text, 'docker_host_up', 'host="h"'), 0);
  assert.equal(value(text, 'docker_probe_list_containers_failed_total', 'host="h"'), 1);
  assert.match((await scrape(url, '/')).text, /HTTP 500: daemon trouble/);
});

test('a 500 on one container\'s stats, and malformed JSON on another: only those are hidden', async () => {
  const e = await engine('unix', [{ name: 'good', state: 'running' }, { name: 'err', state: 'running' }, { name: 'junk', state: 'running' }]);
  const { url } = await start(config([unixHost('h', e)]));
  e.addFault({ kind: 'stats', container: 'err', status: 500, message: 'boom' });
  e.addFault({ kind: 'stats', container: 'junk', body: '{"read": "2026-11-28T00:00:00Z", "cpu_stats": {' });
  let text = (await scrape(url)).text;
  assert.equal(value(text, 'container_info', 'name="good"'), 1);
  assert.ok(value(text, 'container_cpu_usage_seconds_total', 'name="good"') !== undefined);
  assert.equal(value(text, 'container_info', 'name="err"'), undefined);
  assert.equal(value(text, 'container_info', 'name="junk"'), undefined);
  assert.equal(value(text, 'docker_probe_container_failed_total', 'name="err"'), 1);
  assert.equal(value(text, 'docker_probe_container_failed_total', 'name="junk"'), 1);
  assert.equal(value(text, 'docker_host_up', 'host="h"'), 1);
  e.clearFaults();
  text = (await scrape(url)).text;
  assert.equal(value(text, 'container_info', 'name="err"'), 1, 'back after its next good update');
  assert.equal(value(text, 'container_info', 'name="junk"'), 1);
});

test('a client certificate from another CA is refused: that host is down', async () => {
  const b = await engine('tls', [{ name: 'x', state: 'running' }]);
  const { url } = await start(config([tlsHost('b', b, 'other')]));
  const text = (await scrape(url)).text;
  assert.equal(value(text, 'docker_host_up', 'host="b"'), 0);
  assert.equal(value(text, 'container_info', 'name="x"'), undefined);
  assert.equal(b.requests.total, 0, 'no request got through');
});

test('TLS material that went bad after config load: that host is down with the file named, the process lives', async () => {
  const b = await engine('tls', [{ name: 'x', state: 'running' }]);
  const good = await engine('unix', [{ name: 'g', state: 'running' }]);
  const badKey = join(dir, 'bad-key.pem');
  writeFileSync(badKey, 'not a key\n', { mode: 0o600 });
  const host = tlsHost('b', b);
  if (host.endpoint.kind === 'tcp') host.endpoint.tls = { ...host.endpoint.tls!, key: badKey };
  // parse on the main thread: a worker thread's first start under tsx alone can take 400 ms
  const { url } = await start({ ...config([host, unixHost('g', good)], { timeoutMs: 300 }), pool: { threads: 0 } });
  for (let i = 0; i < 3; i++) {
    const text = (await scrape(url)).text;
    assert.equal(value(text, 'docker_host_up', 'host="b"'), 0);
    assert.equal(value(text, 'container_info', 'name="g"'), 1, 'the other host is whole');
    // past the per-request timeout: before the fix its timer crashed the process here
    await new Promise((r) => setTimeout(r, 700));
  }
  assert.match((await scrape(url, '/')).text, /tls\.key: .*bad-key\.pem is not a PEM private key: DECODER routines::unsupported/);
  assert.equal(b.requests.total, 0);
});

test('API version: negotiated per daemon; one-shot only from 1.41', async () => {
  const old = await engine('unix', [{ name: 'c', state: 'running' }]);
  old.apiVersion = '1.40';
  const { url } = await start(config([unixHost('old', old)]));
  const text = (await scrape(url)).text;
  assert.match(text, /api_version="1\.40"/);
  const stats = old.requests.log.filter((r) => r.kind === 'stats');
  assert.equal(stats.length, 1);
  assert.match(stats[0]!.path, /^\/v1\.40\/containers\/[0-9a-f]{64}\/stats\?stream=false$/, 'no one-shot below 1.41');
  assert.equal(value(text, 'container_info', 'name="c"'), 1);
});

test('shutdown aborts a probe in flight and closes', async () => {
  const e = await engine('unix', [{ name: 'c', state: 'running' }]);
  const { url, exporter } = await start(config([unixHost('h', e)], { timeoutMs: 5000 }));
  e.addFault({ kind: 'stats', hang: true });
  const pending = fetch(url + '/metrics').then((r) => r.status, () => 'closed');
  await new Promise((r) => setTimeout(r, 200));
  const t0 = performance.now();
  await exporter.close();
  assert.ok(performance.now() - t0 < 2000, 'did not wait for the hung request');
  await pending;
});
