// The peer baseline: a cycle shaped like the conventional Node Docker exporter
// (docker_stats_exporter): dockerode lists the running containers, fetches every one's stats
// (stream=false, not one-shot: the CPU percent needs precpu_stats) in parallel, sets eight
// prom-client gauges per container and renders its registry. Runs in its own process so its
// CPU can be read from /proc like the exporter's; one cycle per `scrape` command.
import Docker from 'dockerode';
import { Gauge, Registry } from 'prom-client';
import { serve } from '../test/support/ipc.ts';

export interface PeerSpec {
  socketPath: string;
}

export interface PeerCycle {
  wallMs: number;
  /** stats bodies fetched */
  containers: number;
  /** the exposition, as a scrape would receive it */
  body: string;
}

/** What the cycle reads of a stats body; the daemon leaves out networks (--network none) and blkio entries (cgroup v2, idle). */
interface StatsBody {
  id?: string;
  name?: string;
  cpu_stats?: CpuStats;
  precpu_stats?: CpuStats;
  memory_stats?: { usage?: number; limit?: number };
  networks?: Record<string, { rx_bytes?: number; tx_bytes?: number }>;
  blkio_stats?: { io_service_bytes_recursive?: { op?: string; value?: number }[] | null };
}

interface CpuStats {
  cpu_usage?: { total_usage?: number; percpu_usage?: number[] };
  system_cpu_usage?: number;
  online_cpus?: number;
}

const spec = JSON.parse(process.argv[2] ?? '{}') as PeerSpec;
const docker = new Docker({ socketPath: spec.socketPath });
// its own registry: no default (process) metrics, as the exporter's families are compared
const registry = new Registry();
const gauge = (name: string, help: string) => new Gauge({ name: `dockerstats_${name}`, help, labelNames: ['name', 'id'] as const, registers: [registry] });
const cpuPercent = gauge('cpu_usage_ratio', 'CPU usage percentage 0-100');
const memUsage = gauge('memory_usage_bytes', 'Memory usage in bytes');
const memLimit = gauge('memory_limit_bytes', 'Memory limit in bytes');
const memPercent = gauge('memory_usage_ratio', 'Memory usage percentage 0-100');
const netRx = gauge('network_received_bytes', 'Network received in bytes');
const netTx = gauge('network_transmitted_bytes', 'Network transmitted in bytes');
const blkRead = gauge('blockio_read_bytes', 'Block IO read in bytes');
const blkWrite = gauge('blockio_written_bytes', 'Block IO written in bytes');

const round2 = (x: number): number => Math.round(x * 100) / 100;

function record(s: StatsBody): void {
  const labels = { name: (s.name ?? '').replace(/^\//, ''), id: (s.id ?? '').slice(0, 12) };
  const cpu = s.cpu_stats;
  const pre = s.precpu_stats;
  const cpuDelta = (cpu?.cpu_usage?.total_usage ?? 0) - (pre?.cpu_usage?.total_usage ?? 0);
  let systemDelta = (cpu?.system_cpu_usage ?? 0) - (pre?.system_cpu_usage ?? 0);
  if (systemDelta <= 0) systemDelta = 1;
  const cpus = cpu?.online_cpus ?? cpu?.cpu_usage?.percpu_usage?.length ?? 1;
  cpuPercent.set(labels, round2((cpuDelta / systemDelta) * cpus * 100));
  const usage = s.memory_stats?.usage ?? 0;
  let limit = s.memory_stats?.limit ?? 0;
  if (limit <= 0) limit = 1;
  memUsage.set(labels, usage);
  memLimit.set(labels, limit);
  memPercent.set(labels, round2((usage / limit) * 100));
  let rx = 0;
  let tx = 0;
  for (const n of Object.values(s.networks ?? {})) {
    rx += n.rx_bytes ?? 0;
    tx += n.tx_bytes ?? 0;
  }
  netRx.set(labels, rx);
  netTx.set(labels, tx);
  let read = 0;
  let write = 0;
  for (const e of s.blkio_stats?.io_service_bytes_recursive ?? []) {
    const op = e.op?.toLowerCase();
    if (op === 'read') read += e.value ?? 0;
    else if (op === 'write') write += e.value ?? 0;
  }
  blkRead.set(labels, read);
  blkWrite.set(labels, write);
}

async function cycle(): Promise<PeerCycle> {
  const t0 = performance.now();
  const list = await docker.listContainers();
  const bodies = await Promise.all(list.map((c) => docker.getContainer(c.Id).stats({ stream: false }) as Promise<StatsBody>));
  // gone containers' series drop out, as in that exporter
  registry.resetMetrics();
  for (const s of bodies) record(s);
  const body = await registry.metrics();
  return { wallMs: performance.now() - t0, containers: bodies.length, body };
}

serve({
  scrape: () => cycle(),
  close: () => {
    setImmediate(() => process.exit(0));
  },
});
process.send?.({ ready: true });
