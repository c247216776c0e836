// /healthz latency sampled in parallel with a test (healthz-child.ts), and its verdict.
import { fork } from 'node:child_process';
import { Rpc } from '../../support/ipc.ts';
import type { HealthSample } from './healthz-child.ts';

/** The issue's number: /healthz answers in under 100 ms throughout. */
export const HEALTHZ_LIMIT_MS = 100;
/** A sample every 100 ms: 10 new connections a second, enough to see a stall of the event loop. */
const EVERY_MS = 100;

export interface HealthReport {
  samples: number;
  maxMs: number;
  p50Ms: number;
  p99Ms: number;
  /** samples at or over the limit, or failed: empty when healthy */
  bad: HealthSample[];
}

export interface HealthSampler {
  stop(): Promise<HealthReport>;
}

export async function sampleHealthz(url: string): Promise<HealthSampler> {
  const child = fork(new URL('./healthz-child.ts', import.meta.url), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const rpc = await Rpc.ready(child, 'healthz sampler');
  await rpc.call('start', { url: `${url}/healthz`, everyMs: EVERY_MS });
  let stopped: Promise<HealthReport> | undefined;
  return {
    stop() {
      stopped ??= rpc.call<HealthSample[]>('stop').then(report).finally(() => child.kill());
      return stopped;
    },
  };
}

function report(samples: HealthSample[]): HealthReport {
  const ms = samples.map((s) => s.ms).sort((a, b) => a - b);
  const at = (q: number): number => (ms.length ? ms[Math.min(ms.length - 1, Math.floor(q * ms.length))]! : NaN);
  return {
    samples: samples.length,
    maxMs: ms.at(-1) ?? NaN,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    bad: samples.filter((s) => s.error !== undefined || s.ms >= HEALTHZ_LIMIT_MS),
  };
}

/** One line for a failure message: how many were slow, the worst, when. */
export function describeHealth(r: HealthReport): string {
  const worst = [...r.bad].sort((a, b) => b.ms - a.ms).slice(0, 5);
  const shown = worst.map((s) => `${Math.round(s.ms)} ms at +${(s.at / 1000).toFixed(1)} s${s.error ? ` (${s.error})` : ''}`).join(', ');
  return `${r.bad.length} of ${r.samples} /healthz samples took >= ${HEALTHZ_LIMIT_MS} ms or failed (p50 ${r.p50Ms.toFixed(1)} ms, p99 ${r.p99Ms.toFixed(1)} ms, max ${r.maxMs.toFixed(0)} ms); worst: ${shown}`;
}
