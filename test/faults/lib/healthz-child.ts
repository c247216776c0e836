// A child process asking the exporter's /healthz on a fixed period, on a new connection each
// time as a health checker does, timing each answer and the CPU time the exporter's main
// thread spent meanwhile. Out of the test process so that the test's own work (parsing big
// expositions, driving hundreds of sockets) never shows up as a slow /healthz.
import { get } from 'node:http';
import { mainThreadCpuMs } from '../../support/proc.ts';
import { serve } from '../../support/ipc.ts';

export interface HealthSample {
  /** ms since sampling started */
  at: number;
  /** ms from request to the complete answer */
  ms: number;
  /** CPU ms of the exporter's main thread (its event loop) from request to answer */
  cpuMs: number;
  /** set when there was no 200 "ok" answer */
  error?: string;
}

let running = false;
let samples: HealthSample[] = [];
let loop: Promise<void> = Promise.resolve();

function once(url: string, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = get(url, { agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve(res.statusCode === 200 && body === 'ok\n' ? undefined : `HTTP ${res.statusCode}: ${body.slice(0, 80)}`));
      res.on('error', (err) => resolve(err.message));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
    req.on('error', (err) => resolve(err.message));
  });
}

async function sample(url: string, pid: number, everyMs: number): Promise<void> {
  const cpu = (): number => {
    try {
      return mainThreadCpuMs(pid);
    } catch {
      return NaN; // the exporter is gone: the request fails too, and that is what counts
    }
  };
  const t0 = performance.now();
  while (running) {
    const start = performance.now();
    const cpu0 = cpu();
    const error = await once(url, 30_000);
    const s: HealthSample = { at: start - t0, ms: performance.now() - start, cpuMs: cpu() - cpu0 };
    if (error !== undefined) s.error = error;
    samples.push(s);
    const wait = everyMs - (performance.now() - start);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
}

serve({
  start(arg) {
    const { url, pid, everyMs } = arg as { url: string; pid: number; everyMs: number };
    running = true;
    samples = [];
    loop = sample(url, pid, everyMs);
  },
  async stop(): Promise<HealthSample[]> {
    running = false;
    await loop;
    return samples;
  },
});
process.send?.({ ready: true });
