// In-process micro-benchmark of the exposition alone: M- or L-sized host snapshots rendered
// and encoded as the HTTP server sends them; CPU ms per render (wall time drifts on a shared
// machine). Isolates rendering from I/O when profiling:
//   node --import tsx bench/render.ts [hosts=50] [perHost=40] [rounds=20] [disk=1]
// disk=1: every host has disk figures (a /system/df result: every container sized, 2 volumes each).
import { MetricsRenderer } from '../src/metrics/renderer.ts';
import type { ContainerDisk, ContainerSnapshot, DiskSnapshot, HostSnapshot } from '../src/model.ts';
import { newHistogram } from '../src/util/histogram.ts';
import { F, FIELD_COUNT } from '../src/stats/layout.ts';
import { sampleContainers } from '../test/support/stats-bodies.ts';
import { percentile, round } from './stats.ts';

const [hosts = 50, perHost = 40, rounds = 20, disk = 1] = process.argv.slice(2).map(Number);

function diskOf(containers: ContainerSnapshot[]): DiskSnapshot {
  const sized = new Map<string, ContainerDisk>(containers.map((c, i) => [c.ident.id, { rwBytes: 4096 + i * 1e6, rootFsBytes: 5e7 + i * 1e6, volumes: [`${c.ident.name}-data`, `${c.ident.name}-logs`] }]));
  const volumes = new Map(containers.flatMap((c, i) => [[`${c.ident.name}-data`, i * 1e6], [`${c.ident.name}-logs`, 1e5]] as const));
  const totals = (n: number) => ({ count: n, sizeBytes: n * 1e6, reclaimableBytes: n * 1e5 });
  return {
    usage: { totals: { images: totals(5), containers: totals(containers.length), volumes: totals(volumes.size), build_cache: totals(0) }, danglingImages: 1, containers: sized, volumes, dropped: { containers: 0, volumes: 0, mounts: 0 } },
    ageSeconds: 42,
    failures: 0,
    volumes: [...volumes].sort((a, b) => b[1] - a[1]).slice(0, 100),
  };
}

function snapshot(h: number): HostSnapshot {
  const containers: ContainerSnapshot[] = sampleContainers(perHost, { seed: h + 1, allRunning: true }).map((c, i) => {
    const values = new Float64Array(FIELD_COUNT).fill(NaN);
    for (let f = 0; f < FIELD_COUNT; f++) values[f] = Math.floor(Math.random() * 1e12);
    values[F.memFailcnt] = h % 2 ? 0 : NaN;
    const net = { iface: 'eth0', rxBytes: 1e9 + i, rxPackets: 1e6, rxErrors: 0, rxDropped: 0, txBytes: 2e9, txPackets: 2e6, txErrors: 0, txDropped: 0 };
    return {
      ident: { id: c.id!, name: c.name!, image: c.image!, imageId: `sha256:${c.id}`, labels: c.labels as Record<string, string> },
      state: 'running',
      inspect: { restartCount: 0, startedAt: 1.7e9 + i, finishedAt: NaN, exitCode: 0, oomKilled: false, health: i % 3 ? undefined : 'healthy', restartPolicy: 'no', limits: { memoryBytes: NaN, memoryReservationBytes: NaN, memorySwapBytes: NaN, cpuQuota: NaN, cpuPeriod: 100000, cpuShares: 1024, pids: NaN, cpusetCpus: NaN } },
      stats: { values, networks: [net] },
      lastSeen: 1.8e9,
    };
  });
  const counters = { listFailed: 0, containerFailed: new Map<string, { name: string; count: number }>(), droppedInterfaces: 0, inlineTimeouts: 0, lateProbes: 0, probeDuration: newHistogram(), listDuration: newHistogram(), inspectDuration: newHistogram(), statsDuration: newHistogram() };
  const snap: HostSnapshot = { host: `h${String(h).padStart(3, '0')}`, labels: {}, up: true, info: null, containers, snapshotAgeSeconds: 0, containerCount: perHost, lastSuccess: 1.8e9, lastDurationSeconds: 0.5, counters };
  return disk ? { ...snap, disk: diskOf(containers) } : snap;
}

const snaps = Array.from({ length: hosts }, (_, h) => snapshot(h));
const renderer = new MetricsRenderer(['docker_exporter', 'cadvisor', 'state'], ['com.docker.compose.project', 'com.docker.compose.service'], 'bench');
const times: number[] = [];
let bytes = 0;
for (let r = 0; r < rounds; r++) {
  const c0 = process.cpuUsage();
  const chunks = await renderer.renderBody(snaps, true);
  const c = process.cpuUsage(c0);
  times.push((c.user + c.system) / 1000);
  bytes = chunks.reduce((n, c) => n + c.length, 0);
}
const cpu = process.cpuUsage();
console.log(JSON.stringify({ hosts, perHost, disk, bytes, p50Ms: round(percentile(times, 50)), minMs: round(Math.min(...times)), usPerContainer: round((percentile(times, 50) * 1000) / (hosts * perHost)), cpuS: round((cpu.user + cpu.system) / 1e6, 2) }));
