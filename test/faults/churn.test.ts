// Container churn for 300 scrapes: every scrape, containers are added, removed and renamed,
// and five failing containers get a new name. Series counts stay flat: nothing of a gone or
// renamed container stays behind (failure counters keyed by name once leaked 1,505 series in
// 300 scrapes).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sha256Hex, type ContainerInput } from '../support/stats-bodies.ts';
import { GOOD_CONTAINERS, GOOD_HOST, hostKeys, select, type GoodHostState } from './lib/checks.ts';
import { startDaemons, type ContainerOp, type Daemons, type MethodReport } from './lib/daemons.ts';
import { startExporter, type RunningExporter } from './lib/exporter.ts';
import { healthProblem, healthSummary, HEALTHZ_LIMIT_MS, sampleHealthz, type HealthReport, type HealthSampler } from './lib/healthz.ts';
import { mb } from './lib/load.ts';
import { DEADLINE_MS, note, SCRAPE_MARGIN_MS, scrapeOnce, type ScrapeRecord } from './lib/scenario.ts';

const SCRAPES = 300;
const HOST = 'churn';
const STEADY = 30;
const FAILING = 5;
/** Per scrape: this many containers replaced by new ones, and as many renamed. */
const REPLACED = 2;
const RENAMED = 2;
/** Series counts are compared from this scrape on (the first ones inspect everything). */
const SETTLED = 3;
/**
 * The whole exposition may move by this much: prom-client's process metrics carry label sets
 * that come and go with the handles the process holds (nodejs_active_handles{type}, ...).
 */
const SELF_SLACK = 20;

const idOf = (key: string): string => sha256Hex(`churn:${key}`);

let dir = '';
let good: Daemons | undefined;
let bad: Daemons | undefined;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dfe-faults-'));
  const steady: ContainerInput[] = Array.from({ length: STEADY }, (_, i) => ({ name: `app-${i}`, id: idOf(`app-${i}`), state: 'running' }));
  const failing: ContainerInput[] = Array.from({ length: FAILING }, (_, i) => ({ name: `fail-${i}-0`, id: idOf(`fail-${i}`), state: 'running' }));
  [good, bad] = await Promise.all([
    startDaemons('good', dir, [{ name: GOOD_HOST, containers: GOOD_CONTAINERS }]),
    startDaemons('churn', dir, [{ name: HOST, containers: [...steady, ...failing] }]),
  ]);
  for (let i = 0; i < FAILING; i++) await bad.fault(HOST, { kind: 'stats', container: idOf(`fail-${i}`), status: 500, message: 'injected: stats failed' });
});
after(async () => {
  await Promise.all([good?.close(), bad?.close()]);
  if (!process.env.FAULTS_KEEP_LOGS) rmSync(dir, { recursive: true, force: true });
});

/** Scrape n's changes: the oldest steady containers replaced, others renamed, every failing one renamed. */
function churnOps(n: number, steadyIds: string[]): ContainerOp[] {
  const ops: ContainerOp[] = [];
  for (let k = 0; k < REPLACED; k++) {
    const old = steadyIds.shift()!;
    const key = `new-${n}-${k}`;
    ops.push({ op: 'remove', ref: old }, { op: 'add', container: { name: key, id: idOf(key), state: 'running' } });
    steadyIds.push(idOf(key));
  }
  for (let k = 0; k < RENAMED; k++) ops.push({ op: 'update', ref: steadyIds[k]!, patch: { name: `renamed-${n}-${k}` } });
  for (let i = 0; i < FAILING; i++) ops.push({ op: 'update', ref: idOf(`fail-${i}`), patch: { name: `fail-${i}-${n}` } });
  return ops;
}

describe(`container churn for ${SCRAPES} scrapes (${REPLACED} replaced, ${RENAMED} renamed, ${FAILING} failing renamed, per scrape)`, () => {
  let exp: RunningExporter;
  const scrapes: ScrapeRecord[] = [];
  const hostSeries: number[] = [];
  const failedSeries: number[] = [];
  const allSeries: number[] = [];
  let health: HealthReport;
  let methods: MethodReport[] = [];
  let alive = '';
  let exitCode: number | null = null;
  let rss: number[] = [];

  before(async () => {
    exp = await startExporter({ tag: 'churn', dir, hosts: [{ name: GOOD_HOST, url: good!.urls.get(GOOD_HOST)! }, { name: HOST, url: bad!.urls.get(HOST)! }], collection: { timeout: `${DEADLINE_MS}ms` } });
    const steadyIds = Array.from({ length: STEADY }, (_, i) => idOf(`app-${i}`));
    let state: GoodHostState | undefined;
    let reference: Set<string> | undefined;
    let sampler: HealthSampler | undefined;
    for (let n = 0; n < SCRAPES; n++) {
      if (n > 0) await bad!.mutate(HOST, churnOps(n, steadyIds));
      const out = await scrapeOnce(exp, state, reference, []);
      // timed from the end of the first scrape on, as in every test (lib/scenario.ts says why)
      sampler ??= await sampleHealthz(exp);
      scrapes.push(out.rec);
      state = out.state ?? state;
      if (!out.e) {
        if (!exp.alive()) break;
        continue;
      }
      if (n === 0 && out.rec.good.length === 0) reference = hostKeys(out.e, GOOD_HOST);
      hostSeries.push(out.e.samples.filter((s) => s.labels.host === HOST).length);
      failedSeries.push(select(out.e, 'docker_probe_container_failed_total', { host: HOST }).length);
      allSeries.push(out.e.samples.length);
      if (n === SETTLED || n === SCRAPES - 1) rss.push(exp.memory().rss);
    }
    health = await sampler!.stop();
    note(healthSummary(health));
    note(`churn: host series ${Math.min(...hostSeries.slice(SETTLED))}-${Math.max(...hostSeries.slice(SETTLED))}, failure counter series ${failedSeries.at(-1)}, all series ${Math.min(...allSeries.slice(SETTLED))}-${Math.max(...allSeries.slice(SETTLED))}, RSS ${rss.map(mb).join(' -> ')}`);
    methods = [...(await good!.methods()), ...(await bad!.methods())];
    alive = exp.exitStatus();
    exitCode = await exp.stop();
  });

  it('the exporter lives through it and exits 0 on SIGTERM', () => {
    assert.equal(alive, 'running', `the exporter ${alive}; log:\n${exp.logTail()}`);
    assert.equal(exitCode, 0);
    assert.equal(scrapes.filter((s) => s.status === 200).length, SCRAPES);
  });
  it('the good host is whole and fresh in every scrape, each by the deadline + margin', () => {
    const problems = scrapes.flatMap((s, i) => s.good.map((p) => `#${i}: ${p}`));
    assert.deepEqual(problems.slice(0, 10), []);
    const slow = scrapes.map((s, i) => ({ i, ms: s.ms })).filter((s) => s.ms > DEADLINE_MS + SCRAPE_MARGIN_MS);
    assert.deepEqual(slow.slice(0, 10), [], `scrapes over ${DEADLINE_MS + SCRAPE_MARGIN_MS} ms`);
  });
  it('no duplicate series in any scrape', () => {
    assert.deepEqual(scrapes.flatMap((s, i) => s.duplicates.map((d) => `#${i}: ${d}`)).slice(0, 10), []);
  });
  it(`the churning host's series count is flat from scrape ${SETTLED} on`, () => {
    const settled = hostSeries.slice(SETTLED);
    const [min, max] = [Math.min(...settled), Math.max(...settled)];
    assert.equal(max, min, `series with host="${HOST}" went from ${min} to ${max} (first ${hostSeries.slice(0, 6).join(', ')}, last ${hostSeries.slice(-3).join(', ')}); likely: series of renamed or gone containers stay behind`);
  });
  it(`docker_probe_container_failed_total has one series per failing container (${FAILING}), not one per name it had`, () => {
    const over = failedSeries.map((n, i) => ({ i, n })).filter((x) => x.n > FAILING);
    assert.deepEqual(over.slice(0, 3), [], `after ${SCRAPES} scrapes: ${failedSeries.at(-1)} series; likely: failure counters keyed by name leak under renames`);
    assert.equal(failedSeries.at(-1), FAILING);
  });
  it(`the whole exposition stays flat (within ${SELF_SLACK} series of the exporter's own)`, () => {
    const settled = allSeries.slice(SETTLED);
    assert.ok(Math.max(...settled) - Math.min(...settled) <= SELF_SLACK, `${Math.min(...settled)} to ${Math.max(...settled)} series`);
  });
  it(`/healthz answers in under ${HEALTHZ_LIMIT_MS} ms throughout`, () => {
    assert.equal(healthProblem(health, 20), undefined);
  });
  it('only GET reaches the daemons', () => {
    assert.ok(methods.every((m) => Object.keys(m.byMethod).every((k) => k === 'GET')), JSON.stringify(methods));
  });
});
