// monitoring/ against the real fleet: a Prometheus scrapes the exporter through /metrics and
// through /probe and loads monitoring/rules.yml and alerts.yml. Every recording rule and every
// dashboard query (template variables substituted as Grafana would) must return data; the rules
// evaluate without errors; the alerts the fleet's containers deserve are active. And the README's
// claim: cAdvisor-style `sum by (instance, name)` keeps same-named containers of two hosts apart
// through /probe and merges them through /metrics.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MONITORING_DIR } from '../../monitoring/build.ts';
import { buildDashboard } from '../../monitoring/dashboard.ts';
import { isSwarmQuery, panelQueries, substitute, type PanelQuery } from '../../monitoring/queries.ts';
import { alertRules, recordingRules } from '../../monitoring/rules.ts';
import { hostA, hostASsh, hostB, startExporter, type Exporter } from './lib/exporter.ts';
import { HOST_A, HOST_A_SSH, HOST_B, loadFleet } from './lib/fleet.ts';
import { probeJob, startPrometheus, type Prometheus, type VectorResult } from './lib/prometheus.ts';

/**
 * Dashboard queries that return nothing today because the metrics they read are still being
 * built, with the issue each waits for. A query listed here that returns data fails the test:
 * take it off the list when its issue lands.
 */
const PENDING: Record<string, string> = {
};

const fleet = loadFleet();
const HOSTS = [HOST_A, HOST_B, HOST_A_SSH];
const JOBS = ['fleet', 'fleet-probe'];
/** What Grafana would put in the queries. Scrapes every 2 s: 20 s holds about 10 samples. */
const VARS = {
  job: 'fleet',
  host: HOSTS.join('|'),
  // Containers with a memory and a pids limit, a CPU quota, a network, a healthcheck, OOM kills.
  container: ['e2e-mem', 'e2e-throttled', 'e2e-net-client', 'e2e-unhealthy', 'e2e-oom'].join('|'),
  cluster: '.*',
  __rate_interval: '20s',
  __interval: '2s',
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Data: at least one sample that is a number (a panel of NaNs is an empty panel). */
const hasData = (r: VectorResult[]) => r.some((s) => !Number.isNaN(Number(s.value[1])));

let exp: Exporter;
let prom: Prometheus;

before(async () => {
  // min_interval: the /metrics and /probe scrapes share probes instead of doubling them.
  // disk_interval: the disk panels get data within 10 s (the 5m default jitters the first walk over
  // 5 minutes). Not shorter: A is walked for two hosts (A, A over SSH), each walk costs its dockerd
  // 0.1-0.3 s of CPU, and with walks every 2 s one full run saw A over SSH miss its 1.5 s deadline.
  exp = await startExporter('dashboard', [hostA(fleet), hostB(fleet), hostASsh(fleet)], { collection: { timeout: '1500ms', min_interval: '1s', disk_interval: '10s' } });
  prom = await startPrometheus('dashboard', {
    global: { scrape_interval: '2s', scrape_timeout: '2s', evaluation_interval: '2s' },
    rule_files: [join(MONITORING_DIR, 'rules.yml'), join(MONITORING_DIR, 'alerts.yml')],
    scrape_configs: [{ job_name: 'fleet', static_configs: [{ targets: [exp.address] }] }, probeJob('fleet-probe', exp.address, HOSTS)],
  });
});

after(async () => {
  await prom?.stop();
  if (exp && exp.child.exitCode === null) await exp.stop();
});

/** Evaluates `queries` until each returns data or the time is up; returns the ones still empty. */
async function emptyAfterRetries(queries: Array<{ key: string; expr: string }>, timeoutMs: number): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let todo = queries;
  for (;;) {
    const results = await Promise.all(todo.map(async (q) => ({ q, data: hasData(await prom.query(q.expr)) })));
    todo = results.filter((r) => !r.data).map((r) => r.q);
    if (todo.length === 0 || Date.now() > deadline) return todo.map((q) => `${q.key}: ${q.expr}`);
    await sleep(2_000);
  }
}

interface RuleState {
  name: string;
  type: 'recording' | 'alerting';
  health: string;
  lastError?: string;
  lastEvaluation: string;
}

interface Alert {
  labels: Record<string, string>;
  state: 'pending' | 'firing';
}

describe('dashboard and rules against the real fleet', { timeout: 240_000 }, () => {
  test('Prometheus loads every rule and evaluates each without an error', async () => {
    const want = [...recordingRules().map((r) => r.record), ...alertRules().map((a) => a.alert)].sort();
    const deadline = Date.now() + 60_000;
    for (;;) {
      const groups = (await prom.api<{ groups: Array<{ rules: RuleState[] }> }>('/api/v1/rules')).groups;
      const rules = groups.flatMap((g) => g.rules);
      assert.deepEqual(rules.map((r) => r.name).sort(), want, 'the rules Prometheus loaded');
      const evaluated = rules.filter((r) => !r.lastEvaluation.startsWith('0001-'));
      const errors = rules.filter((r) => r.health === 'err').map((r) => `${r.name}: ${r.lastError}`);
      assert.deepEqual(errors, [], 'rules that failed to evaluate');
      if (evaluated.length === rules.length) break;
      assert.ok(Date.now() < deadline, `rules not all evaluated within 60 s: ${rules.filter((r) => !evaluated.includes(r)).map((r) => r.name).join(', ')}`);
      await sleep(1_000);
    }
  });

  test('every recording rule: its expression and its recorded series have data, for both jobs, the same hosts', async () => {
    const rules = recordingRules();
    const exprs = rules.map((r) => ({ key: `recording rule ${r.record} (expr)`, expr: r.expr }));
    const recorded = rules.flatMap((r) => JOBS.map((job) => ({ key: `recording rule ${r.record}, job ${job}`, expr: `${r.record}{job="${job}"}` })));
    assert.deepEqual(await emptyAfterRetries([...exprs, ...recorded], 60_000), [], 'recording rules without data');
    // A rule has data as soon as one host's rate has two samples: wait (bounded) until the two
    // jobs agree, so a target scraped once less is not taken for a missing host.
    for (const r of rules) {
      const hostsOf = async (job: string) => [...new Set((await prom.query(`${r.record}{job="${job}"}`)).map((s) => s.metric.host))].sort();
      const deadline = Date.now() + 30_000;
      let viaMetrics: (string | undefined)[] = [];
      let viaProbe: (string | undefined)[] = [];
      for (;;) {
        [viaMetrics, viaProbe] = [await hostsOf('fleet'), await hostsOf('fleet-probe')];
        if (viaMetrics.length > 0 && viaMetrics.join() === viaProbe.join()) break;
        if (Date.now() > deadline) break;
        await sleep(1_000);
      }
      assert.deepEqual(viaProbe, viaMetrics, `${r.record}: the same hosts through /metrics and /probe`);
      assert.ok(viaMetrics.every((h) => HOSTS.includes(h!)), `${r.record}: hosts ${viaMetrics.join(', ')}`);
    }
    // One series per host and state, never one per instance: the /metrics job has 3 hosts.
    const running = await prom.query('host_state:container_state:sum{job="fleet", state="running"}');
    assert.deepEqual(running.map((s) => s.metric.host).sort(), [...HOSTS].sort());
  });

  test('the dashboard variables list the fleet', async () => {
    const values = async (label: string, match: string) =>
      prom.api<string[]>(`/api/v1/label/${label}/values?match[]=${encodeURIComponent(substitute(match, VARS))}`);
    const vars = new Map(buildDashboard().templating.list.map((v) => [v.name as string, String(v.query)]));
    const labelValues = (name: string) => /^label_values\((.+), (\w+)\)$/.exec(vars.get(name)!)!;
    const [, jobMatch, jobLabel] = labelValues('job');
    assert.deepEqual((await values(jobLabel!, jobMatch!)).sort(), JOBS);
    const [, hostMatch, hostLabel] = labelValues('host');
    assert.deepEqual((await values(hostLabel!, hostMatch!)).sort(), [...HOSTS].sort());
    const [, containerMatch, containerLabel] = labelValues('container');
    const containers = await values(containerLabel!, containerMatch!);
    for (const c of VARS.container.split('|')) assert.ok(containers.includes(c), `$container offers ${c}: ${containers.join(', ')}`);
  });

  test('every dashboard query returns data (pending ones listed in PENDING)', async () => {
    // The Swarm panels return data in swarm.test.ts, whose exporter serves the fleet's Swarm.
    const queries: PanelQuery[] = panelQueries(buildDashboard()).filter((q) => !isSwarmQuery(q.expr));
    const keys = queries.map((q) => q.key);
    assert.equal(new Set(keys).size, keys.length, 'panel titles and refIds name each query once');
    const unknown = Object.keys(PENDING).filter((k) => !keys.includes(k));
    assert.deepEqual(unknown, [], 'PENDING names queries the dashboard does not have');
    const evaluate = (qs: PanelQuery[]) => qs.map((q) => ({ key: q.key, expr: substitute(q.expr, VARS) }));
    const empty = await emptyAfterRetries(evaluate(queries.filter((q) => !(q.key in PENDING))), 90_000);
    assert.deepEqual(empty, [], 'dashboard queries without data');
    const pending = evaluate(queries.filter((q) => q.key in PENDING));
    const landed: string[] = [];
    for (const q of pending) if (hasData(await prom.query(q.expr))) landed.push(`${q.key} (${PENDING[q.key]})`);
    assert.deepEqual(landed, [], 'pending queries that now return data: take them off PENDING');
  });

  test('cAdvisor-style sum by (instance, name): /probe keeps two hosts\' same-named containers apart, /metrics merges them', async () => {
    // e2e-idle runs on A, which the exporter serves twice: engine-a (socket) and engine-a-ssh.
    const shape = (job: string) => prom.query(`sum by (instance, name) (container_memory_working_set_bytes{job="${job}", name="e2e-idle"})`);
    const count = async (job: string, by: string) =>
      (await prom.query(`count by (${by}) (container_memory_working_set_bytes{job="${job}", name="e2e-idle"})`)).map((s) => `${s.metric[by.split(', ')[0]!]}=${s.value[1]}`).sort();
    const viaProbe = await shape('fleet-probe');
    assert.deepEqual(viaProbe.map((s) => s.metric.instance).sort(), [HOST_A, HOST_A_SSH].sort(), '/probe: one row per host');
    assert.deepEqual(await count('fleet-probe', 'instance, name'), [`${HOST_A}=1`, `${HOST_A_SSH}=1`].sort());
    const viaMetrics = await shape('fleet');
    assert.deepEqual(viaMetrics.map((s) => s.metric.instance), [exp.address], '/metrics: both hosts in one row');
    assert.deepEqual(await count('fleet', 'instance, name'), [`${exp.address}=2`], '/metrics: two containers merged into the row');
    // The exporter's own dashboard and rules group by host: apart through /metrics too.
    assert.deepEqual(await count('fleet', 'host, name'), [`${HOST_A}=1`, `${HOST_A_SSH}=1`].sort());
  });

  test('the fleet\'s unhealthy, throttled and OOM-killed containers raise their alerts; healthy ones do not', async () => {
    const want: Array<[string, string[]]> = [
      ['ContainerUnhealthy', ['e2e-unhealthy']],
      ['ContainerCpuThrottled', ['e2e-throttled']],
      // Without events, the OOMKilled flag (e2e-oomkilled); with them, the OOM events (e2e-oom).
      ['ContainerOOMKilled', ['e2e-oomkilled', 'e2e-oom']],
    ];
    const active = async () => (await prom.api<{ alerts: Alert[] }>('/api/v1/alerts')).alerts.filter((a) => a.labels.job === 'fleet' && a.labels.host === HOST_A);
    const deadline = Date.now() + 60_000;
    let alerts: Alert[] = [];
    const missing = () => want.filter(([name, names]) => !alerts.some((a) => a.labels.alertname === name && names.includes(a.labels.name!))).map(([n]) => n);
    for (;;) {
      alerts = await active();
      if (missing().length === 0 || Date.now() > deadline) break;
      await sleep(2_000);
    }
    const show = alerts.map((a) => `${a.labels.alertname} ${a.labels.name ?? ''} ${a.state}`).join('\n');
    assert.deepEqual(missing(), [], `alerts not active within 60 s; active:\n${show}`);
    for (const [name, names] of want) {
      const wrong = alerts.filter((a) => a.labels.alertname === name && !names.includes(a.labels.name!)).map((a) => a.labels.name);
      assert.deepEqual(wrong, [], `${name} for other containers`);
    }
    const down = (await prom.api<{ alerts: Alert[] }>('/api/v1/alerts')).alerts.filter((a) => a.labels.alertname === 'DockerHostDown' || a.labels.alertname === 'DockerSshDisconnected');
    assert.deepEqual(down.map((a) => `${a.labels.alertname} ${a.labels.host}`), [], 'no host or SSH connection is down');
    assert.ok(!alerts.some((a) => a.labels.alertname === 'ContainerMemoryNearLimit' && a.labels.name === 'e2e-mem'), 'e2e-mem (about 62% of its limit) is not near it');
  });
});
