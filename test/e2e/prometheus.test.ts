// A real Prometheus (Debian's) scraping the exporter both ways: /metrics, and /probe with the
// multi-target relabelling. Checked through Prometheus' HTTP API; promtool lints the exposition.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { hostA, hostB, startExporter, type Exporter } from './lib/exporter.ts';
import { HOST_A, HOST_B, loadFleet } from './lib/fleet.ts';
import { probeJob, startPrometheus, type Prometheus } from './lib/prometheus.ts';

const fleet = loadFleet();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Target {
  labels: Record<string, string>;
  health: string;
  lastError: string;
  scrapeUrl: string;
}

let exp: Exporter;
let prom: Prometheus | undefined;

before(async () => {
  exp = await startExporter('prometheus', [hostA(fleet), hostB(fleet)]);
  prom = await startPrometheus('scrape', {
    global: { scrape_interval: '2s', scrape_timeout: '2s', evaluation_interval: '2s' },
    scrape_configs: [{ job_name: 'fleet', static_configs: [{ targets: [exp.address] }] }, probeJob('fleet-probe', exp.address, [HOST_A, HOST_B])],
  });
});

after(async () => {
  await prom?.stop();
  if (exp && exp.child.exitCode === null) await exp.stop();
});

const api = <T>(path: string) => prom!.api<T>(path);
const query = (q: string) => prom!.query(q);

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
