// Benchmark instrumentation, off unless DFE_BENCH_ELD is set. Preloaded by bench/ and the fault
// suite with `node --import ./dist/bench/bench-hooks.js dist/src/cli.js ...` (compiled with the
// exporter: see tsconfig.json), so nothing else calls it.
//
// It measures how late a 10 ms timer fires, which is how long the main thread's longest turn
// kept it waiting (a turn of T ms shows as T - 10 to T): DFE_BENCH_ELD=1 only while an HTTP
// request is being served (a scrape), which prom-client's lifetime histogram cannot show;
// DFE_BENCH_ELD=always from start to end. SIGUSR2 prints the numbers:
//   DFE_BENCH {"eld":{...},"mem":{...}}   (one line on stderr; the histogram then restarts)
import diagnostics from 'node:diagnostics_channel';
import { createHistogram } from 'node:perf_hooks';
import { getHeapSpaceStatistics } from 'node:v8';
import { isMainThread } from 'node:worker_threads';

/** Timer period of the delay probe. */
const RESOLUTION_MS = 10;

export interface BenchReport {
  eld: {
    samples: number;
    p50Ms: number;
    p99Ms: number;
    maxMs: number;
    /**
     * DFE_BENCH_ELD=always only (else 0): the latest tick whose lateness the process spent on a CPU (every thread's time, so with
     * worker threads this excuses less): a late tick the process spent waiting for a core is
     * the machine's, not a long turn.
     */
    busyMaxMs: number;
    resolutionMs: number;
  };
  mem: { rss: number; heapUsed: number; heapTotal: number; external: number; arrayBuffers: number };
  /** V8's heap spaces, bytes committed (what RSS sees of each) */
  spaces: Record<string, number>;
}

function install(always: boolean): void {
  // monitorEventLoopDelay cannot pause: re-enabled, its first sample spans the whole idle time
  // since it was disabled. So the same measurement by hand: a timer that records how late each
  // tick fires.
  const h = createHistogram();
  let busyMax = 0;
  let timer: NodeJS.Timeout | null = null;
  let last = 0;
  let lastCpu = 0;
  let inFlight = 0;
  // process.cpuUsage() costs ~50 us a call here: only the fault suite's mode pays for it
  const cpuMs = (): number => {
    if (!always) return 0;
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  const tick = (): void => {
    const now = performance.now();
    const cpu = cpuMs();
    const lateMs = now - last - RESOLUTION_MS;
    h.record(Math.max(1, Math.round(lateMs * 1e6)));
    // the kernel counts CPU time in 4-10 ms ticks: a margin of one
    if (always && lateMs > busyMax && cpu - lastCpu >= lateMs - RESOLUTION_MS) busyMax = lateMs;
    last = now;
    lastCpu = cpu;
  };
  const start = (): NodeJS.Timeout => {
    last = performance.now();
    lastCpu = cpuMs();
    return setInterval(tick, RESOLUTION_MS);
  };
  if (always) start().unref();
  else {
    diagnostics.subscribe('http.server.request.start', () => {
      if (inFlight++ === 0) timer = start();
    });
    diagnostics.subscribe('http.server.response.finish', () => {
      if (--inFlight > 0 || !timer) return;
      // a tick overdue right now (the loop was blocked until the response) still counts
      if (performance.now() - last > RESOLUTION_MS) tick();
      clearInterval(timer);
      timer = null;
    });
  }
  const delay = (ns: number): number => (h.count === 0 ? 0 : ns / 1e6);
  process.on('SIGUSR2', () => {
    // --expose-gc (churn runs): measure the live heap, not garbage awaiting collection.
    const gc = (globalThis as { gc?: () => void }).gc;
    if (gc) gc();
    const m = process.memoryUsage();
    const report: BenchReport = {
      eld: { samples: h.count, p50Ms: delay(h.percentile(50)), p99Ms: delay(h.percentile(99)), maxMs: delay(h.max), busyMaxMs: busyMax, resolutionMs: RESOLUTION_MS },
      mem: { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers },
      spaces: Object.fromEntries(getHeapSpaceStatistics().map((s) => [s.space_name, s.physical_space_size])),
    };
    h.reset();
    busyMax = 0;
    process.stderr.write(`DFE_BENCH ${JSON.stringify(report)}\n`);
  });
}

// Worker threads inherit --import; only the main thread serves scrapes.
const mode = process.env.DFE_BENCH_ELD;
if (isMainThread && (mode === '1' || mode === 'always')) install(mode === 'always');
