// One fault scenario: an exporter watching the good host and one or more bad hosts. Warm-up
// scrapes with every daemon healthy give the reference (the good host's series, the peak RSS
// of healthy scrapes); then the bad hosts' faults go on and the exporter is scraped a few times
// while /healthz is sampled in parallel. Each check is its own test, and a failure names the
// defect it most likely is.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FaultRule } from '../../support/fake-engine.ts';
import type { ContainerInput } from '../../support/stats-bodies.ts';
import { checkGoodHost, containerId, duplicateSeries, GOOD_CONTAINERS, GOOD_HOST, hostKeys, parseExposition, promtoolProblem, select, type Exposition, type GoodHostState } from './checks.ts';
import { startDaemons, type ContainerOp, type Daemons, type MethodReport } from './daemons.ts';
import { startExporter, type RunningExporter } from './exporter.ts';
import { MB, mb } from './load.ts';
import { healthProblem, healthSummary, HEALTHZ_LIMIT_MS, sampleHealthz, type HealthReport, type HealthSampler } from './healthz.ts';

/** collection.timeout of every scenario: short, so hanging daemons cost the suite little. */
export const DEADLINE_MS = 2000;
/**
 * A scrape returns by the deadline plus this: measured at most ~20 ms over it (the render and
 * write of a small body); the rest is slack for a loaded 2-core machine.
 */
export const SCRAPE_MARGIN_MS = 1000;
/** The target: peak RSS stays within 100 MB of healthy scrapes. */
export const RSS_LIMIT_BYTES = 100 * MB;
const WARM_SCRAPES = 4;
/** The faults stay on for at least this long (and `scrapes` scrapes), so /healthz gets ~20 samples. */
const MIN_FAULT_MS = 2000;
const MAX_FAULTY_SCRAPES = 100;

export type CheckName = 'alive' | 'deadline' | 'good' | 'bad' | 'healthz' | 'series' | 'rss' | 'get';

/** What a bad host must show in one faulty scrape: problems as sentences. */
export type Expectation = (e: Exposition) => string[];

export interface BadHost {
  name: string;
  containers: ContainerInput[];
  /** switched on after the warm-up */
  faults: FaultRule[];
  /** container changes made as the faults go on, e.g. a new container whose inspect is bad */
  ops?: ContainerOp[];
  expect: Expectation[];
}

export interface FaultScenario {
  title: string;
  bad: BadHost[];
  /** pool.threads; default: the exporter's */
  threads?: number;
  /** more collection.* keys, e.g. a short disk_interval */
  collection?: Record<string, unknown>;
  /** scrapes with the faults on; default 4 */
  scrapes?: number;
  /** the faults stay on at least this long; default MIN_FAULT_MS */
  faultMs?: number;
  /**
   * The warm-up's last two scrapes (the reference and the RSS baseline) wait until this long
   * after the exporter started: with a short disk_interval, the good host's first walk lands at
   * a random point of its first interval, and its series belong in the reference.
   */
  warmMs?: number;
  /** per check, the defect a failure most likely is */
  defects?: Partial<Record<CheckName, string>>;
}

export interface ScrapeRecord {
  ms: number;
  status: number;
  error?: string;
  good: string[];
  bad: string[];
  duplicates: string[];
}

interface ScenarioRun {
  warm: ScrapeRecord[];
  faulty: ScrapeRecord[];
  health: HealthReport;
  baselinePeak: number;
  faultPeak: number;
  aliveAtEnd: string;
  exitCode: number | null;
  methods: MethodReport[];
  promtool?: string;
  logTail: string;
}

// ---- expectations for bad hosts ---------------------------------------------------------

/**
 * The whole probe failed or missed its deadline: `docker_host_up` 0. Its last container series
 * may still be served (for max_staleness), with `docker_host_snapshot_age_seconds` saying how old.
 */
export const hostDown =
  (host: string): Expectation =>
  (e) => {
    const up = select(e, 'docker_host_up', { host });
    const problems: string[] = [];
    if (up.length !== 1 || up[0]!.value !== 0) problems.push(`${host}: docker_host_up is ${up.map((s) => s.value).join(',') || 'absent'}, expected 0 while its probe fails or is past its deadline`);
    // stale container series may be served (for max_staleness), but then say how old they are
    const stale = select(e, 'docker_container_running_state', { host }).length > 0;
    const age = select(e, 'docker_host_snapshot_age_seconds', { host });
    if (stale && !(age.length === 1 && age[0]!.value > 0)) {
      problems.push(`${host}: container series served while its probe fails, and docker_host_snapshot_age_seconds is ${age.map((a) => a.value).join(',') || 'absent'}: nothing says how old they are`);
    }
    return problems;
  };

/** The probe succeeded: `docker_host_up` 1. */
export const hostUp =
  (host: string): Expectation =>
  (e) => {
    const up = select(e, 'docker_host_up', { host }).map((x) => x.value);
    return up.length === 1 && up[0] === 1 ? [] : [`${host}: docker_host_up ${up.join(',') || 'absent'}, expected 1`];
  };

/** The host is up; these containers' series are hidden and their failures counted. */
export const containersFailed =
  (host: string, names: string[]): Expectation =>
  (e) => {
    const problems: string[] = [];
    const up = select(e, 'docker_host_up', { host })[0]?.value;
    if (up !== 1) problems.push(`${host}: docker_host_up ${up ?? 'absent'}, expected 1 (only some containers fail)`);
    for (const name of names) {
      if (select(e, 'docker_container_running_state', { host, name }).length > 0) {
        problems.push(`${host}/${name}: still served; its update should fail and hide it (unless the probe missed its deadline and a stale snapshot is served)`);
      }
      const failed = select(e, 'docker_probe_container_failed_total', { host }).filter((s) => s.labels.name === name || s.labels.id === containerId(name));
      if (failed.length !== 1 || !(failed[0]!.value >= 1)) problems.push(`${host}/${name}: docker_probe_container_failed_total not counted (${failed.length} series)`);
    }
    return problems;
  };

/** These containers of a bad host are served whole: one broken neighbour never hides them. */
export const containersServed =
  (host: string, names: string[]): Expectation =>
  (e) =>
    names.flatMap((name) => {
      const problems: string[] = [];
      if (select(e, 'docker_container_running_state', { host, name }).length !== 1) problems.push(`${host}/${name}: docker_container_running_state missing or duplicated`);
      if (select(e, 'container_cpu_usage_seconds_total', { host, name }).length !== 1) problems.push(`${host}/${name}: container_cpu_usage_seconds_total missing or duplicated`);
      return problems;
    });

/** No container of `host` exports more than `cap` network interfaces. */
export const interfacesCapped =
  (host: string, cap: number): Expectation =>
  (e) => {
    const per = new Map<string, number>();
    for (const s of select(e, 'container_network_receive_bytes_total', { host })) per.set(s.labels.name!, (per.get(s.labels.name!) ?? 0) + 1);
    return [...per].filter(([, n]) => n > cap).map(([name, n]) => `${host}/${name}: ${n} interfaces exported, cap ${cap}`);
  };

/** Each container once, under its own name (not a link alias), whatever the list repeats. */
export const namesOnce =
  (host: string, names: string[]): Expectation =>
  (e) => {
    const problems: string[] = [];
    const served = select(e, 'docker_container_running_state', { host }).map((s) => s.labels.name!);
    for (const name of names) {
      const n = served.filter((x) => x === name).length;
      if (n !== 1) problems.push(`${host}/${name}: docker_container_running_state ${n} times`);
    }
    const strays = served.filter((x) => !names.includes(x));
    if (strays.length) problems.push(`${host}: served under names ${JSON.stringify([...new Set(strays)])}, expected only ${JSON.stringify(names)}`);
    return problems;
  };

// ---- the runner ---------------------------------------------------------------------------

export async function scrapeOnce(exp: RunningExporter, prev: GoodHostState | undefined, reference: Set<string> | undefined, bad: Expectation[]): Promise<{ rec: ScrapeRecord; state?: GoodHostState; e?: Exposition; body?: string }> {
  const start = performance.now();
  let r;
  try {
    r = await exp.get('/metrics', DEADLINE_MS + SCRAPE_MARGIN_MS + 10_000);
  } catch (err) {
    return { rec: { ms: performance.now() - start, status: 0, error: (err as Error).message, good: [], bad: [], duplicates: [] } };
  }
  if (r.status !== 200) return { rec: { ms: r.ms, status: r.status, error: r.body.slice(0, 200), good: [], bad: [], duplicates: [] } };
  const e = parseExposition(r.body);
  const good = checkGoodHost(e, prev, reference);
  return {
    rec: { ms: r.ms, status: r.status, good: good.problems, bad: bad.flatMap((x) => x(e)), duplicates: duplicateSeries(e) },
    state: good.state,
    e,
    body: r.body,
  };
}

async function runScenario(s: FaultScenario, dir: string, good: Daemons, badDaemons: Daemons): Promise<ScenarioRun> {
  const hosts = [{ name: GOOD_HOST, url: good.urls.get(GOOD_HOST)! }, ...s.bad.map((b) => ({ name: b.name, url: badDaemons.urls.get(b.name)! }))];
  const tag = s.title.replace(/[^a-z0-9]+/gi, '-').toLowerCase();
  const exp = await startExporter({ tag, dir, hosts, threads: s.threads, collection: { timeout: `${DEADLINE_MS}ms`, ...s.collection } });
  let sampler: HealthSampler | undefined;
  const warm: ScrapeRecord[] = [];
  const faulty: ScrapeRecord[] = [];
  let state: GoodHostState | undefined;
  let reference: Set<string> | undefined;
  let baselinePeak = 0;
  let lastBody: string | undefined;
  try {
    // warm-up: every daemon healthy; the reference and the baseline come from the last scrapes
    const started = performance.now();
    for (let i = 0; i < WARM_SCRAPES; i++) {
      if (i === WARM_SCRAPES - 2) {
        const wait = (s.warmMs ?? 0) - (performance.now() - started);
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        exp.resetPeak();
      }
      const out = await scrapeOnce(exp, state, undefined, []);
      // /healthz is timed from the end of the first scrape on: before it, the process is still
      // starting (worker threads, first connections, JIT) and answers in up to ~250 ms
      sampler ??= await sampleHealthz(exp);
      warm.push(out.rec);
      state = out.state ?? state;
      if (out.e && out.rec.good.length === 0) reference = hostKeys(out.e, GOOD_HOST);
    }
    baselinePeak = exp.memory().peakRss;
    note(`${s.title}: warm-up ${warm.map((x) => Math.round(x.ms)).join(', ')} ms, peak RSS ${mb(baselinePeak)}`);

    for (const b of s.bad) {
      for (const rule of b.faults) await badDaemons.fault(b.name, rule);
      if (b.ops) await badDaemons.mutate(b.name, b.ops);
    }
    exp.resetPeak();
    const expectations = s.bad.flatMap((b) => b.expect);
    const faultStart = performance.now();
    for (let i = 0; i < MAX_FAULTY_SCRAPES && (i < (s.scrapes ?? 4) || performance.now() - faultStart < (s.faultMs ?? MIN_FAULT_MS)); i++) {
      const out = await scrapeOnce(exp, state, reference, expectations);
      faulty.push(out.rec);
      state = out.state ?? state;
      lastBody = out.body ?? lastBody;
      if (out.rec.status === 0) break; // no answer within deadline + 10 s, or none at all: the suite stays bounded
      await new Promise((r) => setTimeout(r, 100));
    }
    const faultPeak = exp.memory().peakRss;
    note(`${s.title}: faulty ${faulty.map((x) => Math.round(x.ms)).join(', ')} ms, peak RSS ${mb(faultPeak)}`);
    const aliveAtEnd = exp.exitStatus();
    for (const b of s.bad) await badDaemons.clearFaults(b.name);
    const health = await sampler!.stop();
    note(`${s.title}: ${healthSummary(health)}`);
    const methods = [...(await good.methods()), ...(await badDaemons.methods())];
    const promtool = lastBody === undefined ? 'no faulty scrape answered' : promtoolProblem(lastBody);
    const logTail = exp.logTail(6);
    const exitCode = await exp.stop();
    return { warm, faulty, health, baselinePeak, faultPeak, aliveAtEnd, exitCode, methods, promtool, logTail };
  } finally {
    await sampler?.stop().catch(() => undefined);
    await exp.stop();
  }
}

/** FAULTS_VERBOSE=1: progress on stderr. */
export function note(msg: string): void {
  if (process.env.FAULTS_VERBOSE) process.stderr.write(`[faults ${new Date().toISOString().slice(11, 23)}] ${msg}\n`);
}

/** Problems of many scrapes, each once with the scrapes it was seen in: "#0, #2: text". */
function byProblem(records: ScrapeRecord[], pick: (r: ScrapeRecord) => string[], offset = 0): string[] {
  const seen = new Map<string, number[]>();
  records.forEach((r, i) => {
    for (const p of pick(r)) seen.set(p, [...(seen.get(p) ?? []), i + offset]);
  });
  return [...seen].map(([p, at]) => `scrape${at.length > 1 ? 's' : ''} ${at.map((i) => `#${i}`).join(', ')}: ${p}`);
}

const list = (items: string[], max = 6): string => items.slice(0, max).join('\n    ') + (items.length > max ? `\n    … and ${items.length - max} more` : '');

/** Registers the scenarios as suites of tests; the fake daemons are shared by the file. */
export function faultScenarios(all: FaultScenario[]): void {
  // FAULTS_ONLY=text runs the scenarios whose title contains it (while working on one)
  const only = process.env.FAULTS_ONLY;
  const scenarios = only ? all.filter((s) => s.title.includes(only)) : all;
  let dir = '';
  let good: Daemons | undefined;
  let bad: Daemons | undefined;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dfe-faults-'));
    // good and bad hosts in separate processes: a bad daemon's work never slows the good one
    good = await startDaemons('good', dir, [{ name: GOOD_HOST, containers: GOOD_CONTAINERS }]);
    bad = await startDaemons('bad', dir, scenarios.flatMap((s) => s.bad.map((b) => ({ name: b.name, containers: b.containers }))));
  });
  after(async () => {
    await Promise.all([good?.close(), bad?.close()]);
    if (!process.env.FAULTS_KEEP_LOGS) rmSync(dir, { recursive: true, force: true });
  });

  for (const s of scenarios) {
    describe(s.title, () => {
      let run: ScenarioRun | undefined;
      let failure: Error | undefined;
      before(async () => {
        try {
          run = await runScenario(s, dir, good!, bad!);
        } catch (err) {
          failure = err as Error;
        }
      });
      const check = (name: CheckName, title: string, verdict: (r: ScenarioRun) => string | undefined): void => {
        it(title, () => {
          if (failure) throw failure;
          const problem = verdict(run!);
          if (problem === undefined) return;
          const why = s.defects?.[name];
          throw new Error(`[${s.title}] ${problem}${why ? `\n  likely: ${why}` : ''}\n  exporter log tail:\n${run!.logTail}`);
        });
      };
      const all = (r: ScenarioRun): ScrapeRecord[] => [...r.warm, ...r.faulty];

      check('alive', 'the exporter lives through it and exits 0 on SIGTERM', (r) => {
        if (r.aliveAtEnd !== 'running') return `the exporter ${r.aliveAtEnd} during the faults`;
        if (r.exitCode !== 0) return `SIGTERM: exit code ${r.exitCode}, expected 0`;
        const failed = all(r).filter((x) => x.status !== 200);
        if (failed.length) return `${failed.length} scrapes got no 200: ${list(failed.map((x) => `${x.status} ${x.error ?? ''}`))}`;
        return r.faulty.length < (s.scrapes ?? 4) ? `only ${r.faulty.length} faulty scrapes ran` : undefined;
      });
      check('deadline', `every scrape returns by the deadline (${DEADLINE_MS} ms) + ${SCRAPE_MARGIN_MS} ms`, (r) => {
        const slow = all(r).map((x, i) => ({ i, ms: x.ms })).filter((x) => x.ms > DEADLINE_MS + SCRAPE_MARGIN_MS);
        return slow.length ? `scrapes over ${DEADLINE_MS + SCRAPE_MARGIN_MS} ms: ${slow.map((x) => `#${x.i} ${Math.round(x.ms)} ms`).join(', ')} (all: ${all(r).map((x) => Math.round(x.ms)).join(', ')} ms)` : undefined;
      });
      check('good', 'the good host is whole and fresh in every scrape', (r) => {
        const bad = byProblem(all(r), (x) => x.good);
        return bad.length ? `good host not whole (scrapes #0-#${WARM_SCRAPES - 1} are the healthy warm-up):\n    ${list(bad)}` : undefined;
      });
      check('bad', 'each bad host shows its fault as it should', (r) => {
        const bad = byProblem(r.faulty, (x) => x.bad, WARM_SCRAPES);
        return bad.length ? `\n    ${list(bad)}` : undefined;
      });
      check('healthz', `/healthz answers in under ${HEALTHZ_LIMIT_MS} ms throughout`, (r) => {
        return healthProblem(r.health, 10);
      });
      check('series', 'no duplicate series, and promtool check metrics passes', (r) => {
        const dups = byProblem(all(r), (x) => x.duplicates);
        if (dups.length) return `duplicate series:\n    ${list(dups)}`;
        return r.promtool;
      });
      check('rss', `peak RSS stays within ${RSS_LIMIT_BYTES / MB} MB of healthy scrapes`, (r) => {
        const grew = r.faultPeak - r.baselinePeak;
        return grew > RSS_LIMIT_BYTES ? `peak RSS ${mb(r.faultPeak)} under the faults, ${mb(r.baselinePeak)} healthy: +${mb(grew)}` : undefined;
      });
      check('get', 'only GET reaches the daemons', (r) => {
        const other = r.methods.filter((m) => Object.keys(m.byMethod).some((k) => k !== 'GET'));
        if (other.length) return `non-GET requests: ${JSON.stringify(other)}`;
        const idle = r.methods.filter((m) => m.total === 0 && (m.host === GOOD_HOST || s.bad.some((b) => b.name === m.host)));
        return idle.length ? `no request at all reached ${idle.map((m) => m.host).join(', ')}: nothing was checked` : undefined;
      });
    });
  }
}
