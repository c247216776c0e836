// Benchmark instrumentation, off unless DFE_BENCH_ELD=1. Preloaded by bench/ with
// `node --import ./dist/bench/bench-hooks.js dist/src/cli.js ...` (compiled with the exporter: see
// tsconfig.json), so nothing else calls it.
//
// It measures event-loop delay only while an HTTP request is being served (a scrape), which
// prom-client's lifetime histogram cannot show, and prints the numbers on SIGUSR2:
//   DFE_BENCH {"eld":{...},"mem":{...}}   (one line on stderr; the histogram then restarts)
import diagnostics from 'node:diagnostics_channel';
import { createHistogram } from 'node:perf_hooks';
import { isMainThread } from 'node:worker_threads';

/** Timer period of the delay probe. */
const RESOLUTION_MS = 10;

export interface BenchReport {
  eld: { samples: number; p50Ms: number; p99Ms: number; maxMs: number; resolutionMs: number };
  mem: { rss: number; heapUsed: number; heapTotal: number; external: number; arrayBuffers: number };
}

function install(): void {
  // monitorEventLoopDelay cannot pause: re-enabled, its first sample spans the whole idle time
  // since it was disabled. So the same measurement by hand: a timer that runs only while a
  // request is in flight and records how late each tick fires.
  const h = createHistogram();
  let timer: NodeJS.Timeout | null = null;
  let last = 0;
  let inFlight = 0;
  const tick = (): void => {
    const now = performance.now();
    h.record(Math.max(1, Math.round((now - last - RESOLUTION_MS) * 1e6)));
    last = now;
  };
  diagnostics.subscribe('http.server.request.start', () => {
    if (inFlight++ > 0) return;
    last = performance.now();
    timer = setInterval(tick, RESOLUTION_MS);
  });
  diagnostics.subscribe('http.server.response.finish', () => {
    if (--inFlight > 0 || !timer) return;
    // a tick overdue right now (the loop was blocked until the response) still counts
    if (performance.now() - last > RESOLUTION_MS) tick();
    clearInterval(timer);
    timer = null;
  });
  const delay = (ns: number): number => (h.count === 0 ? 0 : ns / 1e6);
  process.on('SIGUSR2', () => {
    // --expose-gc (churn runs): measure the live heap, not garbage awaiting collection.
    const gc = (globalThis as { gc?: () => void }).gc;
    if (gc) gc();
    const m = process.memoryUsage();
    const report: BenchReport = {
      eld: { samples: h.count, p50Ms: delay(h.percentile(50)), p99Ms: delay(h.percentile(99)), maxMs: delay(h.max), resolutionMs: RESOLUTION_MS },
      mem: { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers },
    };
    h.reset();
    process.stderr.write(`DFE_BENCH ${JSON.stringify(report)}\n`);
  });
}

// Worker threads inherit --import; only the main thread serves scrapes.
if (isMainThread && process.env.DFE_BENCH_ELD === '1') install();
