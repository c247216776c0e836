// A real Prometheus (Debian's) scraping the exporter both ways: /metrics, and /probe with the
// multi-target relabelling. Checked through Prometheus' HTTP API; promtool lints the exposition.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { stringify } from 'yaml';
import { freePort, hostA, hostB, httpGet, startExporter, type Exporter } from './lib/exporter.ts';
import { HOST_A, HOST_B, loadFleet, RUN_DIR } from './lib/fleet.ts';

const fleet = loadFleet();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Target {
  labels: Record<string, string>;
  health: string;
  lastError: string;
  scrapeUrl: string;
}
interface VectorResult {
  metric: Record<string, string>;
  value: [number, string];
}

let exp: Exporter;
let prom: ChildProcess | undefined;
let promUrl = '';
const promDir = join(RUN_DIR, 'prometheus');

async function api<T>(path: string): Promise<T> {
  const r = await httpGet(`${promUrl}${path}`, 10_000);
  assert.equal(r.status, 200, `Prometheus ${path}: HTTP ${r.status}: ${r.body.slice(0, 200)}`);
  const j = JSON.parse(r.body) as { status: string; data: T };
  assert.equal(j.status, 'success');
  return j.data;
}

const query = (q: string) => api<{ result: VectorResult[] }>(`/api/v1/query?query=${encodeURIComponent(q)}`).then((d) => d.result);

before(async () => {
  exp = await startExporter('prometheus', [hostA(fleet), hostB(fleet)]);
  rmSync(promDir, { recursive: true, force: true });
  mkdirSync(join(promDir, 'tsdb'), { recursive: true });
  const config = {
    global: { scrape_interval: '2s', scrape_timeout: '2s', evaluation_interval: '2s' },
    scrape_configs: [
      { job_name: 'fleet', static_configs: [{ targets: [exp.address] }] },
      {
        job_name: 'fleet-probe',
        metrics_path: '/probe',
        static_configs: [{ targets: [HOST_A, HOST_B] }],
        relabel_configs: [
          { source_labels: ['__address__'], target_label: '__param_target' },
          { source_labels: ['__param_target'], target_label: 'instance' },
          { target_label: '__address__', replacement: exp.address },
        ],
      },
    ],
  };
  const configFile = join(promDir, 'prometheus.yml');
  writeFileSync(configFile, stringify(config));
  const port = await freePort();
  promUrl = `http://127.0.0.1:${port}`;
  const out = openSync(join(promDir, 'prometheus.log'), 'a');
  prom = spawn('prometheus', [`--config.file=${configFile}`, `--storage.tsdb.path=${join(promDir, 'tsdb')}`, `--web.listen-address=127.0.0.1:${port}`], {
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  if (prom.pid) writeFileSync(join(RUN_DIR, 'pids', 'prometheus.pid'), `${prom.pid}\n`);
  const deadline = Date.now() + 30_000;
  for (;;) {
    assert.equal(prom.exitCode, null, `prometheus exited: ${readFileSync(join(promDir, 'prometheus.log'), 'utf8').slice(-1500)}`);
    const ready = await httpGet(`${promUrl}/-/ready`, 2_000).then((r) => r.status === 200, () => false);
    if (ready) break;
    assert.ok(Date.now() < deadline, 'Prometheus not ready within 30 s');
    await sleep(300);
  }
});

after(async () => {
  if (prom && prom.exitCode === null) {
    const done = new Promise((r) => prom!.once('exit', r));
    prom.kill('SIGTERM');
    await done;
    rmSync(join(RUN_DIR, 'pids', 'prometheus.pid'), { force: true });
  }
  if (exp && exp.child.exitCode === null) await exp.stop();
});

describe('Prometheus scraping the exporter', { timeout: 120_000 }, () => {
  test('promtool check metrics accepts the exposition', async () => {
    const { body } = await exp.scrape();
    for (const path of ['/metrics', `/probe?target=${HOST_B}`]) {
      const text = path === '/metrics' ? body : (await exp.scrape(path)).body;
      const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve) => {
        const p = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
        let output = '';
        p.stdout.on('data', (d: Buffer) => (output += d.toString()));
        p.stderr.on('data', (d: Buffer) => (output += d.toString()));
        p.on('close', (c) => resolve({ code: c, output }));
        p.stdin.end(text);
      });
      assert.equal(code, 0, `promtool check metrics on ${path} exited ${code}:\n${output.slice(0, 3000)}`);
    }
  });

  test('all targets up, both ways', async () => {
    let targets: Target[] = [];
    const deadline = Date.now() + 40_000;
    for (;;) {
      targets = (await api<{ activeTargets: Target[] }>('/api/v1/targets')).activeTargets;
      if (targets.length === 3 && targets.every((t) => t.health === 'up')) break;
      assert.ok(
        Date.now() < deadline,
        `targets not all up within 40 s:\n${targets.map((t) => `${t.labels.job} ${t.labels.instance} ${t.health} ${t.lastError}`).join('\n')}`,
      );
      await sleep(1_000);
    }
    const probe = targets.filter((t) => t.labels.job === 'fleet-probe').map((t) => t.labels.instance).sort();
    assert.deepEqual(probe, [HOST_A, HOST_B], 'probe targets relabelled to instance = host name');
    for (const t of targets.filter((t) => t.labels.job === 'fleet-probe')) {
      assert.ok(t.scrapeUrl.startsWith(`${exp.url}/probe?`) && t.scrapeUrl.includes(`target=${t.labels.instance}`), t.scrapeUrl);
    }
  });

  test('series carry host, through both jobs', async () => {
    // Both jobs have scraped at least once when their targets are up; give them one more round.
    await sleep(2_500);
    const up = await query('docker_host_up');
    const byJob = (job: string) => up.filter((r) => r.metric.job === job).map((r) => `${r.metric.instance}|${r.metric.host}=${r.value[1]}`).sort();
    assert.deepEqual(byJob('fleet'), [`${exp.address}|${HOST_A}=1`, `${exp.address}|${HOST_B}=1`]);
    assert.deepEqual(byJob('fleet-probe'), [`${HOST_A}|${HOST_A}=1`, `${HOST_B}|${HOST_B}=1`]);
    const cpu = await query(`container_cpu_usage_seconds_total{name="e2e-cpu"}`);
    assert.deepEqual(cpu.map((r) => `${r.metric.job}|${r.metric.host}`).sort(), [`fleet-probe|${HOST_A}`, `fleet|${HOST_A}`]);
    const running = await query('sum by (host) (docker_container_running_state{job="fleet"})');
    const hosts = running.map((r) => r.metric.host).sort();
    assert.deepEqual(hosts, [HOST_A, HOST_B]);
    const rate = await query(`rate(container_cpu_usage_seconds_total{job="fleet",name="e2e-cpu"}[10s])`);
    assert.equal(rate.length, 1, 'a rate over the busy container');
    // Prometheus sees the counter grow (how fast depends on what else the machine runs).
    assert.ok(Number(rate[0]!.value[1]) > 0, `busy container's CPU rate ${rate[0]!.value[1]}`);
  });
});
