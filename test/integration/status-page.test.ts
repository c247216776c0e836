// The status pages over HTTP: they show what scrapes served and never probe a daemon themselves.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { createExporter, type Exporter } from '../../src/app.ts';
import { startFakeEngine, type FakeEngine } from '../support/fake-engine.ts';
import { testConfig } from '../support/config.ts';

const dir = mkdtempSync(join(tmpdir(), 'dfe-status-'));
let engine: FakeEngine;
let exporter: Exporter;
let url: string;

before(async () => {
  engine = await startFakeEngine({
    socketPath: join(dir, 'e.sock'),
    containers: [
      { name: 'web', state: 'running', limits: { cpuQuota: 50_000, cpuPeriod: 100_000, memory: 256 * 1024 ** 2 } },
      { name: 'sick', state: 'running', health: 'unhealthy' },
      { name: 'crashed', state: 'exited', exitCode: 3 },
    ],
  });
  // stats answered on the daemon's 1 s sampling ticks, as dockerd's one-shot stats are: a rate needs time between two reads
  engine.statsTickMs = 1000;
  const config = testConfig([{ name: 'h', url: engine.url, endpoint: { kind: 'unix', socketPath: engine.socketPath! }, labels: {} }], {
    collection: { timeoutMs: 3000, concurrency: 8 },
    metrics: { containerLabels: [] },
  });
  exporter = createExporter(config, pino({ level: 'silent' }));
  url = `http://127.0.0.1:${await exporter.listen(0, '127.0.0.1')}`;
});

after(async () => {
  await exporter?.close();
  await engine?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function get(path: string, method = 'GET'): Promise<{ status: number; type: string | null; text: string }> {
  const r = await fetch(url + path, { method });
  return { status: r.status, type: r.headers.get('content-type'), text: await r.text() };
}

test('before any scrape the pages say so, and loading them makes no request to the daemon', async () => {
  for (let i = 0; i < 5; i++) {
    assert.match((await get('/')).text, /not scraped yet/);
    assert.match((await get('/hosts/h')).text, /Not scraped yet/);
  }
  // the event stream is the tracker's own, opened when it starts; nothing else may have been asked
  const asked = engine.requests.log.map((r) => r.path).filter((p) => !p.startsWith('/events'));
  assert.deepEqual(asked, []);
});

test('after two scrapes: the last results, CPU from the two probes; loading the pages probes nothing', async () => {
  await get('/metrics');
  await get('/metrics');
  const before = engine.requests.total;
  assert.ok(before > 0);
  let overview = '';
  let host = '';
  for (let i = 0; i < 10; i++) {
    overview = (await get('/')).text;
    host = (await get('/hosts/h')).text;
    await get('/hosts/h', 'HEAD');
  }
  assert.equal(engine.requests.total, before, `the pages made requests: ${JSON.stringify(engine.requests.log.slice(-5).map((r) => r.path))}`);

  assert.match(overview, /<a href="\/hosts\/h">h<\/a>/);
  assert.match(overview, /2 running · <b class="down">1 unhealthy<\/b> · 1 exited/);
  assert.match(overview, /\d\.\d\d of 2 cores/, 'CPU cores summed from the two probes, against the daemon\'s 2 CPUs');
  const names = [...host.matchAll(/<tr[^>]*><td><span title="[^"]*">([^<]*)<\/span>/g)].map((m) => m[1]);
  assert.deepEqual(names, ['sick', 'crashed', 'web'], 'problems first');
  assert.match(host, /exited \(3\)/);
  assert.match(host, /\d\.\d\d cores<div class="dim">\d+(\.\d)?% of its 0\.5 CPUs limit<\/div>/, 'web: CPU against its quota');
  assert.match(host, /of its 256 MiB limit/);
  assert.match(host, /<a href="\/probe\?target=h">/);
});

test('routes: unknown host 404, text/html, HEAD like GET without a body', async () => {
  for (const path of ['/hosts/nope', '/hosts/', '/hosts/h/', '/hosts/%68']) {
    const r = await get(path);
    assert.equal(r.status, 404, path);
  }
  const page = await get('/hosts/h');
  assert.equal(page.status, 200);
  assert.equal(page.type, 'text/html; charset=utf-8');
  const head = await fetch(`${url}/hosts/h`, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get('content-length'), String(Buffer.byteLength(page.text)), 'the length GET would send');
  assert.equal((await get('/hosts/h', 'POST')).status, 405);
});
