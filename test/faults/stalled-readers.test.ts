// 100 clients that send `GET /metrics` and never read: memory stays bounded while
// they hang on, the exporter drops them at --web.write-timeout, RSS comes back, and the host,
// /healthz and ordinary scrapes are served throughout.
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { MethodReport } from './lib/daemons.ts';
import { startExporter, type RunningExporter } from './lib/exporter.ts';
import { healthProblem, healthSummary, HEALTHZ_LIMIT_MS, sampleHealthz, type HealthReport } from './lib/healthz.ts';
import { BIG_HOST, bigBodyProblem, bigDaemonPerFile, establishedTo, LOAD_DEADLINE_MS, mb, MB, singleScrapePeak, streamGet, type StreamedAnswer } from './lib/load.ts';
import { note } from './lib/scenario.ts';

const CLIENTS = 100;
/** Short, so the suite sees the drop; the default is 2m. */
const WRITE_TIMEOUT_MS = 5000;
/** The drop is due at the write timeout from when each response started; slack for a loaded machine. */
const DROP_MARGIN_MS = 5000;
/** The target: peak RSS under 100 stalled readers within 100 MB of a single scrape's. */
const RSS_LIMIT = 100 * MB;
/** A single 7 MB scrape while others stall: the probe (under the deadline) and one transfer. */
const SCRAPE_MARGIN_MS = 2000;

const big = bigDaemonPerFile();

/** Connects, sends one request, and never reads: the kernel's buffers fill, then the exporter's. */
function stalledClient(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => {
      s.write('GET /metrics HTTP/1.1\r\nHost: exporter\r\n\r\n');
      s.pause();
      resolve(s);
    });
    s.on('error', () => {}); // the exporter dropping it is what we wait for
    s.once('error', reject);
  });
}

describe(`${CLIENTS} clients that send GET /metrics and never read`, () => {
  let exp: RunningExporter;
  let single: Awaited<ReturnType<typeof singleScrapePeak>>;
  let baseConns = 0;
  let maxConns = 0;
  /** ms from sending the stalled requests until the exporter held at most baseConns + 5 again */
  let droppedAfter = Infinity;
  let peak = 0;
  let rssAfterDrop = 0;
  const scrapes: StreamedAnswer[] = [];
  let health: HealthReport;
  let methods: MethodReport[] = [];
  let alive = '';
  let exitCode: number | null = null;
  const sockets: Socket[] = [];

  before(async () => {
    // --web.max-requests 200: all 100 stalled clients get a response to sit on (with the
    // default 40, 60 would be answered 503 at once and the test would prove less)
    exp = await startExporter({
      tag: 'stalled',
      dir: big.dir,
      hosts: [{ name: BIG_HOST, url: big.url() }],
      collection: { timeout: `${LOAD_DEADLINE_MS}ms` },
      flags: { 'web.write-timeout': `${WRITE_TIMEOUT_MS / 1000}s`, 'web.max-requests': '200' },
    });
    await streamGet(`${exp.url}/metrics`, 60_000);
    single = await singleScrapePeak(exp);
    baseConns = establishedTo(exp.port);
    const sampler = await sampleHealthz(exp);
    exp.resetPeak();
    const t0 = performance.now();
    sockets.push(...(await Promise.all(Array.from({ length: CLIENTS }, () => stalledClient(exp.port)))));
    const watch = setInterval(() => {
      const conns = establishedTo(exp.port);
      maxConns = Math.max(maxConns, conns);
      if (droppedAfter === Infinity && maxConns >= baseConns + CLIENTS && conns <= baseConns + 5) droppedAfter = performance.now() - t0;
    }, 100);
    // ordinary scrapes, one a second, until the stalled clients are due to be dropped and a bit
    while (performance.now() - t0 < WRITE_TIMEOUT_MS + DROP_MARGIN_MS) {
      scrapes.push(await streamGet(`${exp.url}/metrics`, 60_000));
      await new Promise((r) => setTimeout(r, 1000));
    }
    clearInterval(watch);
    peak = exp.memory().peakRss;
    rssAfterDrop = exp.memory().rss;
    health = await sampler.stop();
    note(healthSummary(health));
    note(`stalled: single scrape peak ${mb(single.peak)}; stalled peak ${mb(peak)}, RSS at the end ${mb(rssAfterDrop)}; connections ${baseConns} -> ${maxConns}, back after ${Math.round(droppedAfter)} ms; scrapes ${scrapes.map((s) => Math.round(s.ms)).join(', ')} ms`);
    methods = await big.daemons.methods();
    alive = exp.exitStatus();
    for (const s of sockets) s.destroy();
    exitCode = await exp.stop();
  });
  after(() => {
    for (const s of sockets) s.destroy();
  });

  it('the exporter lives through it and exits 0 on SIGTERM', () => {
    assert.equal(alive, 'running', `the exporter ${alive}; log:\n${exp.logTail()}`);
    assert.equal(exitCode, 0);
  });
  it(`all ${CLIENTS} stalled clients were connected at once`, () => {
    assert.ok(maxConns >= baseConns + CLIENTS, `the exporter held at most ${maxConns} connections (${baseConns} before): the test did not stall ${CLIENTS} clients`);
  });
  it(`peak RSS stays within ${RSS_LIMIT / MB} MB of a single scrape's`, () => {
    assert.ok(peak - single.peak <= RSS_LIMIT, `peak RSS ${mb(peak)} with ${CLIENTS} stalled readers, ${mb(single.peak)} for one scrape: +${mb(peak - single.peak)}; likely: a body per request, held while the client does not read`);
  });
  it(`the stalled clients are dropped by --web.write-timeout (${WRITE_TIMEOUT_MS} ms) + ${DROP_MARGIN_MS} ms`, () => {
    const missing = exp.missingFlags.length ? ` (this build has no ${exp.missingFlags.join(', ')})` : '';
    assert.ok(droppedAfter <= WRITE_TIMEOUT_MS + DROP_MARGIN_MS, `still ${maxConns - baseConns} extra connections after ${WRITE_TIMEOUT_MS + DROP_MARGIN_MS} ms${missing}; likely: no send deadline`);
  });
  it(`RSS comes back once they are dropped`, () => {
    assert.ok(rssAfterDrop - single.peak <= RSS_LIMIT / 2, `RSS ${mb(rssAfterDrop)} after the drop, ${mb(single.peak)} peak of one scrape; likely: stalled clients pin their bodies`);
  });
  it('ordinary scrapes meanwhile get the host whole, each by the deadline + margin', () => {
    assert.ok(scrapes.length >= 5, `${scrapes.length} scrapes`);
    const bad = scrapes.map(bigBodyProblem).filter((p) => p !== undefined);
    assert.deepEqual(bad, []);
    const slow = scrapes.filter((s) => s.ms > LOAD_DEADLINE_MS + SCRAPE_MARGIN_MS).map((s) => Math.round(s.ms));
    assert.deepEqual(slow, [], `scrapes over ${LOAD_DEADLINE_MS + SCRAPE_MARGIN_MS} ms`);
  });
  it(`/healthz answers in under ${HEALTHZ_LIMIT_MS} ms throughout`, () => {
    assert.equal(healthProblem(health, 20), undefined);
  });
  it('only GET reaches the daemon', () => {
    assert.ok(methods.every((m) => Object.keys(m.byMethod).every((k) => k === 'GET')), JSON.stringify(methods));
  });
});
