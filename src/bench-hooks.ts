// Benchmark instrumentation, off unless DFE_BENCH_ELD=1. Preloaded by bench/ with
// `node --import ./dist/src/bench-hooks.js dist/src/cli.js ...`, so nothing else calls it.
//
// It measures event-loop delay only while an HTTP request is being served (a scrape), which
// prom-client's lifetime histogram cannot show, and prints the numbers on SIGUSR2:
//   DFE_BENCH {"eld":{...},"mem":{...}}   (one line on stderr; the histogram then restarts)
import diagnostics from 'node:diagnostics_channel';
import { createHistogram, monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { isMainThread } from 'node:worker_threads';

/** Timer period of the monitor; each recorded value is one period plus the delay. */
const RESOLUTION_MS = 10;

export interface BenchReport {
  eld: { samples: number; p50Ms: number; p99Ms: number; maxMs: number; resolutionMs: number };
  mem: { rss: number; heapUsed: number; heapTotal: number; external: number; arrayBuffers: number };
}

function install(): void {
  // A fresh monitor per busy period, merged into `h` when it ends: a re-enabled monitor's first
  // sample would span the whole idle time since it was disabled.
  const h = createHistogram();
  let busy: IntervalHistogram | null = null;
  let inFlight = 0;
  diagnostics.subscribe('http.server.request.start', () => {
    if (inFlight++ > 0) return;
    busy = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
    busy.enable();
  });
  diagnostics.subscribe('http.server.response.finish', () => {
    if (--inFlight > 0 || !busy) return;
    busy.disable();
    if (busy.count > 0) h.add(busy);
    busy = null;
  });
  // The delay beyond the timer's own period, in ms.
  const delay = (ns: number): number => (h.count === 0 ? 0 : Math.max(0, ns / 1e6 - RESOLUTION_MS));
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
