// swarm/clusters.ts without a daemon: concurrent scrapes get the same snapshot objects (so they
// share one rendered body), and a view is asked once for them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import type { HostSnapshot } from '../../src/model.ts';
import { Clusters } from '../../src/swarm/clusters.ts';
import type { SwarmApi } from '../../src/swarm/poll.ts';
import { hostSnapshot } from '../support/snapshots.ts';

const manager = (name: string): HostSnapshot => {
  const s = hostSnapshot(name, []);
  return { ...s, info: { serverVersion: '26.1.5', apiVersion: '1.45', os: 'linux', kernelVersion: '', architecture: '', storageDriver: '', cgroupVersion: '2', ncpu: 1, memTotal: 1, swarm: { clusterId: 'c1', nodeId: `n-${name}`, manager: true } } };
};

test('concurrent attaches of the same snapshots: one poll, the same objects', async () => {
  let polls = 0;
  const api: SwarmApi = {
    services: async () => (polls++, [{ ID: 's1', Spec: { Name: 'web', Mode: { Replicated: { Replicas: 1 } } }, ServiceStatus: { RunningTasks: 1, DesiredTasks: 1 } }]),
    nodes: async () => [{ ID: 'n1', Spec: { Role: 'manager', Availability: 'active' }, Status: { State: 'ready' }, ManagerStatus: { Leader: true, Reachability: 'reachable' } }],
    tasks: async () => [],
  };
  const clusters = new Clusters(pino({ level: 'silent' }));
  const snapshots = [manager('m1'), manager('m2')];
  const timing = { timeoutMs: 1000, minIntervalMs: 0 };
  const [a, b] = await Promise.all([clusters.attach(snapshots, () => api, timing, true), clusters.attach(snapshots, () => api, timing, true)]);
  assert.equal(polls, 1);
  assert.equal(a[0], b[0], 'the serving manager\'s snapshot is one object');
  assert.equal(a[1], snapshots[1], 'the other manager\'s snapshot is untouched');
  assert.equal(a[0]!.swarm?.services[0]?.name, 'web');
  assert.equal(snapshots[0]!.swarm, undefined, 'the probe\'s snapshot is not changed');
  // a newer view: a new object
  const [c] = await clusters.attach(snapshots, () => api, timing, true);
  assert.notEqual(c, a[0]);
});
