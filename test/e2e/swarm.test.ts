// The fleet's real Swarm (Docker 26: managers m1-m3, worker w1; fleet.sh): every node in the
// config, the cluster's series once, from one manager; the services as the managers count them;
// a scale seen by the next scrape; a worker stopped (node down, tasks rescheduled, the alert's
// expression true in Prometheus); failover when the serving manager stops; task containers joined
// to their service in PromQL; the dashboard's Swarm panels with data.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { buildDashboard } from '../../monitoring/dashboard.ts';
import { isSwarmQuery, panelQueries, substitute } from '../../monitoring/queries.ts';
import { alertRules } from '../../monitoring/rules.ts';
import { scrapeUntil, startExporter, type Exporter, type HostEntry } from './lib/exporter.ts';
import { select, show, type Exposition } from './lib/exposition.ts';
import { dockerCli, fleetCommand, loadFleet, swarmOf } from './lib/fleet.ts';
import { startPrometheus, type Prometheus, type VectorResult } from './lib/prometheus.ts';
import { assertNoDuplicateSeries } from '../support/series.ts';

const fleet = loadFleet();
const swarm = swarmOf(fleet);
const NODES = [...swarm.managers, ...swarm.workers];
/** host label of each node: swarm-m1, ... */
const hostOf = (node: string) => `swarm-${node}`;
const HOSTS: HostEntry[] = NODES.map((n) => ({ name: hostOf(n), url: `unix://${swarm.nodes[n]!.socket}` }));
const S = swarm.services;
const m1Socket = swarm.nodes[swarm.managers[0]!]!.socket;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const hasData = (r: VectorResult[]) => r.some((s) => !Number.isNaN(Number(s.value[1])));

let exp: Exporter;
let prom: Prometheus;

/** The value of the one sample matching, or undefined. */
function value(e: Exposition, name: string, match: Record<string, string>): number | undefined {
  const found = select(e, name, { cluster_id: swarm.cluster_id, ...match });
  assert.ok(found.length <= 1, `more than one ${name}${JSON.stringify(match)}:\n${found.map(show).join('\n')}`);
  return found[0]?.value;
}

const servedBy = (e: Exposition) => select(e, 'docker_swarm_cluster_info').map((s) => s.labels.served_by);
const svc = (e: Exposition, name: string, service: string) => value(e, name, { service });

/** Swarm series keys, the serving manager's info line left out. */
const clusterSeries = (e: Exposition) =>
  e.samples.filter((s) => s.name.startsWith('docker_swarm_') && s.name !== 'docker_swarm_cluster_info').map((s) => show({ ...s, value: 0 })).sort();

async function until(what: string, ok: (e: Exposition) => boolean, timeoutMs: number): Promise<Exposition> {
  const r = await scrapeUntil(exp, ok, timeoutMs);
  assert.ok(r.ok, `${what}: not seen within ${timeoutMs / 1000} s; the Swarm series of the last scrape:\n${r.e.samples.filter((s) => s.name.startsWith('docker_swarm_')).map(show).join('\n')}`);
  return r.e;
}

async function queryUntil(what: string, q: string, ok: (r: VectorResult[]) => boolean, timeoutMs: number): Promise<VectorResult[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await prom.query(q);
    if (ok(r)) return r;
    assert.ok(Date.now() < deadline, `${what}: ${q} gave ${JSON.stringify(r)}`);
    await sleep(1_000);
  }
}

before(async () => {
  exp = await startExporter('swarm', HOSTS, { collection: { timeout: '3s' } });
  prom = await startPrometheus('swarm', {
    global: { scrape_interval: '2s', scrape_timeout: '2s', evaluation_interval: '2s' },
    scrape_configs: [{ job_name: 'swarm', static_configs: [{ targets: [exp.address] }] }],
  });
});

after(async () => {
  await prom?.stop();
  if (exp && exp.child.exitCode === null) await exp.stop();
});

describe('a real Swarm of Docker 26 daemons', { timeout: 600_000 }, () => {
  test('every node in the config: one set of cluster series, served by the first manager', async () => {
    const e = await until('the cluster', (e) => servedBy(e).length > 0 && svc(e, 'docker_swarm_service_running_tasks', S.replicated) === 3, 30_000);
    const { body } = await exp.scrape();
    assertNoDuplicateSeries(body);
    execFileSync('promtool', ['check', 'metrics'], { input: body });
    assert.deepEqual(servedBy(e), [hostOf(swarm.managers[0]!)]);
    assert.deepEqual(select(e, 'docker_swarm_cluster_info').map((s) => s.labels.cluster_id), [swarm.cluster_id]);
    assert.equal(value(e, 'docker_swarm_cluster_up', {}), 1);
    assert.ok(!e.samples.some((s) => s.name.startsWith('docker_swarm_') && 'host' in s.labels), 'cluster series carry no host label');
    for (const n of NODES) assert.equal(select(e, 'docker_host_up', { host: hostOf(n) })[0]?.value, 1, `${n} is up`);
  });

  test('the services: replicated 3, global on every node, unschedulable 0 of 2, crash-looping with failed tasks counted, the stack', async () => {
    const e = await until('converged counts', (e) => svc(e, 'docker_swarm_service_running_tasks', S.global) === NODES.length && (svc(e, 'docker_swarm_service_failed_tasks_total', S.crashloop) ?? 0) >= 1, 60_000);
    assert.equal(svc(e, 'docker_swarm_service_desired_tasks', S.replicated), 3);
    assert.equal(svc(e, 'docker_swarm_service_desired_tasks', S.global), NODES.length);
    assert.equal(select(e, 'docker_swarm_service_info', { service: S.global })[0]?.labels.mode, 'global');
    assert.equal(select(e, 'docker_swarm_service_info', { service: S.replicated })[0]?.labels.mode, 'replicated');
    assert.equal(svc(e, 'docker_swarm_service_desired_tasks', S.unschedulable), 2);
    assert.equal(svc(e, 'docker_swarm_service_running_tasks', S.unschedulable), 0);
    assert.equal(value(e, 'docker_swarm_service_tasks', { service: S.unschedulable, state: 'pending' }), 2);
    assert.equal(select(e, 'docker_swarm_service_desired_tasks', { service: S.stack })[0]?.labels.stack, swarm.stack_namespace);
    const failed = svc(e, 'docker_swarm_service_failed_tasks_total', S.crashloop)!;
    // it fails a second after each start, restarted every 5 s
    await until('more failed tasks of the crash looper', (e) => svc(e, 'docker_swarm_service_failed_tasks_total', S.crashloop)! > failed, 30_000);
  });

  test('the nodes: every one ready, three managers, one leader', async () => {
    const e = await until('every node ready', (e) => value(e, 'docker_swarm_nodes', { status: 'ready' }) === NODES.length, 30_000);
    for (const n of NODES) {
      const id = swarm.nodes[n]!.node_id;
      assert.equal(value(e, 'docker_swarm_node_status', { node_id: id, status: 'ready' }), 1, n);
      assert.equal(value(e, 'docker_swarm_node_role', { node_id: id, role: swarm.nodes[n]!.role }), 1, n);
      assert.equal(select(e, 'docker_swarm_node_info', { node_id: id })[0]?.labels.node, swarm.nodes[n]!.hostname);
    }
    assert.equal(select(e, 'docker_swarm_node_leader').filter((s) => s.value === 1).length, 1);
    assert.equal(select(e, 'docker_swarm_node_manager_reachability', { reachability: 'reachable' }).filter((s) => s.value === 1).length, swarm.managers.length);
  });

  test('task containers joined to their service: CPU of a service across nodes and the nodes that run it, one PromQL query each', async () => {
    const cpu = `sum(rate(container_cpu_usage_seconds_total{job="swarm"}[20s]) * on (job, instance, host, id) group_left (swarm_service) container_info{job="swarm", swarm_service="${S.replicated}"})`;
    const where = `count by (host) (container_info{job="swarm", swarm_service="${S.replicated}"})`;
    await queryUntil('CPU of the replicated service', cpu, (r) => r.length === 1 && Number.isFinite(Number(r[0]!.value[1])), 60_000);
    const nodes = await queryUntil('the nodes running it', where, (r) => r.reduce((n, s) => n + Number(s.value[1]), 0) === 3, 30_000);
    assert.ok(nodes.every((s) => HOSTS.some((h) => h.name === s.metric.host)), JSON.stringify(nodes));
    const stack = await prom.query(`count(container_info{job="swarm", swarm_stack="${swarm.stack_namespace}"})`);
    assert.equal(Number(stack[0]?.value[1]), 2, 'the stack service\'s two containers carry the stack');
  });

  test('the dashboard\'s Swarm panels return data', async () => {
    const vars = { job: 'swarm', host: '.*', container: '.*', cluster: swarm.cluster_id, __rate_interval: '20s', __interval: '2s' };
    const queries = panelQueries(buildDashboard()).filter((q) => isSwarmQuery(q.expr));
    assert.ok(queries.length >= 8, `Swarm panel queries: ${queries.length}`);
    const deadline = Date.now() + 60_000;
    let empty = queries;
    while (empty.length > 0 && Date.now() < deadline) {
      const results = await Promise.all(empty.map(async (q) => ({ q, data: hasData(await prom.query(substitute(q.expr, vars))) })));
      // stats that count problems (services below desired, nodes not ready) are data when 0: `count` of none is empty
      empty = results.filter((r) => !r.data).map((r) => r.q);
      if (empty.length > 0) await sleep(2_000);
    }
    const counts = new Set(['Services below desired [A]', 'Nodes not ready [A]']);
    assert.deepEqual(empty.filter((q) => !counts.has(q.key)).map((q) => `${q.key}: ${q.expr}`), [], 'Swarm panel queries without data');
  });

  test('a scale up and down (docker CLI) is seen by the next scrape', async () => {
    await dockerCli(m1Socket, ['service', 'scale', '--detach', `${S.replicated}=5`]);
    let e = await exp.scrape();
    assert.equal(svc(e, 'docker_swarm_service_desired_tasks', S.replicated), 5);
    await until('5 running', (e) => svc(e, 'docker_swarm_service_running_tasks', S.replicated) === 5, 60_000);
    await dockerCli(m1Socket, ['service', 'scale', '--detach', `${S.replicated}=3`]);
    e = await exp.scrape();
    assert.equal(svc(e, 'docker_swarm_service_desired_tasks', S.replicated), 3);
    await until('3 running', (e) => svc(e, 'docker_swarm_service_running_tasks', S.replicated) === 3, 60_000);
  });

  test('a worker\'s daemon stopped: node down, its tasks rescheduled, the alert\'s expression true in Prometheus', async () => {
    const worker = swarm.workers[0]!;
    const id = swarm.nodes[worker]!.node_id;
    await fleetCommand(fleet, 'stop-worker', worker);
    try {
      await until('the worker down', (e) => value(e, 'docker_swarm_node_status', { node_id: id, status: 'down' }) === 1, 60_000);
      const e = await until('the replicated service back at 3 on the others', (e) => svc(e, 'docker_swarm_service_running_tasks', S.replicated) === 3, 60_000);
      assert.equal(value(e, 'docker_swarm_nodes', { status: 'down' }), 1);
      assert.equal(select(e, 'docker_host_up', { host: hostOf(worker) })[0]?.value, 0);
      assert.equal(select(e, 'container_info', { swarm_service: S.replicated }).filter((s) => s.labels.host !== hostOf(worker)).length, 3, 'its 3 task containers on the other nodes');
      const rule = alertRules().find((a) => a.alert === 'SwarmNodeDown')!;
      const fired = await queryUntil('SwarmNodeDown\'s expression', rule.expr, (r) => r.length === 1, 30_000);
      assert.equal(fired[0]!.metric.node_id, id);
    } finally {
      await fleetCommand(fleet, 'start-worker', worker);
    }
    await until('the worker ready again', (e) => value(e, 'docker_swarm_node_status', { node_id: id, status: 'ready' }) === 1, 60_000);
  });

  test('the serving manager stops: the next one serves the same series, once', async () => {
    const first = swarm.managers[0]!;
    const before = await until('served by the first manager', (e) => servedBy(e)[0] === hostOf(first) && value(e, 'docker_swarm_nodes', { status: 'ready' }) === NODES.length, 60_000);
    await fleetCommand(fleet, 'stop-manager', first);
    try {
      const e = await until('another manager serving', (e) => servedBy(e).length === 1 && servedBy(e)[0] !== hostOf(first) && value(e, 'docker_swarm_cluster_up', {}) === 1, 60_000);
      assert.equal(servedBy(e)[0], hostOf(swarm.managers[1]!), 'the next manager in the config');
      assert.equal(value(e, 'docker_swarm_cluster_failovers_total', {}), 1);
      const { body } = await exp.scrape();
      assertNoDuplicateSeries(body);
      assert.deepEqual(clusterSeries(e), clusterSeries(before), 'a failover makes no new series besides cluster_info');
      // Prometheus saw one series per service throughout
      const most = await prom.query(`max_over_time(count by (service) (docker_swarm_service_desired_tasks{job="swarm"})[2m:2s])`);
      assert.ok(most.length > 0 && most.every((s) => s.value[1] === '1'), JSON.stringify(most));
      await until('the stopped manager down', (e) => value(e, 'docker_swarm_node_status', { node_id: swarm.nodes[first]!.node_id, status: 'down' }) === 1, 60_000);
    } finally {
      await fleetCommand(fleet, 'start-manager', first);
    }
    await until('every node ready again', (e) => value(e, 'docker_swarm_nodes', { status: 'ready' }) === NODES.length, 90_000);
  });
});
