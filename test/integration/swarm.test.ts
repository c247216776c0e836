// Swarm clusters against fake Engine API daemons sharing one fake cluster: one view per cluster
// whatever number of managers the config lists, failover, task counts, and a worker (or a
// daemon outside any Swarm) asked nothing more than before.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { pino } from 'pino';
import { createExporter, type Exporter } from '../../src/app.ts';
import type { ExporterConfig, HostConfig } from '../../src/config/types.ts';
import { startFakeEngine, type FakeEngine } from '../support/fake-engine.ts';
import { testConfig } from '../support/config.ts';
import { FakeSwarm } from '../support/fake-swarm.ts';
import { assertNoDuplicateSeries } from '../support/series.ts';

const silent = pino({ level: 'silent' });
const dir = mkdtempSync(join(tmpdir(), 'dfe-swarm-'));

const unixHost = (name: string, e: FakeEngine): HostConfig => ({ name, url: e.url, endpoint: { kind: 'unix', socketPath: e.socketPath! }, labels: { dc: name } });

function config(hosts: HostConfig[], families = ['docker_exporter', 'cadvisor', 'state', 'swarm']): ExporterConfig {
  // the disk walk and the event streams off: the suite counts what a probe asks of each daemon
  return testConfig(hosts, {
    collection: { timeoutMs: 2000, concurrency: 64, diskIntervalMs: 0, events: false },
    metrics: { families, containerLabels: [] },
    log: { level: 'error' },
  });
}

/** Every sample line of `name`, labels as text, in order. */
function samples(text: string, name: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const sp = line.lastIndexOf(' ');
    out.set(line.slice(name.length, sp), Number(line.slice(sp + 1)));
  }
  return out;
}

function value(text: string, name: string, ...parts: string[]): number | undefined {
  for (const [labels, v] of samples(text, name)) if (parts.every((p) => labels.includes(p))) return v;
  return undefined;
}

const swarmRequests = (e: FakeEngine): string[] => e.requests.log.filter((r) => r.kind === 'swarm').map((r) => decodeURIComponent(r.path));

describe('Swarm: one view per cluster, from one manager at a time', () => {
  let cluster: FakeSwarm;
  let m1: FakeEngine, m2: FakeEngine, w1: FakeEngine, solo: FakeEngine;
  let exporter: Exporter;
  let url: string;

  const scrape = async (): Promise<string> => {
    const res = await fetch(`${url}/metrics`);
    assert.equal(res.status, 200);
    return res.text();
  };

  before(async () => {
    cluster = new FakeSwarm();
    const n1 = cluster.addNode({ hostname: 'node-m1', role: 'manager', leader: true });
    const n2 = cluster.addNode({ hostname: 'node-m2', role: 'manager' });
    const nw = cluster.addNode({ hostname: 'node-w1' });
    cluster.addService({ name: 'shop_web', replicas: 3, stack: 'shop' });
    cluster.addService({ name: 'agent', mode: 'global' });
    cluster.addService({ name: 'stuck', replicas: 2, unschedulable: true });
    cluster.addService({ name: 'crash', replicas: 1, crashLooping: true });
    const task = (service: string, stack?: string) => ({ 'com.docker.swarm.service.name': service, 'com.docker.swarm.task.id': 'x', ...(stack ? { 'com.docker.stack.namespace': stack } : {}) });
    m1 = await startFakeEngine({ socketPath: join(dir, 'm1.sock'), containers: [{ name: 'shop_web.1.a', image: 'bb:latest', state: 'running', labels: task('shop_web', 'shop') }] });
    m2 = await startFakeEngine({ socketPath: join(dir, 'm2.sock'), containers: [{ name: 'shop_web.2.b', image: 'bb:latest', state: 'running', labels: task('shop_web', 'shop') }] });
    w1 = await startFakeEngine({ socketPath: join(dir, 'w1.sock'), containers: [{ name: 'agent.x', image: 'bb:latest', state: 'running', labels: task('agent') }] });
    solo = await startFakeEngine({ socketPath: join(dir, 'solo.sock'), containers: [{ name: 'plain', image: 'bb:latest', state: 'running' }] });
    m1.swarm = { cluster, nodeId: n1.id, manager: true };
    m2.swarm = { cluster, nodeId: n2.id, manager: true };
    w1.swarm = { cluster, nodeId: nw.id, manager: false };
    exporter = createExporter(config([unixHost('m1', m1), unixHost('m2', m2), unixHost('w1', w1), unixHost('solo', solo)]), silent);
    url = `http://127.0.0.1:${await exporter.listen(0, '127.0.0.1')}`;
  });

  after(async () => {
    await exporter.close();
    await Promise.all([m1, m2, w1, solo].map((e) => e.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(() => {
    for (const e of [m1, m2, w1, solo]) e.resetCounters();
  });

  test('two managers in the config: the cluster series once, served by the first; promtool accepts them', async () => {
    const text = await scrape();
    assertNoDuplicateSeries(text);
    execFileSync('promtool', ['check', 'metrics'], { input: text });
    const id = `cluster_id="${cluster.id}"`;
    assert.deepEqual([...samples(text, 'docker_swarm_cluster_info').keys()], [`{${id},served_by="m1"}`]);
    assert.equal(value(text, 'docker_swarm_cluster_up', id), 1);
    // no host label, no static label: a failover keeps every series
    for (const line of text.split('\n')) if (line.startsWith('docker_swarm_')) assert.doesNotMatch(line, /\b(host|dc)="/, line);
    assert.equal(value(text, 'docker_swarm_service_desired_tasks', 'service="shop_web"', 'stack="shop"'), 3);
    assert.equal(value(text, 'docker_swarm_service_running_tasks', 'service="shop_web"'), 3);
    assert.equal(value(text, 'docker_swarm_service_desired_tasks', 'service="agent"', 'stack=""'), 3);
    assert.equal(value(text, 'docker_swarm_service_running_tasks', 'service="agent"'), 3);
    assert.equal(value(text, 'docker_swarm_service_desired_tasks', 'service="stuck"'), 2);
    assert.equal(value(text, 'docker_swarm_service_running_tasks', 'service="stuck"'), 0);
    assert.equal(value(text, 'docker_swarm_service_tasks', 'service="stuck"', 'state="pending"'), 2);
    assert.equal(value(text, 'docker_swarm_service_tasks', 'service="shop_web"', 'state="running"'), 3);
    assert.equal(value(text, 'docker_swarm_service_info', 'service="shop_web"', 'mode="replicated"', 'image="bb:latest"'), 1);
    assert.equal(value(text, 'docker_swarm_service_info', 'service="agent"', 'mode="global"'), 1);
    assert.equal(value(text, 'docker_swarm_nodes', id, 'status="ready"'), 3);
    assert.equal(value(text, 'docker_swarm_node_leader', 'node="node-m1"'), 1);
    assert.equal(value(text, 'docker_swarm_node_leader', 'node="node-m2"'), 0);
    assert.equal(value(text, 'docker_swarm_node_leader', 'node="node-w1"'), undefined);
    assert.equal(value(text, 'docker_swarm_node_role', 'node="node-w1"', 'role="worker"'), 1);
    assert.equal(value(text, 'docker_swarm_node_manager_reachability', 'node="node-m2"', 'reachability="reachable"'), 1);
    // only the serving manager was asked; the worker and the daemon outside any Swarm never
    assert.ok(swarmRequests(m1).length >= 2);
    assert.deepEqual(swarmRequests(m2), []);
    assert.deepEqual(swarmRequests(w1), []);
    assert.deepEqual(swarmRequests(solo), []);
    assert.deepEqual(Object.keys(solo.requests.byMethod), ['GET']);
  });

  test('concurrent scrapes share one probe and one view: the same snapshot objects, one body', async () => {
    const [a, b] = await Promise.all([fetch(`${url}/metrics`).then((r) => r.text()), fetch(`${url}/metrics`).then((r) => r.text())]);
    const services = swarmRequests(m1).filter((p) => p.includes('/services'));
    assert.equal(services.length, 1, services.join(' '));
    const strip = (t: string) => t.split('\n').filter((l) => !l.startsWith('docker_fleet_exporter_') && !l.startsWith('process_') && !l.startsWith('nodejs_') && !l.startsWith('#')).join('\n');
    assert.equal(strip(a), strip(b));
  });

  test('tasks are listed for the services that need them only', async () => {
    await scrape();
    const tasks = swarmRequests(m1).filter((p) => p.includes('/tasks'));
    assert.equal(tasks.length, 1);
    assert.ok(tasks[0]!.includes(cluster.service('stuck').id) && tasks[0]!.includes(cluster.service('crash').id), tasks[0]);
    assert.ok(!tasks[0]!.includes(cluster.service('shop_web').id), 'a service at its desired count needs no task list');
    assert.ok(swarmRequests(m1).some((p) => /\/v1\.\d+\/services\?status=true$/.test(p)), swarmRequests(m1).join(' '));
  });

  test('task containers carry their service and stack on container_info', async () => {
    const text = await scrape();
    assert.equal(value(text, 'container_info', 'host="m1"', 'swarm_service="shop_web"', 'swarm_stack="shop"'), 1);
    assert.equal(value(text, 'container_info', 'host="w1"', 'swarm_service="agent"'), 1);
    const plain = [...samples(text, 'container_info').keys()].find((l) => l.includes('name="plain"'))!;
    assert.doesNotMatch(plain, /swarm_/);
  });

  test('the status page shows the cluster once: services with problems first, then the nodes', async () => {
    await scrape();
    const html = await (await fetch(`${url}/`)).text();
    assert.equal(html.match(/Swarm cluster/g)?.length, 1);
    assert.match(html, /Served by <b>m1<\/b>/);
    assert.ok(html.indexOf('>stuck<') > 0 && html.indexOf('>stuck<') < html.indexOf('>shop_web<'), 'the unschedulable service before the healthy one');
    assert.match(html, /node-w1/);
  });

  test('a scale up and down is seen by the next scrape', async () => {
    cluster.update(cluster.service('shop_web'), { replicas: 5 });
    let text = await scrape();
    assert.equal(value(text, 'docker_swarm_service_desired_tasks', 'service="shop_web"'), 5);
    assert.equal(value(text, 'docker_swarm_service_running_tasks', 'service="shop_web"'), 5);
    cluster.update(cluster.service('shop_web'), { replicas: 2 });
    text = await scrape();
    assert.equal(value(text, 'docker_swarm_service_desired_tasks', 'service="shop_web"'), 2);
    assert.equal(value(text, 'docker_swarm_service_running_tasks', 'service="shop_web"'), 2);
  });

  test('failed tasks are counted once each, as they happen', async () => {
    const before = value(await scrape(), 'docker_swarm_service_failed_tasks_total', 'service="crash"')!;
    // the fake's crash-looping task "starts": make it run, then converge fails it and starts another
    for (const t of cluster.tasks) if (t.serviceId === cluster.service('crash').id && t.desiredState === 'running') t.state = 'running';
    cluster.converge();
    const once = value(await scrape(), 'docker_swarm_service_failed_tasks_total', 'service="crash"')!;
    assert.equal(once, before + 1);
    assert.equal(value(await scrape(), 'docker_swarm_service_failed_tasks_total', 'service="crash"'), once, 'the same failed task is not counted twice');
  });

  test('a node down is seen', async () => {
    cluster.update(cluster.node('node-w1'), { status: 'down' });
    const text = await scrape();
    assert.equal(value(text, 'docker_swarm_node_status', 'node="node-w1"', 'status="down"'), 1);
    assert.equal(value(text, 'docker_swarm_nodes', 'status="down"'), 1);
    assert.equal(value(text, 'docker_swarm_service_desired_tasks', 'service="agent"'), 2);
    // the daemon still counts the down node's task as running; its desired state is shutdown
    assert.equal(value(text, 'docker_swarm_service_running_tasks', 'service="agent"'), 2);
    cluster.update(cluster.node('node-w1'), { status: 'ready' });
  });

  test('/probe of each manager: only the serving one carries the cluster', async () => {
    await scrape();
    const probe = async (target: string) => (await fetch(`${url}/probe?target=${target}`)).text();
    const [p1, p2, pw] = [await probe('m1'), await probe('m2'), await probe('w1')];
    assert.equal(samples(p1, 'docker_swarm_cluster_info').size, 1);
    assert.equal(samples(p2, 'docker_swarm_cluster_info').size, 0);
    assert.equal(samples(pw, 'docker_swarm_cluster_info').size, 0);
    assert.deepEqual([...samples(await scrape(), 'docker_swarm_cluster_info').keys()], [`{cluster_id="${cluster.id}",served_by="m1"}`], 'a probe moves no cluster');
  });

  test('the serving manager stops answering: the next one serves the same series, once', async () => {
    const before = await scrape();
    const seriesOf = (text: string) => text.split('\n').filter((l) => l.startsWith('docker_swarm_') && !l.startsWith('docker_swarm_cluster_info')).map((l) => l.slice(0, l.lastIndexOf(' '))).sort();
    const stop = m1.addFault({ destroy: true });
    try {
      const text = await scrape();
      assertNoDuplicateSeries(text);
      assert.deepEqual([...samples(text, 'docker_swarm_cluster_info').keys()], [`{cluster_id="${cluster.id}",served_by="m2"}`]);
      assert.equal(value(text, 'docker_swarm_cluster_failovers_total'), 1);
      assert.deepEqual(seriesOf(text), seriesOf(before), 'a failover makes no new series besides cluster_info');
      assert.equal(value(text, 'docker_swarm_service_running_tasks', 'service="shop_web"'), 2);
      // m2 now serves, even when m1 answers again
      stop();
      const again = await scrape();
      assert.deepEqual([...samples(again, 'docker_swarm_cluster_info').keys()], [`{cluster_id="${cluster.id}",served_by="m2"}`]);
    } finally {
      stop();
    }
  });

  test('no manager answers: cluster_up 0, no stale services or nodes', async () => {
    const stops = [m1.addFault({ destroy: true }), m2.addFault({ destroy: true })];
    try {
      const text = await scrape();
      assert.equal(value(text, 'docker_swarm_cluster_up'), 0);
      assert.equal(samples(text, 'docker_swarm_service_desired_tasks').size, 0);
      assert.equal(samples(text, 'docker_swarm_node_info').size, 0);
    } finally {
      for (const s of stops) s();
    }
    assert.equal(value(await scrape(), 'docker_swarm_cluster_up'), 1);
  });

  test('a manager that refuses the control plane (503, demoted) passes the cluster to the next', async () => {
    const stop = m2.addFault({ kind: 'swarm', status: 503, message: 'This node is not a swarm manager.' });
    try {
      const text = await scrape();
      assert.deepEqual([...samples(text, 'docker_swarm_cluster_info').keys()], [`{cluster_id="${cluster.id}",served_by="m1"}`]);
      assert.equal(value(text, 'docker_swarm_service_desired_tasks', 'service="shop_web"'), 2);
    } finally {
      stop();
    }
  });
});

describe('Swarm family off', () => {
  test('a manager is asked nothing about its cluster when metrics.families leaves swarm out', async () => {
    const cluster = new FakeSwarm();
    const n = cluster.addNode({ hostname: 'only', role: 'manager', leader: true });
    cluster.addService({ name: 'web', replicas: 1 });
    const e = await startFakeEngine({ socketPath: join(mkdtempSync(join(tmpdir(), 'dfe-swarm-off-')), 'm.sock') });
    e.swarm = { cluster, nodeId: n.id, manager: true };
    const exporter = createExporter(config([unixHost('m', e)], ['state']), silent);
    try {
      const port = await exporter.listen(0, '127.0.0.1');
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      assert.doesNotMatch(text, /docker_swarm_/);
      assert.equal(e.requests.byKind.swarm, 0);
    } finally {
      await exporter.close();
      await e.close();
    }
  });
});
