// The cost of a Swarm cluster's view at cluster scale: 200 services x 10 replicas on 50 nodes,
// one manager (a fake Engine API in a child process, so its CPU is not counted here), asked as
// the exporter asks it (dockerode's modem, swarm/poll.ts), and the swarm family rendered.
//   node --import tsx bench/swarm.ts [--rounds 30]
// Three cases: every service converged (services + nodes, no task list), 10 services short of
// their replicas (+ their tasks), and, for comparison, the task list of every service.
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { createDockerode, DaemonClient } from '../src/docker/daemon-client.ts';
import { Exposition } from '../src/metrics/exposition.ts';
import { swarmFamily } from '../src/metrics/families/swarm.ts';
import { LabelCache } from '../src/metrics/label-cache.ts';
import type { HostSnapshot } from '../src/model.ts';
import { Clusters } from '../src/swarm/clusters.ts';
import type { SwarmApi } from '../src/swarm/poll.ts';
import { newHistogram } from '../src/util/histogram.ts';
import { startFakeEngine } from '../test/support/fake-engine.ts';
import { FakeSwarm } from '../test/support/fake-swarm.ts';

const SERVICES = 200;
const REPLICAS = 10;
const NODES = 50;
const SHORT = 10;
const API = '1.45';

type Case = 'converged' | 'short' | 'all-tasks';

/** The child: a fake manager of a cluster of that size. */
async function serveCluster(socketPath: string, short: boolean): Promise<void> {
  const cluster = new FakeSwarm();
  const first = cluster.addNode({ hostname: 'node-00', role: 'manager', leader: true }, false);
  for (let i = 1; i < NODES; i++) cluster.addNode({ hostname: `node-${String(i).padStart(2, '0')}`, role: i < 3 ? 'manager' : 'worker' }, false);
  for (let i = 0; i < SERVICES; i++) cluster.addService({ name: `svc-${i}`, replicas: REPLICAS, stack: `stack-${i % 20}` }, false);
  cluster.converge();
  // short: one task of each of 10 services pending (as with a constraint a node lost)
  if (short) for (let i = 0; i < SHORT; i++) cluster.tasks.find((t) => t.serviceId === cluster.service(`svc-${i}`).id)!.state = 'pending';
  cluster.converge();
  const engine = await startFakeEngine({ socketPath });
  engine.apiVersion = API;
  engine.swarm = { cluster, nodeId: first.id, manager: true };
  process.send?.({ ready: true, tasks: cluster.tasks.length });
}

interface Row {
  case: Case;
  pollMsP50: number;
  pollMsP99: number;
  cpuMsPerPoll: number;
  bodyKiB: number;
  renderMs: number;
  series: number;
}

async function measure(which: Case, rounds: number, dir: string): Promise<Row> {
  const socketPath = join(dir, `${which}.sock`);
  const child = fork(fileURLToPath(import.meta.url), ['--serve', socketPath, which === 'short' ? 'short' : 'converged'], { execArgv: ['--import', 'tsx'] });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`fake manager exited with ${code}`)));
  });
  try {
    return await poll(which, rounds, socketPath);
  } finally {
    child.kill();
  }
}

async function poll(which: Case, rounds: number, socketPath: string): Promise<Row> {
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  const daemon = new DaemonClient(createDockerode({ socketPath, protocol: 'http:' } as Parameters<typeof createDockerode>[0], agent));
  // bytes counted in the warm-up poll only: JSON.stringify costs CPU of its own
  let bytes = 0;
  let counting = true;
  const count = (p: Promise<unknown>) => p.then((b) => (counting && (bytes += JSON.stringify(b).length), b));
  const api: SwarmApi = {
    services: (ms) => count(daemon.services(API, ms)),
    nodes: (ms) => count(daemon.nodes(API, ms)),
    // all-tasks: what listing every service's tasks costs, on top of the rest
    tasks: (filters, ms) => count(daemon.tasks(API, filters, ms)),
  };
  const host: HostSnapshot = {
    host: 'manager', labels: {}, up: true, containers: [], snapshotAgeSeconds: 0, containerCount: 0, lastSuccess: 0, lastDurationSeconds: 0,
    info: { serverVersion: '26.1.5', apiVersion: API, os: 'linux', kernelVersion: '', architecture: '', storageDriver: '', cgroupVersion: '1', ncpu: 2, memTotal: 0, swarm: { clusterId: 'c', nodeId: 'n', manager: true } },
    counters: { listFailed: 0, containerFailed: new Map(), droppedInterfaces: 0, inlineTimeouts: 0, lateProbes: 0, probeDuration: newHistogram(), listDuration: newHistogram(), inspectDuration: newHistogram(), statsDuration: newHistogram() },
  };
  const clusters = new Clusters(pino({ level: 'silent' }));
  const collector = swarmFamily.create({ containerLabels: [], labels: new LabelCache() });
  const times: number[] = [];
  let cpu = 0;
  let renderMs = 0;
  let series = 0;
  await clusters.attach([host], () => api, { timeoutMs: 10_000, minIntervalMs: 0 }, true);
  if (which === 'all-tasks') await api.tasks({}, 10_000);
  counting = false;
  for (let i = 0; i < rounds; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const [served] = await clusters.attach([host], () => api, { timeoutMs: 10_000, minIntervalMs: 0 }, true);
    if (which === 'all-tasks') await api.tasks({}, 10_000);
    const t1 = performance.now();
    const out = new Exposition();
    const pauses = collector.collect([served!], out, new LabelCache().begin());
    if (pauses) for (const _ of pauses);
    const text = out.toString();
    renderMs += performance.now() - t1;
    const used = process.cpuUsage(c0);
    cpu += (used.user + used.system) / 1000;
    times.push(t1 - t0);
    if (!served!.swarm?.up) throw new Error(`cluster not served: ${served!.swarm?.error}`);
    series = text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;
  }
  agent.destroy();
  times.sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 10) / 10;
  return {
    case: which,
    pollMsP50: round(times[Math.floor(rounds / 2)]!),
    pollMsP99: round(times[Math.min(rounds - 1, Math.floor(rounds * 0.99))]!),
    cpuMsPerPoll: round(cpu / rounds),
    bodyKiB: Math.round(bytes / 1024),
    renderMs: round(renderMs / rounds),
    series,
  };
}


if (process.argv[2] === '--serve') {
  await serveCluster(process.argv[3]!, process.argv[4] === 'short');
} else {
  const rounds = Number(process.argv[process.argv.indexOf('--rounds') + 1]) || 30;
  const dir = mkdtempSync(join(tmpdir(), 'dfe-bench-swarm-'));
  try {
    const rows: Row[] = [];
    for (const c of ['converged', 'short', 'all-tasks'] as const) rows.push(await measure(c, rounds, dir));
    console.log(`${SERVICES} services x ${REPLICAS} replicas on ${NODES} nodes, ${rounds} polls each (CPU: this process, all threads; the fake manager runs in a child)`);
    console.log('| case | poll p50 / p99 ms | CPU ms per poll (poll + render) | JSON read per poll KiB | render ms | series |');
    console.log('|---|---|---|---|---|---|');
    for (const r of rows) console.log(`| ${r.case} | ${r.pollMsP50} / ${r.pollMsP99} | ${r.cpuMsPerPoll} | ${r.bodyKiB} | ${r.renderMs} | ${r.series} |`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
