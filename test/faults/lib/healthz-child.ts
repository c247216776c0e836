// A child process asking the exporter's /healthz on a fixed period, on a new connection each
// time as a health checker does, and timing each answer, together with the same request to a
// control server. Out of the test process so that the test's own work (parsing big
// expositions, driving hundreds of sockets) never shows up as a slow /healthz.
import { get } from 'node:http';
import { serve } from '../../support/ipc.ts';

export interface HealthSample {
  /** ms since sampling started */
  at: number;
  /** ms from request to the complete answer */
  ms: number;
  /** set when there was no 200 "ok" answer */
  error?: string;
  /** the same request to the control server (control-server.ts), sent at the same moment */
  controlMs: number;
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

async function timed(url: string): Promise<{ ms: number; error?: string }> {
  const start = performance.now();
  const error = await once(url, 30_000);
  return error === undefined ? { ms: performance.now() - start } : { ms: performance.now() - start, error };
}

async function sample(url: string, controlUrl: string, everyMs: number): Promise<void> {
  const t0 = performance.now();
  while (running) {
    const start = performance.now();
    const [exporter, control] = await Promise.all([timed(url), timed(controlUrl)]);
    samples.push({ at: start - t0, ...exporter, controlMs: control.ms });
    const wait = everyMs - (performance.now() - start);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
}

serve({
  start(arg) {
    const { url, controlUrl, everyMs } = arg as { url: string; controlUrl: string; everyMs: number };
    running = true;
    samples = [];
    loop = sample(url, controlUrl, everyMs);
  },
  async stop(): Promise<HealthSample[]> {
    running = false;
    await loop;
    return samples;
  },
});
process.send?.({ ready: true });
