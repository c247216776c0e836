// The endpoint against clients: HEAD, request targets, the in-flight limit, slow or silent
// senders, clients that leave, and shared bodies. No client input may log at error level.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { createExporter, type Exporter } from '../../src/app.ts';
import type { ExporterConfig } from '../../src/config/types.ts';
import { startFakeEngine, type FakeEngine } from '../support/fake-engine.ts';
import { testConfig } from '../support/config.ts';

const dir = mkdtempSync(join(tmpdir(), 'dfe-web-'));
const logs: { level: number; msg: string }[] = [];
const log = pino({ level: 'debug' }, { write: (line: string) => logs.push(JSON.parse(line) as { level: number; msg: string }) });

let engine: FakeEngine;
const running: Exporter[] = [];

function config(web: Partial<ExporterConfig['web']> = {}): ExporterConfig {
  const host = { name: 'h', url: engine.url, endpoint: { kind: 'unix' as const, socketPath: engine.socketPath! }, labels: {} };
  return testConfig([host], { collection: { timeoutMs: 3000 }, metrics: { containerLabels: [] }, web, log: { level: 'debug' } });
}

async function start(web: Partial<ExporterConfig['web']> = {}): Promise<{ url: string; port: number; exporter: Exporter }> {
  const exporter = createExporter(config(web), log);
  running.push(exporter);
  const port = await exporter.listen(0, '127.0.0.1');
  return { url: `http://127.0.0.1:${port}`, port, exporter };
}

/** A request as written, on its own connection: fetch() would normalize the target. */
function raw(port: number, requestLine: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (text += d));
    socket.on('error', reject);
    socket.on('close', () => resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), text }));
    socket.write(`${requestLine}\r\nHost: x\r\nConnection: close\r\n\r\n`);
  });
}

const value = (text: string, metric: string): number | undefined => {
  const m = new RegExp(`^${metric}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
};

before(async () => {
  engine = await startFakeEngine({ socketPath: join(dir, 'e.sock'), containers: [{ name: 'c', state: 'running' }, { name: 'd', state: 'exited' }] });
  engine.statsTickMs = 0;
});

afterEach(() => {
  engine.clearFaults();
  const errors = logs.filter((l) => l.level >= 50);
  logs.length = 0;
  assert.deepEqual(errors, [], 'no error-level log line from anything a client sent');
});

after(async () => {
  await Promise.all(running.map((e) => e.close()));
  await engine.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('routes', () => {
  let url: string, port: number;
  before(async () => ({ url, port } = await start()));

  test('HEAD wherever GET is served: the same status and headers, no body', async () => {
    for (const path of ['/', '/healthz', '/nope', '/probe', '/probe?target=nope']) {
      const get = await fetch(url + path);
      const getBody = await get.arrayBuffer();
      const head = await fetch(url + path, { method: 'HEAD' });
      assert.equal(head.status, get.status, path);
      assert.equal(head.headers.get('content-type'), get.headers.get('content-type'), path);
      assert.equal(head.headers.get('content-length'), String(getBody.byteLength), path);
      assert.equal((await head.arrayBuffer()).byteLength, 0, path);
    }
    // concurrent with a GET, a HEAD shares its probe and its body: the same length exactly
    // (uncompressed: a gzipped body has no length up front)
    engine.addFault({ kind: 'list', delayMs: 200 });
    const identity = { 'accept-encoding': 'identity' };
    for (const path of ['/metrics', '/probe?target=h']) {
      const [get, head] = await Promise.all([fetch(url + path, { headers: identity }), fetch(url + path, { method: 'HEAD', headers: identity })]);
      const body = await get.arrayBuffer();
      assert.equal(head.status, 200, path);
      assert.equal(head.headers.get('content-type'), get.headers.get('content-type'));
      assert.equal(head.headers.get('content-length'), String(body.byteLength), path);
      assert.equal((await head.arrayBuffer()).byteLength, 0);
      // fetch() asks for gzip by default: GET and HEAD then both say gzip
      const [zget, zhead] = await Promise.all([fetch(url + path), fetch(url + path, { method: 'HEAD' })]);
      await zget.arrayBuffer();
      assert.equal(zget.headers.get('content-encoding'), 'gzip');
      assert.equal(zhead.headers.get('content-encoding'), 'gzip');
    }
  });

  test('a gzipped scrape warns about nothing (stderr once per scrape would fill a log)', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    process.on('warning', onWarning);
    try {
      for (let i = 0; i < 3; i++) {
        const res = await fetch(`${url}/metrics`);
        await res.arrayBuffer();
        assert.equal(res.headers.get('content-encoding'), 'gzip');
      }
      await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
    } finally {
      process.off('warning', onWarning);
    }
    assert.deepEqual(warnings, []);
  });

  test('other methods: 405 naming GET and HEAD', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS']) {
      const res = await fetch(`${url}/metrics`, { method });
      assert.equal(res.status, 405, method);
      assert.equal(res.headers.get('allow'), 'GET, HEAD');
    }
  });

  test('only "/" is the status page', async () => {
    assert.match((await raw(port, 'GET / HTTP/1.1')).text, /<h1>docker-fleet-exporter<\/h1>/);
    for (const target of ['//anything', '//', '//metrics', '/metrics/', '/a/../metrics']) {
      const r = await raw(port, `GET ${target} HTTP/1.1`);
      assert.equal(r.status, 404, target);
      assert.doesNotMatch(r.text, /<html/, target);
    }
  });

  test('bad request targets are a 400, never a 500 (nor an error log: see afterEach)', async () => {
    for (const target of ['//[', '/[', '/%zz', '*']) {
      const r = await raw(port, `GET ${target} HTTP/1.1`);
      assert.equal(r.status, 400, target);
      assert.match(r.text, /invalid request target/);
    }
    const absolute = await raw(port, `GET http://exporter/probe?target=h HTTP/1.1`);
    assert.equal(absolute.status, 200);
    assert.match(absolute.text, /^docker_host_up\{host="h"\} 1$/m);
  });

  test('a client leaving during a scrape: no error, its slot freed', async () => {
    engine.addFault({ kind: 'list', delayMs: 300 });
    await new Promise<void>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.write('GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n');
        setTimeout(() => socket.destroy(), 50);
      });
      socket.on('close', () => resolve());
    });
    await new Promise((r) => setTimeout(r, 400)); // the scrape ends after the client left
    engine.clearFaults();
    const text = await (await fetch(`${url}/metrics`)).text();
    assert.equal(value(text, 'docker_fleet_exporter_web_requests_in_flight'), 1, 'only this request');
  });
});

test('concurrent scrapes share one body; the next scrape gets a new one', async () => {
  const { url } = await start();
  engine.addFault({ kind: 'list', delayMs: 300 }); // every scrape arrives during the first probe
  const bodies = await Promise.all(Array.from({ length: 6 }, () => fetch(`${url}/metrics`).then((r) => r.text())));
  // rendered once: even the process metrics, read at render time, are the same
  for (const b of bodies) assert.equal(b, bodies[0]);
  assert.match(bodies[0]!, /^process_cpu_user_seconds_total /m);
  const count = value(bodies[0]!, 'docker_probe_duration_seconds_count');
  engine.clearFaults();
  const next = await (await fetch(`${url}/metrics`)).text();
  assert.equal(value(next, 'docker_probe_duration_seconds_count'), count! + 1, 'a new probe, a new body: never an older one');
  // the same probe on two routes: /probe has no process metrics, /metrics has them
  engine.addFault({ kind: 'list', delayMs: 300 });
  const [all, one] = await Promise.all([fetch(`${url}/metrics`).then((r) => r.text()), fetch(`${url}/probe?target=h`).then((r) => r.text())]);
  assert.match(all, /^process_cpu_user_seconds_total /m);
  assert.doesNotMatch(one, /^process_/m);
  assert.equal(value(one, 'docker_probe_duration_seconds_count'), value(all, 'docker_probe_duration_seconds_count'), 'one probe');
});

test('--web.max-requests: beyond it a 503 at once; /healthz and / are not limited', async () => {
  const { url } = await start({ maxRequests: 2 });
  engine.addFault({ kind: 'list', delayMs: 600 });
  const order: string[] = [];
  const get = (path: string) => fetch(url + path).then(async (r) => {
    const text = await r.text();
    order.push(`${path} ${r.status}`);
    return { status: r.status, text };
  });
  const slow = [get('/metrics'), get('/probe?target=h')];
  await new Promise((r) => setTimeout(r, 100)); // both are in flight
  const refused = await get('/metrics');
  assert.equal(refused.status, 503);
  assert.match(refused.text, /^503 service unavailable: 2 requests to \/metrics and \/probe are in flight already \(--web\.max-requests\)/);
  assert.equal((await get('/probe?target=h')).status, 503);
  assert.equal((await get('/healthz')).status, 200);
  assert.equal((await get('/')).status, 200);
  assert.deepEqual((await Promise.all(slow)).map((r) => r.status), [200, 200]);
  assert.deepEqual(order.slice(0, 4), ['/metrics 503', '/probe?target=h 503', '/healthz 200', '/ 200'], 'answered while the limit was taken');
  engine.clearFaults();
  const text = (await get('/metrics')).text;
  assert.equal(value(text, 'docker_fleet_exporter_web_requests_rejected_total'), 2);
});

test('--web.max-requests=0: no limit', async () => {
  const { url } = await start({ maxRequests: 0 });
  engine.addFault({ kind: 'list', delayMs: 200 });
  const statuses = await Promise.all(Array.from({ length: 50 }, () => fetch(`${url}/metrics`).then(async (r) => (await r.arrayBuffer(), r.status))));
  assert.deepEqual(new Set(statuses), new Set([200]));
});

test('slowloris: a request not received within requestTimeout is cut off, and so is a connection that sends nothing', async () => {
  const { url, port, exporter } = await start();
  assert.equal(exporter.server.headersTimeout, 10_000);
  assert.equal(exporter.server.requestTimeout, 10_000);
  // the same, quicker: the connection check runs every second
  exporter.server.headersTimeout = exporter.server.requestTimeout = 1000;
  const closed = (socket: net.Socket) => new Promise<string>((resolve) => {
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (text += d));
    socket.on('error', () => {});
    socket.on('close', () => resolve(text));
  });
  const drip = net.connect(port, '127.0.0.1');
  const dripped = closed(drip);
  const request = 'GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ';
  let i = 0;
  const timer = setInterval(() => drip.write(request[i++] ?? 'a'), 50);
  const silent = net.connect(port, '127.0.0.1');
  const silence = closed(silent);
  try {
    assert.equal((await fetch(`${url}/healthz`)).status, 200, 'others are served meanwhile');
    const [a, b] = await Promise.race([
      Promise.all([dripped, silence]),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('not cut off within 6 s')), 6000)),
    ]);
    assert.match(a, /^HTTP\/1\.1 408 /);
    // closed silently by its idle timeout, or with a 408 by node's connections check: both run
    // at requestTimeout, and on a loaded machine either may fire first
    assert.match(b, /^(|HTTP\/1\.1 408 [^]*)$/);
  } finally {
    clearInterval(timer);
    drip.destroy();
    silent.destroy();
  }
  // a scrape slower than requestTimeout is not cut off: the limit is on receiving the request
  engine.addFault({ kind: 'list', delayMs: 1500 });
  assert.equal((await fetch(`${url}/metrics`)).status, 200);
});
