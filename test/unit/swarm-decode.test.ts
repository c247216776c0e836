// swarm/decode.ts: the managers' answers read field by field; a wrong shape is a message or a
// skipped entry, never a TypeError.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeInfo } from '../../src/docker/decode.ts';
import { decodeNodes, decodeServices, decodeTasks } from '../../src/swarm/decode.ts';

const VERSION = { serverVersion: '26.1.5', apiVersion: '1.45', minApiVersion: '1.24', os: 'linux', arch: 'amd64', kernelVersion: '6.1' };

test('a body that is not a list names the endpoint and what came', () => {
  assert.equal(decodeServices({ message: 'x' }), 'GET /services: expected an array, got an object');
  assert.equal(decodeNodes(null), 'GET /nodes: expected an array, got null');
  assert.equal(decodeTasks('x'), 'GET /tasks: expected an array, got a string');
});

test('entries without an id are skipped and counted; odd fields fall back', () => {
  const d = decodeServices([
    { ID: 's1', Spec: { Name: 'web', Labels: { 'com.docker.stack.namespace': 'shop' }, Mode: { Replicated: { Replicas: 3 } }, TaskTemplate: { ContainerSpec: { Image: 'nginx:1@sha256:abc' } } }, ServiceStatus: { RunningTasks: 2, DesiredTasks: 3 }, UpdateStatus: { State: 'paused' } },
    { ID: 's2', Spec: { Name: 'agent', Mode: { Global: {} } } },
    { Spec: { Name: 'no-id' } },
    42,
  ]);
  assert.ok(typeof d !== 'string');
  assert.equal(d.skipped, 2);
  assert.deepEqual(d.items[0], { id: 's1', name: 'web', stack: 'shop', mode: 'replicated', replicas: 3, image: 'nginx:1', status: { running: 2, desired: 3 }, updateState: 'paused' });
  assert.deepEqual(d.items[1], { id: 's2', name: 'agent', stack: '', mode: 'global', replicas: NaN, image: '' });
  const n = decodeNodes([{ ID: 'n1', Spec: { Role: 'weird', Availability: 'drain' }, Status: { State: 'DOWN' }, ManagerStatus: { Leader: 'yes', Reachability: 'unreachable' } }]);
  assert.ok(typeof n !== 'string');
  assert.deepEqual(n.items[0], { id: 'n1', hostname: '', role: 'manager', availability: 'drain', status: 'down', address: '', engineVersion: '', reachability: 'unreachable', leader: false });
});

test('/info: a manager, a worker (no cluster id), a daemon outside any Swarm', () => {
  const info = (swarm: unknown) => decodeInfo({ Swarm: swarm }, VERSION, '1.45').swarm;
  assert.deepEqual(info({ LocalNodeState: 'active', NodeID: 'n1', ControlAvailable: true, Cluster: { ID: 'c1' } }), { clusterId: 'c1', nodeId: 'n1', manager: true });
  assert.deepEqual(info({ LocalNodeState: 'active', NodeID: 'n2', ControlAvailable: false }), { clusterId: '', nodeId: 'n2', manager: false });
  assert.equal(info({ LocalNodeState: 'inactive' }), undefined);
  assert.equal(info('junk'), undefined);
});
