// A child process serving part of a simulated fleet: one fake Engine API per host, each on
// its own unix socket (or TCP+TLS), so the daemons' CPU is never counted as the exporter's.
// Started by bench/fleet.ts with a JSON DaemonSpec as argv[2]; commands over IPC (bench/ipc.ts).
import { startFakeEngine, type FakeEngine } from '../test/support/fake-engine.ts';
import { sampleContainers, sha256Hex, type ContainerInput } from '../test/support/stats-bodies.ts';
import { serve } from '../test/support/ipc.ts';

export interface DaemonHostSpec {
  /** index in the whole fleet: seeds its containers, picks its cgroup version */
  index: number;
  socketPath?: string;
  tls?: { key: string; cert: string; ca: string };
}

export interface DaemonSpec {
  hosts: DaemonHostSpec[];
  containersPerHost: number;
  /** added to every stats answer (network round trip, daemon work) */
  delayMs: number;
  /** >0: stats answer at the daemon's next sampling tick of this period (1000 for real dockerd) */
  tickMs: number;
}

export interface HostCounters {
  connections: number;
  tlsHandshakes: number;
  tlsErrors: number;
  requests: number;
  stats: number;
  list: number;
  inspect: number;
  port?: number;
}

interface Host {
  engine: FakeEngine;
  inputs: ContainerInput[];
  born: number;
}

const spec = JSON.parse(process.argv[2] ?? '{}') as DaemonSpec;
const hosts: Host[] = [];

for (const h of spec.hosts) {
  // Half the fleet on cgroup v1, half on v2: both body shapes go through the parser.
  const cgroup: 1 | 2 = h.index % 2 === 0 ? 2 : 1;
  const inputs = sampleContainers(spec.containersPerHost, { seed: h.index + 1, allRunning: true });
  const engine = await startFakeEngine({
    socketPath: h.socketPath,
    tls: h.tls ? { ...h.tls, requestCert: true } : undefined,
    cgroup,
    containers: inputs,
    logLimit: 16, // the request log is for tests; keep it from costing memory and time here
  });
  engine.statsTickMs = spec.tickMs;
  if (spec.delayMs > 0) engine.addFault({ kind: 'stats', delayMs: spec.delayMs });
  hosts.push({ engine, inputs, born: 0 });
}

/** Replaces `fraction` of each host's containers with new ones (new id, new name). */
function churn(fraction: number): number {
  let replaced = 0;
  hosts.forEach((h, hi) => {
    const n = Math.round(h.inputs.length * fraction);
    for (let k = 0; k < n; k++) {
      const slot = (h.born * 7 + k * 13) % h.inputs.length;
      const old = h.inputs[slot]!;
      h.engine.containers.remove(old.id!);
      h.born++;
      const name = `churn-${spec.hosts[hi]!.index}-${h.born}`;
      const fresh: ContainerInput = { ...old, name, id: sha256Hex(`churn:${name}`), createdAt: Date.now(), startedAt: Date.now() };
      h.engine.containers.add(fresh);
      h.inputs[slot] = fresh;
      replaced++;
    }
  });
  return replaced;
}

/** One event for each of `perHost` containers of every host (a start): what a stream carries. */
function emitEvents(perHost: number): number {
  let n = 0;
  for (const h of hosts) {
    for (const c of h.inputs.slice(0, perHost)) {
      h.engine.events.emit({ id: c.id!, name: c.name, action: 'start' });
      n++;
    }
  }
  return n;
}

serve({
  churn: (arg) => churn(arg as number),
  /** GET /events streams open now, over all hosts */
  eventSubscribers: () => hosts.reduce((a, h) => a + h.engine.events.subscribers, 0),
  /** cuts every host's streams at once (a reconnect storm follows); returns how many */
  eventsCut: () => hosts.reduce((a, h) => a + h.engine.events.cut(), 0),
  emitEvents: (arg) => emitEvents(arg as number),
  /** Date.now() of every /events request served at or after `arg` (ms) */
  eventsServedSince: (arg) => hosts.flatMap((h) => h.engine.events.served.filter((t) => t >= (arg as number))),
  counters: (): HostCounters[] =>
    hosts.map(({ engine }) => ({
      connections: engine.connections,
      tlsHandshakes: engine.tlsHandshakes,
      tlsErrors: engine.tlsErrors,
      requests: engine.requests.total,
      stats: engine.requests.byKind.stats,
      list: engine.requests.byKind.list,
      inspect: engine.requests.byKind.inspect,
      port: engine.port,
    })),
  reset: () => {
    for (const h of hosts) h.engine.resetCounters();
  },
  close: async () => {
    await Promise.all(hosts.map((h) => h.engine.close()));
    setImmediate(() => process.exit(0));
  },
});
process.send?.({ ready: true });
