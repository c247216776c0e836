import { mkdtempSync } from 'node:fs';
import { ExporterProcess } from './exporter.ts';
import { startFleet } from './fleet.ts';
import { memory } from '../test/support/proc.ts';
const hosts = Number(process.argv[2] ?? 50), per = Number(process.argv[3] ?? 40), threads = Number(process.argv[4] ?? 0);
const dir = mkdtempSync('/tmp/dfe-mem-');
const fleet = await startFleet({ dir, hosts, containersPerHost: per, procs: 2 });
const ex = await ExporterProcess.start({ label: 'mem', dir, hosts: fleet.hosts, threads, concurrency: Number(process.env.CONC ?? 64), events: process.env.EVENTS !== '0', exposeGc: true });
const mb = (b: number) => Math.round(b / 1e5) / 10;
for (let i = 0; i < 15; i++) {
  const s = await ex.scrape();
  if (i % 5 === 4) {
    const m = memory(ex.pid);
    console.log(`scrape ${i} ${Math.round(s.wallMs)} ms rss ${mb(m.rss)} peak ${mb(m.peakRss)}`);
  }
}
const r = await ex.report();
console.log(JSON.stringify({ mem: Object.fromEntries(Object.entries(r.mem).map(([k, v]) => [k, mb(v)])), spaces: Object.fromEntries(Object.entries(r.spaces).map(([k, v]) => [k, mb(v)])) }));
import { readFileSync } from 'node:fs';
console.log(readFileSync(`/proc/${ex.pid}/smaps_rollup`, 'utf8'));
const maps = readFileSync(`/proc/${ex.pid}/smaps`, 'utf8').split(/\n(?=[0-9a-f]+-[0-9a-f]+ )/);
const rows = maps.map((m) => ({ head: m.split('\n')[0]!, rss: Number(/\nRss:\s+(\d+)/.exec(m)?.[1] ?? 0) })).sort((a, b) => b.rss - a.rss).slice(0, 15);
for (const r of rows) console.log(r.rss, r.head);
await ex.stop(); await fleet.close();
