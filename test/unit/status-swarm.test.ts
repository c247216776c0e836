// The overview's Swarm section: one per cluster, services with problems first, daemon text escaped.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clustersSection, sortServices } from '../../src/http/status/clusters.ts';
import { SWARM_TASK_STATES, type ClusterSnapshot, type SwarmService, type SwarmTaskState } from '../../src/model.ts';
import { hostSnapshot } from '../support/snapshots.ts';

function service(name: string, running: number, desired: number, o: Partial<SwarmService> = {}): SwarmService {
  const tasks = Object.fromEntries(SWARM_TASK_STATES.map((s) => [s, 0])) as Record<SwarmTaskState, number>;
  tasks.running = running;
  return { id: `id-${name}`, name, stack: '', mode: 'replicated', image: 'bb:latest', desiredTasks: desired, runningTasks: running, tasks, failedTasks: 0, ...o };
}

const cluster = (o: Partial<ClusterSnapshot> = {}): ClusterSnapshot => ({
  clusterId: 'c1',
  servedBy: 'm1',
  up: true,
  services: [service('alpha', 3, 3), service('stuck', 0, 2), service('zeta', 1, 1, { failedTasks: 0 }), service('crash', 1, 1, { failedTasks: 4, tasks: { ...service('x', 1, 1).tasks, failed: 1 } })],
  nodes: [
    { id: 'n1', hostname: 'a-node', role: 'manager', availability: 'active', status: 'ready', address: '', engineVersion: '26.1.5', reachability: 'reachable', leader: true },
    { id: 'n2', hostname: 'z-node', role: 'worker', availability: 'active', status: 'down', address: '', engineVersion: '26.1.5', leader: false },
  ],
  failovers: 0,
  ...o,
});

test('services short of their desired tasks or with failed tasks come first, then by name', () => {
  assert.deepEqual(sortServices(cluster().services).map((s) => s.name), ['crash', 'stuck', 'alpha', 'zeta']);
});

test('one section per cluster, whatever number of rows carry it; nodes not ready first', () => {
  const c = cluster();
  const html = clustersSection([{ name: 'm1', url: 'x', snapshot: { ...hostSnapshot('m1', []), swarm: c } }, { name: 'm2', url: 'y', snapshot: { ...hostSnapshot('m2', []), swarm: c } }, { name: 'w', url: 'z' }]);
  assert.equal(html.match(/Swarm cluster/g)?.length, 1);
  assert.match(html, /Served by <b>m1<\/b>/);
  assert.match(html, /2 with problems/);
  assert.ok(html.indexOf('stuck') < html.indexOf('alpha'));
  assert.ok(html.indexOf('z-node') < html.indexOf('a-node'), 'the node down comes first');
  assert.match(html, /<b class="down">0<\/b> \/ 2/);
});

test('daemon text is escaped; a cluster no manager answered says so', () => {
  const evil = cluster({ services: [service('<script>x</script>', 1, 1)] });
  const html = clustersSection([{ name: 'm1', url: 'x', snapshot: { ...hostSnapshot('m1', []), swarm: evil } }]);
  assert.doesNotMatch(html, /<script>/);
  assert.match(html, /&#60;script&#62;/);
  const down = clustersSection([{ name: 'm1', url: 'x', snapshot: { ...hostSnapshot('m1', []), swarm: cluster({ up: false, error: 'no manager answered: m1: <refused>', services: [], nodes: [] }) } }]);
  assert.match(down, /no manager answered/);
  assert.match(down, /&#60;refused&#62;/);
  assert.equal(clustersSection([{ name: 'm1', url: 'x', snapshot: hostSnapshot('m1', []) }]), '');
});
