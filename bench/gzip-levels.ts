// Which gzip level the endpoint uses: CPU against bytes on real /metrics bodies of a simulated
// fleet (the benchmark's fake daemons, exporter as a child process), compressed here with
// zlib's gzip at each level. CPU is this process's user+system time per compression; the bodies
// are compressed in the 256 KiB pieces the server writes them in, with the server's chunkSize.
//   node --import tsx bench/gzip-levels.ts [hosts=50] [perHost=40] [rounds=5]
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { constants, createGzip, gunzipSync } from 'node:zlib';
import { GZIP_CHUNK_BYTES } from '../src/http/compression.ts';
import { ExporterProcess } from './exporter.ts';
import { startFleet } from './fleet.ts';
import { percentile, round } from './stats.ts';

const [hosts = 50, perHost = 40, rounds = 5] = process.argv.slice(2).map(Number);
const LEVELS = [1, 2, 3, 4, 5, 6, 9];
const PIECE = 256 * 1024;

async function gzip(body: Buffer, level: number): Promise<{ bytes: number; cpuMs: number; out: Buffer }> {
  const c0 = process.cpuUsage();
  const z = createGzip({ level, chunkSize: GZIP_CHUNK_BYTES, flush: constants.Z_NO_FLUSH });
  const out: Buffer[] = [];
  z.on('data', (c: Buffer) => out.push(c));
  const done = new Promise((r) => z.once('end', r));
  for (let i = 0; i < body.length; i += PIECE) {
    if (!z.write(body.subarray(i, i + PIECE))) await new Promise((r) => z.once('drain', r));
  }
  z.end();
  await done;
  const c = process.cpuUsage(c0);
  const all = Buffer.concat(out);
  return { bytes: all.length, cpuMs: (c.user + c.system) / 1000, out: all };
}

const dir = mkdtempSync(join(os.tmpdir(), 'dfe-gzip-'));
const fleet = await startFleet({ dir, hosts, containersPerHost: perHost, procs: Math.max(2, Math.ceil(hosts / 50)) });
const ex = await ExporterProcess.start({ label: 'gzip', dir, hosts: fleet.hosts, concurrency: 64 });
try {
  await ex.scrape(); // first scrape: counters settle
  const bodies = [];
  for (let i = 0; i < 3; i++) bodies.push((await ex.scrape()).body);
  const plain = bodies[0]!.length;
  console.log(`${hosts} hosts x ${perHost} containers: body ${(plain / 1e6).toFixed(2)} MB`);
  console.log('| level | bytes | ratio | CPU ms p50 | CPU ms min | MB/s of body per core |');
  console.log('|---|---|---|---|---|---|');
  for (const level of LEVELS) {
    const cpu: number[] = [];
    let bytes = 0;
    for (let r = 0; r < rounds; r++) {
      const body = bodies[r % bodies.length]!;
      const z = await gzip(body, level);
      if (!gunzipSync(z.out).equals(body)) throw new Error(`level ${level}: round trip differs`);
      cpu.push(z.cpuMs);
      bytes = z.bytes;
    }
    const p50 = percentile(cpu, 50);
    console.log(`| ${level} | ${bytes} | ${round(plain / bytes, 1)} | ${round(p50)} | ${round(Math.min(...cpu))} | ${round(plain / 1e6 / (p50 / 1000))} |`);
  }
} finally {
  await ex.stop();
  await fleet.close();
  rmSync(dir, { recursive: true, force: true });
}
