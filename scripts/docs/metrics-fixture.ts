// One host with every kind of data a family can render (a running container with stats, limits,
// health and events, disk figures, an SSH connection): docs/metrics.md reads each metric's labels
// from the series written for it. A metric without a series here is an error of the generator,
// so a new family extends this host rather than going undocumented.
import { CONTAINER_EVENTS, SWARM_TASK_STATES, type ClusterSnapshot, type ContainerSnapshot, type EventCounts, type HostSnapshot, type SwarmTaskState } from '../../src/model.ts';
import { FIELD_COUNT } from '../../src/stats/layout.ts';
import { SSH_METRICS } from '../../src/transport/ssh/options.ts';
import { newHistogram } from '../../src/util/histogram.ts';

/** Static labels of the fixture's host: not listed, every series of a host carries them. */
export const STATIC_LABELS = { dc: 'eu-1' };
/** The Docker label the fixture allow-lists on container_info (metrics.container_labels). */
export const CONTAINER_LABEL = 'com.docker.compose.project';

const ID = 'a'.repeat(64);

function container(): ContainerSnapshot {
  const values = new Float64Array(FIELD_COUNT).fill(1);
  return {
    ident: { id: ID, name: 'web', image: 'nginx:1', imageId: 'sha256:abc', labels: { [CONTAINER_LABEL]: 'shop', 'com.docker.swarm.service.name': 'shop_web', 'com.docker.stack.namespace': 'shop' } },
    state: 'running',
    inspect: {
      restartCount: 1, startedAt: 1_800_000_000, finishedAt: 1_799_999_000, exitCode: 0, oomKilled: false, health: 'healthy', restartPolicy: 'always',
      limits: { memoryBytes: 1 << 26, memoryReservationBytes: 1 << 25, memorySwapBytes: 1 << 27, cpuQuota: 50_000, cpuPeriod: 100_000, cpuShares: 1024, pids: 100, cpusetCpus: 2 },
    },
    stats: { values, networks: [{ iface: 'eth0', rxBytes: 1, rxPackets: 1, rxErrors: 1, rxDropped: 1, txBytes: 1, txPackets: 1, txErrors: 1, txDropped: 1 }] },
    lastSeen: 1_800_000_100,
  };
}

/** The Swarm cluster this host, a manager, serves: one service, one node. */
function cluster(): ClusterSnapshot {
  const tasks = Object.fromEntries(SWARM_TASK_STATES.map((t) => [t, t === 'running' ? 3 : 0])) as Record<SwarmTaskState, number>;
  return {
    clusterId: 'qk7xv0c1', servedBy: 'build-01', up: true, failovers: 0,
    services: [{ id: 'svc1', name: 'shop_web', stack: 'shop', mode: 'replicated', image: 'nginx:1', desiredTasks: 3, runningTasks: 3, tasks, updateState: 'completed', failedTasks: 1 }],
    nodes: [{ id: 'node1', hostname: 'build-01', role: 'manager', availability: 'active', status: 'ready', address: '10.0.0.1', engineVersion: '26.1.0', reachability: 'reachable', leader: true }],
  };
}

const counts = (): EventCounts => Object.fromEntries(CONTAINER_EVENTS.map((e) => [e, 1])) as EventCounts;

export function fixtureHost(): HostSnapshot {
  const totals = { count: 1, sizeBytes: 1, reclaimableBytes: 1 };
  return {
    host: 'build-01', labels: { ...STATIC_LABELS }, up: true,
    info: { serverVersion: '26.1.0', apiVersion: '1.45', os: 'Debian', kernelVersion: '6.1', architecture: 'x86_64', storageDriver: 'overlay2', cgroupVersion: '2', ncpu: 2, memTotal: 1 << 30 },
    containers: [container()], snapshotAgeSeconds: 0, containerCount: 1, lastSuccess: 1_800_000_100, lastDurationSeconds: 0.5,
    counters: {
      listFailed: 0, containerFailed: new Map([[ID, { name: 'web', count: 1 }]]), droppedInterfaces: 0, inlineTimeouts: 0, lateProbes: 0,
      probeDuration: newHistogram(), listDuration: newHistogram(), inspectDuration: newHistogram(), statsDuration: newHistogram(),
    },
    transport: { names: SSH_METRICS, connected: true, connects: 1, reconnects: 0, failures: 0 },
    disk: {
      usage: {
        totals: { images: totals, containers: totals, volumes: totals, build_cache: totals }, danglingImages: 0,
        containers: new Map([[ID, { rwBytes: 1, rootFsBytes: 2, volumes: ['data'] }]]), volumes: new Map([['data', 1]]), dropped: { containers: 0, volumes: 0, mounts: 0 },
      },
      ageSeconds: 1, failures: 0, volumes: [['data', 1]],
    },
    events: { connected: true, reconnects: 0, lastEventSeconds: 1_800_000_000, host: counts(), hostOomKills: 1, containers: new Map([[ID, { events: counts(), oomKills: 1, lastExitCode: 0 }]]), limitHits: { line_bytes: 0, line_depth: 0, tracked_containers: 0 } },
    swarm: cluster(),
  };
}
