// Slowloris: 100 clients dribbling their request headers a byte at a time and 100 that connect
// and send nothing. The exporter keeps serving the good host and /healthz, and drops them once
// its header timeout passes instead of holding them for node's default (60 s, checked every
// 30 s: up to 90 s per socket).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GOOD_CONTAINERS, GOOD_HOST, hostKeys, type GoodHostState } from './lib/checks.ts';
import { startDaemons, type Daemons } from './lib/daemons.ts';
import { startExporter, type RunningExporter } from './lib/exporter.ts';
import { healthProblem, healthSummary, HEALTHZ_LIMIT_MS, sampleHealthz, type HealthReport } from './lib/healthz.ts';
import { DEADLINE_MS, note, SCRAPE_MARGIN_MS, scrapeOnce, type ScrapeRecord } from './lib/scenario.ts';

const DRIBBLERS = 100;
const IDLE = 100;
const BYTE_EVERY_MS = 500;
/**
 * A client that has not sent its headers within this is dropped: a request is one small
 * packet, so 10 s is ample on any link; plus the server's check interval and slack.
 */
const DROP_WITHIN_MS = 15_000;

let dir = '';
let daemons: Daemons | undefined;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dfe-faults-'));
  daemons = await startDaemons('good', dir, [{ name: GOOD_HOST, containers: GOOD_CONTAINERS }]);
});
after(async () => {
  await daemons?.close();
  if (!process.env.FAULTS_KEEP_LOGS) rmSync(dir, { recursive: true, force: true });
});

interface Loris {
  socket: Socket;
  openedAt: number;
  /** ms after opening that the exporter closed it; Infinity while open */
  closedAfter: number;
}

function loris(port: number, dribble: boolean): Promise<Loris> {
  return new Promise((resolve, reject) => {
    const l: Loris = { socket: connect(port, '127.0.0.1'), openedAt: 0, closedAfter: Infinity };
    l.socket.on('error', () => {});
    l.socket.once('connect', () => {
      l.openedAt = performance.now();
      if (dribble) {
        const text = 'GET /metrics HTTP/1.1\r\nHost: exporter\r\nX-Slow: ' + 'a'.repeat(1000);
        let i = 0;
        const t = setInterval(() => (l.socket.destroyed ? clearInterval(t) : l.socket.write(text[i++ % text.length]!)), BYTE_EVERY_MS);
        l.socket.once('close', () => clearInterval(t));
      }
      resolve(l);
    });
    l.socket.resume(); // read whatever comes (a 408, a FIN): it is the exporter that must close
    l.socket.once('close', () => (l.closedAfter = performance.now() - l.openedAt));
    l.socket.once('error', reject);
  });
}

describe(`slowloris: ${DRIBBLERS} clients dribbling headers a byte every ${BYTE_EVERY_MS} ms, ${IDLE} sending nothing`, () => {
  let exp: RunningExporter;
  const clients: Loris[] = [];
  const scrapes: ScrapeRecord[] = [];
  let health: HealthReport;
  let alive = '';
  let exitCode: number | null = null;

  before(async () => {
    exp = await startExporter({ tag: 'slowloris', dir, hosts: [{ name: GOOD_HOST, url: daemons!.urls.get(GOOD_HOST)! }], collection: { timeout: `${DEADLINE_MS}ms` } });
    let first = await scrapeOnce(exp, undefined, undefined, []);
    const reference = first.e ? hostKeys(first.e, GOOD_HOST) : undefined;
    let state: GoodHostState | undefined = first.state;
    const sampler = await sampleHealthz(exp);
    const t0 = performance.now();
    for (let i = 0; i < DRIBBLERS + IDLE; i++) clients.push(await loris(exp.port, i < DRIBBLERS));
    // until every loris is dropped, or past the bound
    while (performance.now() - t0 < DROP_WITHIN_MS + 1000 && clients.some((c) => c.closedAfter === Infinity)) {
      first = await scrapeOnce(exp, state, reference, []);
      scrapes.push(first.rec);
      state = first.state ?? state;
      await new Promise((r) => setTimeout(r, 500));
    }
    health = await sampler.stop();
    note(healthSummary(health));
    const closed = clients.filter((c) => c.closedAfter !== Infinity).map((c) => c.closedAfter).sort((a, b) => a - b);
    note(`slowloris: ${closed.length} of ${clients.length} dropped, after ${Math.round(closed[0] ?? NaN)}-${Math.round(closed.at(-1) ?? NaN)} ms; ${scrapes.length} scrapes, max ${Math.round(Math.max(...scrapes.map((s) => s.ms)))} ms`);
    alive = exp.exitStatus();
    for (const c of clients) c.socket.destroy();
    exitCode = await exp.stop();
  });
  after(() => {
    for (const c of clients) c.socket.destroy();
  });

  it('the exporter lives through it and exits 0 on SIGTERM', () => {
    assert.equal(alive, 'running', `the exporter ${alive}; log:\n${exp.logTail()}`);
    assert.equal(exitCode, 0);
  });
  it('the good host is whole and fresh in every scrape meanwhile, each by the deadline + margin', () => {
    assert.ok(scrapes.length >= 5, `${scrapes.length} scrapes`);
    const problems = scrapes.flatMap((s, i) => [...s.good, ...s.duplicates, ...(s.error ? [s.error] : [])].map((p) => `#${i}: ${p}`));
    assert.deepEqual(problems.slice(0, 10), []);
    const slow = scrapes.filter((s) => s.ms > DEADLINE_MS + SCRAPE_MARGIN_MS).map((s) => Math.round(s.ms));
    assert.deepEqual(slow, [], `scrapes over ${DEADLINE_MS + SCRAPE_MARGIN_MS} ms`);
  });
  it(`/healthz answers in under ${HEALTHZ_LIMIT_MS} ms throughout`, () => {
    assert.equal(healthProblem(health, 20), undefined);
  });
  it(`every slow client is dropped within ${DROP_WITHIN_MS / 1000} s`, () => {
    const open = clients.filter((c) => c.closedAfter > DROP_WITHIN_MS);
    const dribbling = open.filter((c) => clients.indexOf(c) < DRIBBLERS).length;
    assert.equal(open.length, 0, `${dribbling} dribbling and ${open.length - dribbling} idle clients still connected after ${DROP_WITHIN_MS / 1000} s: no header/request timeout (node's defaults hold them up to 90 s)`);
  });
});
