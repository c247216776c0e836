// Host and container snapshots made by hand, for tests of the metrics layer.
import type { ContainerSnapshot, ContainerState, HostSnapshot } from '../../src/model.ts';
import { F, FIELD_COUNT } from '../../src/stats/layout.ts';
import { newHistogram } from '../../src/util/histogram.ts';

export function containerSnapshot(name: string, state: ContainerState = 'running', over: Partial<ContainerSnapshot['ident']> = {}): ContainerSnapshot {
  const values = new Float64Array(FIELD_COUNT).fill(NaN);
  values[F.cpuTotalNs] = 2_500_000_000;
  values[F.memUsage] = 1000;
  const running = state === 'running';
  return {
    ident: { id: name.padEnd(64, '0'), name, image: 'img:1', imageId: 'sha256:abc', labels: { 'com.docker.compose.project': 'shop' }, ...over },
    state,
    inspect: {
      restartCount: 1, startedAt: 1_800_000_000, finishedAt: running ? NaN : 1_800_000_050, exitCode: running ? 0 : 3, oomKilled: false,
      health: running ? 'healthy' : undefined, restartPolicy: 'always',
      limits: { memoryBytes: 67108864, memoryReservationBytes: NaN, memorySwapBytes: NaN, cpuQuota: NaN, cpuPeriod: 100000, cpuShares: 1024, pids: NaN, cpusetCpus: NaN },
    },
    stats: running ? { values, networks: [{ iface: 'eth0', rxBytes: 10, rxPackets: 1, rxErrors: 0, rxDropped: 0, txBytes: 20, txPackets: 2, txErrors: 0, txDropped: 0 }] } : null,
    lastSeen: 1_800_000_100,
  };
}

export function hostSnapshot(name: string, containers: ContainerSnapshot[] | null, labels: Record<string, string> = { dc: 'eu-1' }): HostSnapshot {
  return {
    host: name, labels, up: containers !== null, info: null, containers, snapshotAgeSeconds: containers ? 0 : NaN, containerCount: containers?.length ?? 0,
    lastSuccess: 1_800_000_100, lastDurationSeconds: 0.5,
    counters: { listFailed: 0, containerFailed: new Map(), droppedInterfaces: 0, inlineTimeouts: 0, lateProbes: 0, probeDuration: newHistogram(), listDuration: newHistogram(), inspectDuration: newHistogram(), statsDuration: newHistogram() },
  };
}

/** The sample lines of the exposition whose metric name matches. */
export function samples(text: string, name: RegExp): string[] {
  return text.split('\n').filter((l) => l !== '' && !l.startsWith('#') && name.test(l.slice(0, l.search(/[{ ]/))));
}
