// The simulated fleet, from the parent's side: daemon child processes (bench/fleet-daemon.ts)
// sharing the hosts between them, the floor client (bench/floor.ts), and the peer baseline
// (bench/peer.ts) that bench/engine.ts runs.
import { fork } from 'node:child_process';
import { join } from 'node:path';
import type { DaemonHostSpec, DaemonSpec, HostCounters } from './fleet-daemon.ts';
import type { ExporterHost } from './exporter.ts';
import type { FloorSpec } from './floor.ts';
import type { PeerCycle, PeerSpec } from './peer.ts';
import { Rpc } from '../test/support/ipc.ts';

const HERE = new URL('.', import.meta.url);
const TSX = ['--import', 'tsx'];

export interface FleetOptions {
  dir: string;
  hosts: number;
  containersPerHost: number;
  /** daemon child processes; hosts are dealt round-robin */
  procs: number;
  delayMs?: number;
  tickMs?: number;
  /** serve every host over TCP with mutual TLS (these PEM contents) instead of unix sockets */
  tls?: { key: string; cert: string; ca: string };
}

export interface Fleet {
  /** for the exporter's config and the floor, in host order */
  hosts: ExporterHost[];
  containers: number;
  churn(fraction: number): Promise<number>;
  /** the fake daemons' GET /events: open streams, cut them all, emit, when requests came */
  events: {
    subscribers(): Promise<number>;
    cut(): Promise<number>;
    emit(perHost: number): Promise<number>;
    servedSince(ms: number): Promise<number[]>;
  };
  counters(): Promise<HostCounters[]>;
  reset(): Promise<void>;
  close(): Promise<void>;
}

function forkChild(file: string, spec: unknown, label: string, cpuProfDir?: string): Promise<Rpc> {
  const execArgv = cpuProfDir ? [...TSX, '--cpu-prof', '--cpu-prof-dir', cpuProfDir] : TSX;
  const child = fork(new URL(file, HERE), [JSON.stringify(spec)], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return Rpc.ready(child, label);
}

export async function startFleet(o: FleetOptions): Promise<Fleet> {
  const name = (i: number): string => `h${String(i).padStart(3, '0')}`;
  const specs: DaemonHostSpec[][] = Array.from({ length: Math.min(o.procs, o.hosts) }, () => []);
  for (let i = 0; i < o.hosts; i++) {
    specs[i % specs.length]!.push({ index: i, socketPath: o.tls ? undefined : join(o.dir, `${name(i)}.sock`), tls: o.tls });
  }
  const rpcs = await Promise.all(
    specs.map((hosts, p) => forkChild('fleet-daemon.ts', { hosts, containersPerHost: o.containersPerHost, delayMs: o.delayMs ?? 0, tickMs: o.tickMs ?? 0 } satisfies DaemonSpec, `fleet-daemon-${p}`)),
  );
  // host order: spec order within each process, re-sorted by fleet index
  const all = await Promise.all(rpcs.map((r) => r.call<HostCounters[]>('counters')));
  const hosts: ExporterHost[] = [];
  specs.forEach((list, p) =>
    list.forEach((h, j) => {
      hosts[h.index] = { name: name(h.index), socketPath: h.socketPath, port: all[p]![j]!.port };
    }),
  );
  const gather = async <T>(cmd: string, arg?: unknown): Promise<T[]> => (await Promise.all(rpcs.map((r) => r.call<T[] | T>(cmd, arg)))).flat() as T[];
  return {
    hosts,
    containers: o.hosts * o.containersPerHost,
    async churn(fraction) {
      return (await gather<number>('churn', fraction)).reduce((a, b) => a + b, 0);
    },
    counters: () => gather<HostCounters>('counters'),
    events: {
      subscribers: async () => (await gather<number>('eventSubscribers')).reduce((a, b) => a + b, 0),
      cut: async () => (await gather<number>('eventsCut')).reduce((a, b) => a + b, 0),
      emit: async (perHost) => (await gather<number>('emitEvents', perHost)).reduce((a, b) => a + b, 0),
      servedSince: async (ms) => (await gather<number>('eventsServedSince', ms)).sort((a, b) => a - b),
    },
    async reset() {
      await gather('reset');
    },
    async close() {
      await Promise.all(rpcs.map((r) => r.call('close').catch(() => undefined)));
    },
  };
}

export interface Floor {
  pid: number;
  scrape(): Promise<{ wallMs: number; containers: number }>;
  close(): Promise<void>;
}

export async function startFloor(hosts: ExporterHost[], concurrency: number, cpuProfDir?: string): Promise<Floor> {
  const spec: FloorSpec = { hosts: hosts.map((h) => ({ socketPath: h.socketPath, port: h.port })), concurrency };
  const rpc = await forkChild('floor.ts', spec, 'floor', cpuProfDir);
  return {
    pid: rpc.child.pid!,
    scrape: () => rpc.call('scrape'),
    async close() {
      await rpc.call('close').catch(() => undefined);
    },
  };
}

export interface Peer {
  pid: number;
  /** one cycle: list, every container's stats, gauges, registry rendered */
  scrape(): Promise<PeerCycle>;
  close(): Promise<void>;
}

export async function startPeer(socketPath: string, cpuProfDir?: string): Promise<Peer> {
  const rpc = await forkChild('peer.ts', { socketPath } satisfies PeerSpec, 'peer', cpuProfDir);
  return {
    pid: rpc.child.pid!,
    scrape: () => rpc.call('scrape'),
    async close() {
      await rpc.call('close').catch(() => undefined);
    },
  };
}
