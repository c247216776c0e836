// `npm run bench -- --quick`: the performance regression guard CI runs after `npm test`.
// S and a small M against the simulated fleet, the exporter (pool default and
// pool.threads=0) next to the floor in the same run, ~1-2 minutes. It fails when a CPU ratio
// or a peak RSS passes its limit: the target where the code meets it, otherwise what this code
// measured, plus the run-to-run spread measured on the 2-core development box (see
// docs/performance.md, "Regression guard"): a real regression, not noise, trips it.
import type { WorkloadResult } from './types.ts';

/** Smaller than the full run: M with 25 hosts (1,000 containers) instead of 50. */
export const QUICK = {
  S: { hosts: 1, perHost: 50, scrapes: 120 },
  M: { hosts: 25, perHost: 40, scrapes: 20 },
} as const;

interface Limit {
  /** CPU per container-scrape, x the floor's in the same run */
  cpuRatio: number;
  /** peak RSS, MB */
  rssMb: number;
}

/**
 * Per workload and variant, on the CPU ratio (the median of the run's four quarters): between
 * the highest of the runs in docs/performance.md ("Regression guard", quiet and with one core
 * kept busy by `yes`) and the lowest of a copy that spends 80 us more per Engine API request,
 * which must fail. Peak RSS: the highest run + about 15 MB. S has no CPU target of its own
 * (50 containers: the exporter's fixed costs per scrape weigh more than at M).
 */
export const QUICK_LIMITS: Record<'S' | 'M', { pool: Limit; mainThread: Limit }> = {
  S: { pool: { cpuRatio: 3.05, rssMb: 180 }, mainThread: { cpuRatio: 3.0, rssMb: 140 } },
  M: { pool: { cpuRatio: 2.4, rssMb: 260 }, mainThread: { cpuRatio: 2.25, rssMb: 230 } },
};

export function checkQuick(results: readonly WorkloadResult[]): { failed: boolean; report: string[] } {
  const report: string[] = [];
  let failed = false;
  for (const r of results) {
    if (r.workload !== 'S' && r.workload !== 'M') continue;
    const limits = QUICK_LIMITS[r.workload];
    for (const key of ['pool', 'mainThread'] as const) {
      const v = r.exporter[key];
      const lim = limits[key];
      const cpu = r.ratios[key].cpuBlocks ?? r.ratios[key].cpu;
      const okCpu = cpu <= lim.cpuRatio;
      const okRss = v.peakRssMb <= lim.rssMb;
      failed ||= !okCpu || !okRss;
      report.push(
        `quick ${r.workload} (${r.hosts} x ${r.containersPerHost}) ${key === 'pool' ? `pool ${v.threads}` : 'pool.threads=0'}: ` +
          `CPU ${v.cpuUsPerContainer} us = ${r.ratios[key].cpu} x floor, quarters' median ${cpu} (limit ${lim.cpuRatio}) ${okCpu ? 'ok' : 'FAIL'}; ` +
          `peak RSS ${v.peakRssMb} MB (limit ${lim.rssMb}) ${okRss ? 'ok' : 'FAIL'}`,
      );
    }
  }
  return { failed, report };
}
