// A real Prometheus finds the hosts through the exporter's /sd (http_sd) and scrapes each through
// /probe, with the README's scrape config: targets up, carrying the static labels; a host added
// by a reload appears in Prometheus' targets without touching Prometheus' config.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { hostA, hostASsh, hostB, httpRequest, startExporter, type Exporter, type HostEntry } from './lib/exporter.ts';
import { HOST_A, HOST_A_SSH, HOST_B, loadFleet } from './lib/fleet.ts';
import { sdProbeJob, startPrometheus, type Prometheus } from './lib/prometheus.ts';

const fleet = loadFleet();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const HOST_B_UNIX = 'engine-b-unix';
const JOB = 'fleet-sd';

interface Target {
  labels: Record<string, string>;
  discoveredLabels: Record<string, string>;
  health: string;
  lastError: string;
  scrapePool: string;
}

let exp: Exporter;
let prom: Prometheus | undefined;
const hosts = (): HostEntry[] => [hostA(fleet), { ...hostB(fleet), labels: { dc: 'e2e-b', tier: 'tls' } }, hostASsh(fleet)];

before(async () => {
  exp = await startExporter('sd', hosts());
  prom = await startPrometheus('sd', {
    global: { scrape_interval: '2s', scrape_timeout: '2s', evaluation_interval: '2s' },
    scrape_configs: [sdProbeJob(JOB, [`http://${exp.address}/sd`])],
  });
});

after(async () => {
  await prom?.stop();
  if (exp && exp.child.exitCode === null) await exp.stop();
});

/** Waits until Prometheus' targets of the job satisfy `ok`; returns them. */
async function targetsUntil(ok: (t: Target[]) => boolean, what: string): Promise<Target[]> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const all = (await prom!.api<{ activeTargets: Target[] }>('/api/v1/targets')).activeTargets.filter((t) => t.scrapePool === JOB);
    if (ok(all)) return all;
    assert.ok(Date.now() < deadline, `${what} within 60 s; targets: ${JSON.stringify(all.map((t) => [t.labels, t.health, t.lastError]))}\n${prom!.logTail(800)}`);
    await sleep(1000);
  }
}

describe('http_sd', { timeout: 180_000 }, () => {
  test('/sd answers 200 application/json: one target group per host', async () => {
    const r = await httpRequest('GET', `${exp.url}/sd`);
    assert.equal(r.status, 200);
    assert.match(String(r.headers['content-type']), /^application\/json/);
    const groups = JSON.parse(r.body) as { targets: string[]; labels: Record<string, string> }[];
    assert.deepEqual(groups.map((g) => g.targets), [[HOST_A], [HOST_B], [HOST_A_SSH]]);
    assert.equal(groups[1]!.labels['tier'], 'tls');
    assert.equal(groups[1]!.labels['__meta_docker_fleet_url_scheme'], 'tcp');
    assert.equal(groups[2]!.labels['__meta_docker_fleet_url_scheme'], 'ssh');
    assert.equal(groups[0]!.labels['__meta_docker_fleet_exporter_address'], exp.address);
    const head = await httpRequest('HEAD', `${exp.url}/sd`);
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
  });

  test('Prometheus discovers every host, scrapes each through /probe: up, with the static labels', async () => {
    const targets = await targetsUntil((t) => t.length === 3 && t.every((x) => x.health === 'up'), 'three targets up');
    const byInstance = Object.fromEntries(targets.map((t) => [t.labels.instance, t]));
    assert.deepEqual(Object.keys(byInstance).sort(), [HOST_A, HOST_A_SSH, HOST_B].sort());
    assert.equal(byInstance[HOST_A]!.labels.dc, 'e2e');
    assert.equal(byInstance[HOST_B]!.labels.dc, 'e2e-b');
    assert.equal(byInstance[HOST_B]!.labels.tier, 'tls');
    assert.equal(byInstance[HOST_A_SSH]!.labels.dc, undefined);
    // what /sd said, before relabelling
    for (const t of targets) assert.equal(t.discoveredLabels['__meta_docker_fleet_host'], t.labels.instance);

    // each host's series once, with its labels once (honor_labels: no exported_dc)
    let up: Awaited<ReturnType<Prometheus['query']>> = [];
    for (let i = 0; i < 30; i++) {
      up = await prom!.query(`docker_host_up{job="${JOB}"}`);
      if (up.length === 3) break;
      await sleep(1000);
    }
    assert.deepEqual(up.map((r) => r.metric.host).sort(), [HOST_A, HOST_A_SSH, HOST_B].sort());
    for (const r of up) {
      assert.equal(r.value[1], '1', `${r.metric.host} up`);
      assert.equal(r.metric.instance, r.metric.host);
      assert.equal(r.metric.exported_dc, undefined, 'no exported_ duplicate of a static label');
    }
    assert.equal(up.find((r) => r.metric.host === HOST_B)!.metric.tier, 'tls');
  });

  test('a host added by a reload appears in Prometheus\' targets; Prometheus\' config untouched', async () => {
    exp.writeConfig([...hosts(), { name: HOST_B_UNIX, url: `unix://${fleet.b.socket}`, labels: { dc: 'added' } }]);
    exp.child.kill('SIGHUP');
    const targets = await targetsUntil((t) => t.some((x) => x.labels.instance === HOST_B_UNIX && x.health === 'up'), `${HOST_B_UNIX} discovered and up`);
    assert.equal(targets.length, 4);
    assert.equal(targets.find((t) => t.labels.instance === HOST_B_UNIX)!.labels.dc, 'added');
  });
});
