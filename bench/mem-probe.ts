// Where an exporter's memory sits after some scrapes of a simulated fleet: peak RSS, the live
// heap after a GC, V8's spaces, and the process's largest mappings (the node binary, malloc's
// heap, V8's pages).
//   node --import tsx bench/mem-probe.ts [hosts=50] [containers per host=40] [pool.threads=0]
// DFE_BENCH_NODE_ARGS (bench/exporter.ts) tries node flags, e.g. --max-semi-space-size=4.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { memory } from '../test/support/proc.ts';
import { ExporterProcess } from './exporter.ts';
import { startFleet } from './fleet.ts';
import { mb } from './stats.ts';

const [hosts = 50, perHost = 40, threads = 0] = process.argv.slice(2).map(Number);
const SCRAPES = 15;

const dir = mkdtempSync(join(os.tmpdir(), 'dfe-mem-'));
const fleet = await startFleet({ dir, hosts, containersPerHost: perHost, procs: Math.max(2, Math.ceil(hosts / 50)) });
const ex = await ExporterProcess.start({ label: 'mem', dir, hosts: fleet.hosts, threads, concurrency: 64, exposeGc: true });
try {
  for (let i = 1; i <= SCRAPES; i++) {
    const s = await ex.scrape();
    if (i % 5 === 0) {
      const m = memory(ex.pid);
      console.log(`scrape ${i}: ${Math.round(s.wallMs)} ms, RSS ${mb(m.rss)} MB, peak ${mb(m.peakRss)} MB`);
    }
  }
  const r = await ex.report();
  const inMb = (o: Record<string, number>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, mb(v)]));
  console.log('after a GC, MB:', JSON.stringify(inMb(r.mem)));
  console.log('V8 spaces committed, MB:', JSON.stringify(inMb(r.spaces)));
  const maps = readFileSync(`/proc/${ex.pid}/smaps`, 'utf8').split(/\n(?=[0-9a-f]+-[0-9a-f]+ )/);
  const rss = (m: string): number => Number(/\nRss:\s+(\d+)/.exec(m)?.[1] ?? 0);
  console.log('largest mappings, kB of RSS:');
  for (const m of maps.sort((a, b) => rss(b) - rss(a)).slice(0, 8)) console.log(`  ${rss(m)}  ${m.split('\n')[0]}`);
} finally {
  await ex.stop();
  await fleet.close();
  rmSync(dir, { recursive: true, force: true });
}
