// The exporter with event streams, against fake Engine API daemons (unix socket and mutual TLS):
// the events family's series, inspects driven by events, the switch, the stream's lifecycle.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { createExporter, type Exporter } from '../../src/app.ts';
import type { ExporterConfig, HostConfig } from '../../src/config/types.ts';
import { makeCerts, type Certs } from '../support/certs.ts';
import { startFakeEngine, type FakeEngine } from '../support/fake-engine.ts';
import { testConfig } from '../support/config.ts';

const silent = pino({ level: 'silent' });
const dir = mkdtempSync(join(tmpdir(), 'dfe-events-it-'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let certs: Certs;
let a: FakeEngine;
let b: FakeEngine;

const hostA = (events?: boolean): HostConfig => ({ name: 'a', url: a.url, endpoint: { kind: 'unix', socketPath: a.socketPath! }, labels: { dc: 'x' }, ...(events === undefined ? {} : { events }) });
const hostB = (events?: boolean): HostConfig => ({
  name: 'b',
  url: b.url,
  labels: {},
  endpoint: { kind: 'tcp', host: '127.0.0.1', port: b.port!, tls: { ca: certs.paths.ca, cert: certs.paths.clientCert, key: certs.paths.clientKey, insecureSkipVerify: false } },
  ...(events === undefined ? {} : { events }),
});

function config(hosts: HostConfig[], events = true): ExporterConfig {
  return testConfig(hosts, { collection: { timeoutMs: 2000, events }, metrics: { containerLabels: [] } });
}

let exporter: Exporter | undefined;
async function start(cfg: ExporterConfig): Promise<string> {
  exporter = createExporter(cfg, silent);
  const port = await exporter.listen(0, '127.0.0.1');
  return `http://127.0.0.1:${port}`;
}

async function scrape(url: string): Promise<string> {
  const res = await fetch(`${url}/metrics`);
  assert.equal(res.status, 200);
  return res.text();
}

/** The value of the one series of `metric` with exactly these labels (besides host's static ones), or undefined. */
function value(text: string, metric: string, labels: Record<string, string>): number | undefined {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${metric}{`)) continue;
    const inner = line.slice(metric.length + 1, line.lastIndexOf('}'));
    const have = inner.split(/,(?=[a-z_]+=")/).filter((p) => !p.startsWith('dc='));
    if (have.length === want.length && want.every((w) => have.includes(w))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

async function waitFor(what: string, ok: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

before(async () => {
  certs = await makeCerts(join(dir, 'certs'));
  a = await startFakeEngine({ socketPath: join(dir, 'a.sock'), containers: [{ name: 'web', state: 'running' }, { name: 'job', state: 'exited' }] });
  b = await startFakeEngine({ tls: { key: certs.serverKey, cert: certs.serverCert, ca: certs.ca, requestCert: true }, containers: [{ name: 'db', state: 'running' }] });
});

afterEach(async () => {
  await exporter?.close();
  exporter = undefined;
  for (const e of [a, b]) {
    e.events.restart();
    e.clearFaults();
    e.resetCounters();
  }
});

after(async () => {
  await Promise.all([a.close(), b.close()]);
  rmSync(dir, { recursive: true, force: true });
});

describe('exporter with event streams', () => {
  test('counts per container and per host, over the unix socket and mutual TLS; output passes promtool', async () => {
    const url = await start(config([hostA(), hostB()]));
    await waitFor('both streams', () => a.events.subscribers === 1 && b.events.subscribers === 1);
    const web = a.containers.get('web')!;
    const job = a.containers.get('job')!;
    const db = b.containers.get('db')!;
    a.events.emit({ id: web.id, name: 'web', action: 'start' });
    a.events.emit({ id: web.id, name: 'web', action: 'die', attributes: { exitCode: '2' } });
    a.events.emit({ id: job.id, name: 'job', action: 'oom' });
    a.events.emit({ id: job.id, name: 'job', action: 'die', attributes: { exitCode: '137' } });
    a.events.emit({ id: 'f'.repeat(64), name: 'gone', action: 'die', attributes: { exitCode: '1' } });
    a.events.emit({ id: 'f'.repeat(64), name: 'gone', action: 'destroy' });
    b.events.emit({ id: db.id, name: 'db', action: 'health_status: unhealthy' });
    let text = '';
    await waitFor('the events in a scrape', async () => {
      text = await scrape(url);
      return value(text, 'docker_host_container_events_total', { host: 'a', event: 'destroy' }) === 1 && value(text, 'container_events_total', { host: 'b', name: 'db', event: 'health_status_unhealthy' }) === 1;
    });
    for (const host of ['a', 'b']) assert.equal(value(text, 'docker_events_connected', { host }), 1, `${host} connected`);
    assert.equal(value(text, 'container_events_total', { host: 'a', name: 'web', event: 'die' }), 1);
    assert.equal(value(text, 'container_events_total', { host: 'a', name: 'web', event: 'kill' }), undefined, 'no series for events that did not happen');
    assert.equal(value(text, 'container_last_exit_code', { host: 'a', name: 'web' }), 2);
    assert.equal(value(text, 'container_oom_events_total', { host: 'a', name: 'job' }), 1);
    assert.equal(value(text, 'container_oom_events_total', { host: 'a', name: 'web' }), 0, 'every listed container has the OOM counter');
    assert.equal(value(text, 'container_oom_events_total', { host: 'b', name: 'db' }), 0);
    assert.equal(value(text, 'docker_host_container_events_total', { host: 'a', event: 'die' }), 3, 'the removed container counts per host');
    assert.equal(value(text, 'docker_host_container_events_total', { host: 'b', event: 'kill' }), 0, 'all 8 per host from the start');
    assert.equal(value(text, 'docker_host_container_oom_events_total', { host: 'a' }), 1);
    assert.ok(!text.includes('name="gone"'), 'a destroyed container has no series');
    assert.ok((value(text, 'docker_host_last_event_timestamp_seconds', { host: 'a' }) ?? 0) > Date.now() / 1000 - 60);
    assert.equal(value(text, 'docker_events_reconnects_total', { host: 'a' }), 0);
    execFileSync('promtool', ['check', 'metrics'], { input: text });
  });

  test('an event makes the next probe inspect a container whose list entry did not change', async () => {
    const url = await start(config([hostA()]));
    await waitFor('the stream', () => a.events.subscribers === 1);
    const web = a.containers.get('web')!;
    let text = await scrape(url);
    assert.equal(value(text, 'docker_container_restart_count', { host: 'a', name: 'web' }), web.restartCount);
    // restarted twice within a second: the list still says running, "Up Less than a second"
    a.containers.update('web', { restartCount: web.restartCount + 2 });
    const inspects = a.requests.byKind.inspect;
    text = await scrape(url);
    assert.equal(a.requests.byKind.inspect, inspects, 'no event: the list looks the same, no inspect');
    assert.equal(value(text, 'docker_container_restart_count', { host: 'a', name: 'web' }), web.restartCount);
    a.events.emit({ id: web.id, name: 'web', action: 'start' });
    await waitFor('the start counted', async () => value(await scrape(url), 'container_events_total', { host: 'a', name: 'web', event: 'start' }) === 1);
    text = await scrape(url);
    assert.equal(value(text, 'docker_container_restart_count', { host: 'a', name: 'web' }), web.restartCount + 2, 'inspected after the event');
    assert.equal(a.requests.byKind.inspect - inspects, 1, 'one inspect, of that container');
  });

  test('collection.events: false opens no stream and writes no event series; hosts[].events overrides it both ways', async () => {
    let url = await start(config([hostA(), hostB()], false));
    let text = await scrape(url);
    await sleep(200);
    assert.equal(a.events.subscribers + b.events.subscribers, 0);
    assert.equal(a.requests.byKind.events + b.requests.byKind.events, 0);
    assert.ok(!/^(docker_events_|container_events_total|container_oom_events_total|docker_host_container_)/m.test(text), 'no event series');
    await exporter!.close();

    url = await start(config([hostA(false), hostB(true)], false));
    await waitFor('b alone', () => b.events.subscribers === 1);
    text = await scrape(url);
    assert.equal(a.events.subscribers, 0);
    assert.equal(value(text, 'docker_events_connected', { host: 'b' }), 1);
    assert.equal(value(text, 'docker_events_connected', { host: 'a' }), undefined);
  });

  test('a refused /events leaves the host up, its stream shown down; close() ends the streams', async () => {
    b.addFault({ kind: 'events', status: 403, message: 'authorization denied by plugin' });
    const url = await start(config([hostA(), hostB()]));
    await waitFor('a', () => a.events.subscribers === 1);
    const text = await scrape(url);
    assert.equal(value(text, 'docker_host_up', { host: 'b' }), 1);
    assert.equal(value(text, 'docker_events_connected', { host: 'b' }), 0);
    await exporter!.close();
    exporter = undefined;
    await waitFor('the streams closed', () => a.events.subscribers === 0);
  });
});
