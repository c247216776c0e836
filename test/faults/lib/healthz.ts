// /healthz latency sampled in parallel with a test (healthz-child.ts), and its verdict.
//
// On a machine shared with other work, any process misses 100 ms now and then because the
// kernel ran something else: with other test suites running (load average 7-10 on 2 cores) a
// bare node:http server in its own process answered in 100-400 ms at times. What the exporter
// answers for is its own event loop: a slow sample counts against it when its main thread
// spent about the limit on the CPU meanwhile (busy, not waiting for a core). On a quiet
// machine the two are the same. The exporter and the sampler also run at a higher priority
// than the rest (NICE below) to keep that noise small.
import { fork } from 'node:child_process';
import { setPriority } from 'node:os';
import { Rpc } from '../../support/ipc.ts';
import type { RunningExporter, TurnReport } from './exporter.ts';
import type { HealthSample } from './healthz-child.ts';

/** The target: /healthz answers in under 100 ms throughout. */
export const HEALTHZ_LIMIT_MS = 100;
/** /proc counts CPU time in 10 ms ticks: two ticks of rounding at most, either end. */
const TICK_SLACK_MS = 20;
/** A sample every 100 ms: 10 new connections a second, enough to see a stall of the event loop. */
const EVERY_MS = 100;
/**
 * The exporter and the sampler run at this nice value (root only; else as they are), so that
 * other work on the machine (other test suites, the test's own clients, the fake daemons, all
 * at 0) delays them less.
 */
const NICE = -10;

export function raisePriority(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    setPriority(pid, NICE);
  } catch {
    /* not root: sampled at normal priority; the CPU-time rule still tells a busy machine */
  }
}

export interface HealthReport {
  samples: number;
  maxMs: number;
  p50Ms: number;
  p99Ms: number;
  /** failed, or slow while the exporter's event loop was busy: its fault. Empty when healthy. */
  bad: HealthSample[];
  /** slow while the exporter's main thread mostly waited for a core: the machine's */
  excused: HealthSample[];
  /** the exporter's longest turn meanwhile */
  turn: TurnReport;
}

export interface HealthSampler {
  stop(): Promise<HealthReport>;
}

/** Samples the /healthz of the exporter, and its longest turn, until stop(). */
export async function sampleHealthz(exp: Pick<RunningExporter, 'url' | 'pid' | 'turns'>): Promise<HealthSampler> {
  const { url, pid } = exp;
  await exp.turns();
  const child = fork(new URL('./healthz-child.ts', import.meta.url), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  raisePriority(child.pid);
  const rpc = await Rpc.ready(child, 'healthz sampler');
  await rpc.call('start', { url: `${url}/healthz`, pid, everyMs: EVERY_MS });
  let stopped: Promise<HealthReport> | undefined;
  return {
    stop() {
      stopped ??= rpc
        .call<HealthSample[]>('stop')
        .then(async (samples) => report(samples, await exp.turns()))
        .finally(() => child.kill());
      return stopped;
    },
  };
}

function report(samples: HealthSample[], turn: TurnReport): HealthReport {
  const ms = samples.map((s) => s.ms).sort((a, b) => a - b);
  const at = (q: number): number => (ms.length ? ms[Math.min(ms.length - 1, Math.floor(q * ms.length))]! : NaN);
  const slow = samples.filter((s) => s.error !== undefined || s.ms >= HEALTHZ_LIMIT_MS);
  const busy = (s: HealthSample): boolean => s.error !== undefined || s.cpuMs >= HEALTHZ_LIMIT_MS - TICK_SLACK_MS;
  return {
    samples: samples.length,
    maxMs: ms.at(-1) ?? NaN,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    bad: slow.filter(busy),
    excused: slow.filter((s) => !busy(s)),
    turn,
  };
}

const show = (s: HealthSample): string => `${Math.round(s.ms)} ms at +${(s.at / 1000).toFixed(1)} s (main thread on CPU ${Math.round(s.cpuMs)} ms)${s.error ? ` ${s.error}` : ''}`;

/** For progress notes: the distribution, and the slow samples the machine was blamed for. */
export function healthSummary(r: HealthReport): string {
  const excused = [...r.excused].sort((a, b) => b.ms - a.ms).slice(0, 3).map(show).join(', ');
  return `/healthz p50 ${r.p50Ms.toFixed(1)} ms, max ${r.maxMs.toFixed(0)} ms; longest turn ${turnText(r.turn)}${excused ? `; slow while the machine was busy: ${excused}` : ''}`;
}

const turnText = (t: TurnReport): string => `${t.maxMs.toFixed(0)} ms (${t.busyMaxMs.toFixed(0)} ms of it on a CPU)`;

/**
 * Undefined when /healthz was prompt throughout and no turn of the exporter's main thread spent
 * the limit on a CPU (a sample arriving then would have waited for it); else what was wrong.
 */
export function healthProblem(r: HealthReport, minSamples: number): string | undefined {
  const stats = `p50 ${r.p50Ms.toFixed(1)} ms, p99 ${r.p99Ms.toFixed(1)} ms, max ${r.maxMs.toFixed(0)} ms; ${r.excused.length} slow while the machine was busy; longest turn ${turnText(r.turn)}`;
  if (r.turn.busyMaxMs >= HEALTHZ_LIMIT_MS) return `a turn of the exporter's main thread took ${turnText(r.turn)}, past ${HEALTHZ_LIMIT_MS} ms (${stats})`;
  if (r.bad.length > 0) {
    const worst = [...r.bad].sort((a, b) => b.ms - a.ms).slice(0, 5);
    return `${r.bad.length} of ${r.samples} /healthz samples took >= ${HEALTHZ_LIMIT_MS} ms or failed while the exporter's event loop was busy (${stats}); worst: ${worst.map(show).join(', ')}`;
  }
  return r.samples < minSamples ? `only ${r.samples} /healthz samples (${stats})` : undefined;
}
