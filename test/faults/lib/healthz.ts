// /healthz latency sampled in parallel with a test (healthz-child.ts), and its verdict.
//
// On a machine shared with other work, any process can miss 100 ms now and then because the
// kernel ran something else (measured here with other test suites running: a bare node:http
// server in its own process answered in 100-400 ms at times, load average 10 on 2 cores). So
// each sample also times a control server (control-server.ts) at the same moment: a slow
// /healthz counts against the exporter only when the control answered promptly. On a quiet
// machine (CI) the control is always prompt and every sample counts. The exporter, sampler and
// control also run at a higher priority than the rest (NICE below).
import { fork } from 'node:child_process';
import { setPriority } from 'node:os';
import { Rpc } from '../../support/ipc.ts';
import type { HealthSample } from './healthz-child.ts';

/** The issue's number: /healthz answers in under 100 ms throughout. */
export const HEALTHZ_LIMIT_MS = 100;
/** The control answering slower than this means the machine itself was busy at that moment. */
const CONTROL_PROMPT_MS = 50;
/** A sample every 100 ms: 10 new connections a second, enough to see a stall of the event loop. */
const EVERY_MS = 100;
/** Fewer judged samples than this fraction: the machine was too busy for a verdict. */
const MIN_JUDGED = 0.5;

/**
 * The exporter, the sampler and the control run at this nice value (root only; else as they
 * are): what is measured is then the exporter's own event loop, not other work on the machine
 * (other test suites, the test's own clients, the fake daemons all stay at 0).
 */
const NICE = -10;

export function raisePriority(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    setPriority(pid, NICE);
  } catch {
    /* not root: measured at normal priority, the control still tells a busy machine */
  }
}

export interface HealthReport {
  samples: number;
  maxMs: number;
  p50Ms: number;
  p99Ms: number;
  /** slow or failed while the control was prompt: the exporter's fault. Empty when healthy. */
  bad: HealthSample[];
  /** slow while the control was slow too: not judged */
  excused: HealthSample[];
}

export interface HealthSampler {
  stop(): Promise<HealthReport>;
}

function forkReady(file: string, label: string): Promise<{ rpc: Rpc; port: number }> {
  const child = fork(new URL(file, import.meta.url), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  raisePriority(child.pid);
  return new Promise((resolve, reject) => {
    child.once('message', (m: unknown) => resolve({ rpc: new Rpc(child, label), port: (m as { port?: number }).port ?? 0 }));
    child.once('exit', (code) => reject(new Error(`${label} exited (${code}) before it was ready`)));
  });
}

export async function sampleHealthz(url: string): Promise<HealthSampler> {
  const [sampler, control] = await Promise.all([forkReady('./healthz-child.ts', 'healthz sampler'), forkReady('./control-server.ts', 'control server')]);
  await sampler.rpc.call('start', { url: `${url}/healthz`, controlUrl: `http://127.0.0.1:${control.port}/`, everyMs: EVERY_MS });
  let stopped: Promise<HealthReport> | undefined;
  return {
    stop() {
      stopped ??= sampler.rpc
        .call<HealthSample[]>('stop')
        .then(report)
        .finally(() => {
          sampler.rpc.child.kill();
          control.rpc.child.kill();
        });
      return stopped;
    },
  };
}

function report(samples: HealthSample[]): HealthReport {
  const ms = samples.map((s) => s.ms).sort((a, b) => a - b);
  const at = (q: number): number => (ms.length ? ms[Math.min(ms.length - 1, Math.floor(q * ms.length))]! : NaN);
  const slow = samples.filter((s) => s.error !== undefined || s.ms >= HEALTHZ_LIMIT_MS);
  return {
    samples: samples.length,
    maxMs: ms.at(-1) ?? NaN,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    bad: slow.filter((s) => s.error !== undefined || s.controlMs < CONTROL_PROMPT_MS),
    excused: slow.filter((s) => s.error === undefined && s.controlMs >= CONTROL_PROMPT_MS),
  };
}

const show = (s: HealthSample): string => `${Math.round(s.ms)} ms at +${(s.at / 1000).toFixed(1)} s (control ${Math.round(s.controlMs)} ms)${s.error ? ` ${s.error}` : ''}`;

/** Undefined when /healthz was prompt throughout; else what was wrong, with the worst samples. */
export function healthProblem(r: HealthReport, minSamples: number): string | undefined {
  const stats = `p50 ${r.p50Ms.toFixed(1)} ms, p99 ${r.p99Ms.toFixed(1)} ms, max ${r.maxMs.toFixed(0)} ms`;
  if (r.samples < minSamples) return `only ${r.samples} /healthz samples (${stats})`;
  if (r.bad.length) {
    const worst = [...r.bad].sort((a, b) => b.ms - a.ms).slice(0, 5);
    return `${r.bad.length} of ${r.samples} /healthz samples took >= ${HEALTHZ_LIMIT_MS} ms or failed while a bare node server answered in under ${CONTROL_PROMPT_MS} ms (${stats}); worst: ${worst.map(show).join(', ')}`;
  }
  if (r.samples - r.excused.length < r.samples * MIN_JUDGED) {
    return `the machine was too busy to judge: in ${r.excused.length} of ${r.samples} samples a bare node server took >= ${CONTROL_PROMPT_MS} ms too (${stats})`;
  }
  return undefined;
}
