// What gzip costs and saves per scrape, end to end: the exporter as shipped (dist/, a child
// process) against the benchmark's simulated fleet, scraped in turns with and without
// "Accept-Encoding: gzip" (as Prometheus asks). Per scrape: wall time, the exporter's CPU (every
// thread, from /proc in 10 ms ticks, so a mean over many scrapes; zlib runs on libuv's pool),
// and the bytes that crossed the socket.
//   node --import tsx bench/gzip-scrape.ts [S|M] [scrapes=20]
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { cpuMicros } from '../test/support/proc.ts';
import { ExporterProcess } from './exporter.ts';
import { startFleet } from './fleet.ts';
import { percentile, round } from './stats.ts';

const LOADS = { S: { hosts: 1, perHost: 50 }, M: { hosts: 50, perHost: 40 } } as const;
const load = (process.argv[2] ?? 'S') as keyof typeof LOADS;
const scrapes = Number(process.argv[3] ?? 20);
const { hosts, perHost } = LOADS[load];

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
function get(port: number, gzip: boolean): Promise<{ wire: number; body: Buffer; encoding?: string }> {
  return new Promise((resolve, reject) => {
    const headers = gzip ? { 'accept-encoding': 'gzip' } : {};
    http
      .get({ host: '127.0.0.1', port, path: '/metrics', agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const raw = Buffer.concat(chunks);
          const encoding = res.headers['content-encoding'];
          resolve({ wire: raw.length, body: encoding === 'gzip' ? gunzipSync(raw) : raw, ...(encoding === undefined ? {} : { encoding }) });
        });
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

const dir = mkdtempSync(join(os.tmpdir(), 'dfe-gzip-scrape-'));
const fleet = await startFleet({ dir, hosts, containersPerHost: perHost, procs: 2 });
const ex = await ExporterProcess.start({ label: `gzip-${load}`, dir, hosts: fleet.hosts, concurrency: 64 });
try {
  for (let i = 0; i < 3; i++) await get(ex.port, i % 2 === 0); // warm up
  const rows = { plain: { wall: [] as number[], cpu: [] as number[], wire: 0, body: 0 }, gzip: { wall: [] as number[], cpu: [] as number[], wire: 0, body: 0 } };
  for (let i = 0; i < scrapes * 2; i++) {
    const gzip = i % 2 === 1;
    const row = gzip ? rows.gzip : rows.plain;
    const c0 = cpuMicros(ex.pid);
    const t0 = performance.now();
    const r = await get(ex.port, gzip);
    row.wall.push(performance.now() - t0);
    // the response is complete when the client has it all; libuv's pool may still be finishing: let it
    await new Promise((res) => setTimeout(res, 50));
    row.cpu.push((cpuMicros(ex.pid) - c0) / 1000);
    if (gzip !== (r.encoding === 'gzip')) throw new Error(`asked gzip=${gzip}, got content-encoding ${r.encoding}`);
    row.wire = r.wire;
    row.body = r.body.length;
  }
  console.log(`${load}: ${hosts} host(s) x ${perHost} containers, ${scrapes} scrapes each way, alternating`);
  console.log('| load | Accept-Encoding | scrape p50 ms | exporter CPU ms / scrape (mean) | bytes on the wire | body bytes |');
  console.log('|---|---|---|---|---|---|');
  for (const [name, r] of Object.entries(rows)) {
    console.log(`| ${load} | ${name === 'gzip' ? 'gzip' : 'none'} | ${round(percentile(r.wall, 50))} | ${round(r.cpu.reduce((a, b) => a + b, 0) / r.cpu.length)} | ${r.wire} | ${r.body} |`);
  }
} finally {
  agent.destroy();
  await ex.stop();
  await fleet.close();
  rmSync(dir, { recursive: true, force: true });
}
