// 100 scrapes at once of one host with 1000 containers: every one whole, memory bounded by one
// shared body, /healthz fast throughout; and with the default --web.max-requests
// the excess answered 503 at once.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { duplicateSeries, parseExposition, promtoolProblem } from './lib/checks.ts';
import type { MethodReport } from './lib/daemons.ts';
import { startExporter, type RunningExporter } from './lib/exporter.ts';
import { healthProblem, healthSummary, HEALTHZ_LIMIT_MS, sampleHealthz, type HealthReport } from './lib/healthz.ts';
import { BIG_HOST, bigBodyProblem, bigDaemonPerFile, LOAD_DEADLINE_MS, mb, MB, singleScrapePeak, streamGet, type StreamedAnswer } from './lib/load.ts';
import { note } from './lib/scenario.ts';

const CLIENTS = 100;
/** The target: peak RSS under 100 concurrent scrapes within 100 MB of a single scrape's. */
const RSS_LIMIT = 100 * MB;
/**
 * Every scrape waits for the same probe (under the deadline), then 100 copies of a ~7 MB body
 * cross loopback to one reading process: measured 1.5-3 s on the shared 2-core machine.
 */
const TRANSFER_MARGIN_MS = 5000;
/** "503 at once": no probe, no render, a few hundred bytes; the rest is scheduling slack. */
const REJECT_WITHIN_MS = 1000;

const big = bigDaemonPerFile();

const fire = (exp: RunningExporter): Promise<StreamedAnswer[]> =>
  Promise.all(Array.from({ length: CLIENTS }, () => streamGet(`${exp.url}/metrics`, LOAD_DEADLINE_MS + TRANSFER_MARGIN_MS + 30_000)));

describe(`${CLIENTS} concurrent scrapes of 1 host x 1000 containers`, () => {
  let exp: RunningExporter;
  let single: Awaited<ReturnType<typeof singleScrapePeak>>;
  let answers: StreamedAnswer[] = [];
  let peak = 0;
  let health: HealthReport;
  let last = '';
  let methods: MethodReport[] = [];
  let alive = '';
  let exitCode: number | null = null;
  before(async () => {
    // all 100 served (the limit is tested below): what bounds memory is one shared body
    exp = await startExporter({ tag: 'concurrent', dir: big.dir, hosts: [{ name: BIG_HOST, url: big.url() }], collection: { timeout: `${LOAD_DEADLINE_MS}ms` }, flags: { 'web.max-requests': '200' } });
    await streamGet(`${exp.url}/metrics`, 60_000);
    single = await singleScrapePeak(exp);
    const sampler = await sampleHealthz(exp);
    exp.resetPeak();
    answers = await fire(exp);
    peak = exp.memory().peakRss;
    health = await sampler.stop();
    note(healthSummary(health));
    note(`concurrent: single scrape ${mb(single.bodyBytes)} body, peak ${mb(single.peak)}; ${CLIENTS} at once: peak ${mb(peak)}, ${answers.map((a) => Math.round(a.ms)).sort((a, b) => a - b).filter((_, i) => i % 10 === 0).join(', ')} ms (every 10th)`);
    last = (await exp.get('/metrics', 60_000)).body;
    methods = await big.daemons.methods();
    alive = exp.exitStatus();
    exitCode = await exp.stop();
  });

  it('the exporter lives through it and exits 0 on SIGTERM', () => {
    assert.equal(alive, 'running', `the exporter ${alive}; log:\n${exp.logTail()}`);
    assert.equal(exitCode, 0);
  });
  it(`all ${CLIENTS} get the host whole`, () => {
    assert.deepEqual(single.problems, []);
    const bad = answers.map(bigBodyProblem).filter((p) => p !== undefined);
    assert.equal(bad.length, 0, `${bad.length} of ${CLIENTS} scrapes not whole: ${[...new Set(bad)].slice(0, 5).join('; ')}`);
  });
  it(`each returns by the deadline (${LOAD_DEADLINE_MS} ms) + ${TRANSFER_MARGIN_MS} ms`, () => {
    const slow = answers.filter((a) => a.ms > LOAD_DEADLINE_MS + TRANSFER_MARGIN_MS).map((a) => Math.round(a.ms));
    assert.equal(slow.length, 0, `${slow.length} scrapes took longer: ${slow.slice(0, 10).join(', ')} ms`);
  });
  it(`/healthz answers in under ${HEALTHZ_LIMIT_MS} ms throughout`, () => {
    assert.equal(healthProblem(health, 5), undefined);
  });
  it(`peak RSS stays within ${RSS_LIMIT / MB} MB of a single scrape's`, () => {
    assert.ok(peak - single.peak <= RSS_LIMIT, `peak RSS ${mb(peak)} under ${CLIENTS} concurrent scrapes, ${mb(single.peak)} for one: +${mb(peak - single.peak)}; likely: each request renders its own copy of the body`);
  });
  it('no duplicate series, and promtool check metrics passes', () => {
    assert.deepEqual(duplicateSeries(parseExposition(last)).slice(0, 5), []);
    assert.equal(promtoolProblem(last), undefined);
  });
  it('only GET reaches the daemon', () => {
    assert.ok(methods.every((m) => Object.keys(m.byMethod).every((k) => k === 'GET')), JSON.stringify(methods));
    assert.ok(methods[0]!.total > 0);
  });
});

describe(`with the default --web.max-requests (40), the excess of ${CLIENTS} concurrent scrapes gets 503 at once`, () => {
  let exp: RunningExporter;
  let answers: StreamedAnswer[] = [];
  before(async () => {
    exp = await startExporter({ tag: 'max-requests', dir: big.dir, hosts: [{ name: BIG_HOST, url: big.url() }], collection: { timeout: `${LOAD_DEADLINE_MS}ms` } });
    await streamGet(`${exp.url}/metrics`, 60_000);
    answers = await fire(exp);
    note(`max-requests: ${answers.filter((a) => a.status === 200).length} x 200, ${answers.filter((a) => a.status === 503).length} x 503`);
  });
  after(() => exp?.stop());

  it('40 are served whole, the others get 503 within a second', () => {
    const ok = answers.filter((a) => a.status === 200);
    const rejected = answers.filter((a) => a.status === 503);
    const other = answers.filter((a) => a.status !== 200 && a.status !== 503);
    assert.equal(other.length, 0, `unexpected answers: ${other.slice(0, 5).map((a) => `${a.status} ${a.error ?? ''}`).join('; ')}`);
    // all 100 are in flight together (each waits for the one probe), so exactly 40 get in;
    // a little slack for a request that finished before the last ones arrived
    assert.ok(rejected.length >= CLIENTS - 40 - 5, `${ok.length} x 200 and ${rejected.length} x 503: no limit of 40 requests in flight (--web.max-requests)`);
    assert.ok(ok.length >= 1 && ok.every((a) => bigBodyProblem(a) === undefined), 'the admitted scrapes are whole');
    const slow = rejected.filter((a) => a.ms > REJECT_WITHIN_MS).map((a) => Math.round(a.ms));
    assert.equal(slow.length, 0, `503s that took over ${REJECT_WITHIN_MS} ms: ${slow.slice(0, 10).join(', ')}`);
  });
  it('the exporter lives', () => {
    assert.equal(exp.exitStatus(), 'running');
  });
});
