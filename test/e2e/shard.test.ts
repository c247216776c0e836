// Two replicas with --shard.count 2 and the same config: every host in exactly one of them
// (/metrics, /probe, /sd and the status page), and a Prometheus scraping both through http_sd
// sees each host's series exactly once.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { shardOf } from '../../src/config/shard.ts';
import { select } from './lib/exposition.ts';
import { hostA, hostASsh, hostB, startExporter, type Exporter, type HostEntry } from './lib/exporter.ts';
import { loadFleet } from './lib/fleet.ts';
import { sdProbeJob, startPrometheus, type Prometheus } from './lib/prometheus.ts';

const fleet = loadFleet();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const JOB = 'fleet-shards';

// A's and B's sockets under more names, so that both shards hold several hosts of every kind.
const hosts: HostEntry[] = [
  hostA(fleet),
  hostB(fleet),
  hostASsh(fleet),
  { name: 'engine-b-unix', url: `unix://${fleet.b.socket}` },
  ...[1, 2, 3, 4].map((i) => ({ name: `alias-${i}`, url: `unix://${fleet.a.socket}`, labels: { alias: String(i) } })),
];
const names = hosts.map((h) => h.name);
const owner = (name: string) => shardOf(name, 2);

const replicas: Exporter[] = [];
let prom: Prometheus | undefined;

before(async () => {
  for (const index of [0, 1]) {
    replicas.push(await startExporter(`shard-${index}`, hosts, {}, { flags: ['--shard.count', '2', '--shard.index', String(index)] }));
  }
  prom = await startPrometheus('shards', {
    global: { scrape_interval: '2s', scrape_timeout: '2s', evaluation_interval: '2s' },
    scrape_configs: [sdProbeJob(JOB, replicas.map((r) => `http://${r.address}/sd`))],
  });
});

after(async () => {
  await prom?.stop();
  for (const r of replicas) if (r.child.exitCode === null) await r.stop();
});

describe('sharding across two replicas', { timeout: 180_000 }, () => {
  test('each replica serves exactly the hosts of its shard, on every endpoint', async () => {
    const mine = [0, 1].map((i) => names.filter((n) => owner(n) === i));
    assert.ok(mine[0]!.length >= 2 && mine[1]!.length >= 2, `both shards hold hosts: ${JSON.stringify(mine)}`);
    for (const [i, r] of replicas.entries()) {
      const sd = JSON.parse((await r.get('/sd')).body) as { targets: string[] }[];
      assert.deepEqual(sd.map((g) => g.targets[0]), mine[i], `replica ${i} /sd`);
      const e = await r.scrape();
      assert.deepEqual(select(e, 'docker_host_up').map((s) => s.labels.host).sort(), [...mine[i]!].sort(), `replica ${i} /metrics`);
      const page = (await r.get('/')).body;
      for (const n of names) assert.equal(page.includes(`>${n}<`), mine[i]!.includes(n), `replica ${i} status page and ${n}`);
      const other = mine[1 - i]![0]!;
      const probe = await r.get(`/probe?target=${other}`);
      assert.equal(probe.status, 400, `replica ${i} does not probe ${other}`);
      assert.match(probe.body, new RegExp(`shard ${1 - i} of 2`));
      assert.equal((await r.get(`/probe?target=${mine[i]![0]}`)).status, 200);
    }
  });

  test('Prometheus scraping both through http_sd sees every host once', async () => {
    let up: Awaited<ReturnType<Prometheus['query']>> = [];
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      up = await prom!.query(`docker_host_up{job="${JOB}"}`);
      if (up.length === names.length && up.every((r) => r.value[1] === '1')) break;
      await sleep(1000);
    }
    assert.deepEqual(up.map((r) => r.metric.host).sort(), [...names].sort(), `every host once\n${prom!.logTail(600)}`);
    assert.ok(up.every((r) => r.value[1] === '1'), JSON.stringify(up));
    // container series: one per container and host, not two
    const twice = await prom!.query(`count by (host, id) (container_info{job="${JOB}"}) > 1`);
    assert.deepEqual(twice, [], 'no container counted twice');
    const perHost = await prom!.query(`count by (host) (container_info{job="${JOB}"})`);
    assert.equal(perHost.length, names.length);
  });
});
