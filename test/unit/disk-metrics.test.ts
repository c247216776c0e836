// The disk figures of a snapshot as the host and cadvisor families render them.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { decodeDiskUsage } from '../../src/docker/disk-usage.ts';
import { MetricsRenderer } from '../../src/metrics/renderer.ts';
import type { ContainerSnapshot, DiskSnapshot, HostSnapshot } from '../../src/model.ts';
import { newHistogram } from '../../src/util/histogram.ts';

const MB = 1_000_000;
const ID = 'a'.repeat(64);

function container(id: string, name: string): ContainerSnapshot {
  return {
    ident: { id, name, image: 'img:1', imageId: 'sha256:abc', labels: {} },
    state: 'running',
    inspect: { restartCount: 0, startedAt: 1.8e9, finishedAt: NaN, exitCode: 0, oomKilled: false, restartPolicy: 'no', limits: { memoryBytes: NaN, memoryReservationBytes: NaN, memorySwapBytes: NaN, cpuQuota: NaN, cpuPeriod: 100000, cpuShares: 1024, pids: NaN, cpusetCpus: NaN } },
    stats: null,
    lastSeen: 1.8e9,
  };
}

function host(name: string, containers: ContainerSnapshot[] | null, disk?: DiskSnapshot): HostSnapshot {
  const counters = { listFailed: 0, containerFailed: new Map(), droppedInterfaces: 0, inlineTimeouts: 0, lateProbes: 0, probeDuration: newHistogram(), listDuration: newHistogram(), inspectDuration: newHistogram(), statsDuration: newHistogram() };
  const snap: HostSnapshot = { host: name, labels: { dc: 'x' }, up: true, info: null, containers, snapshotAgeSeconds: 0, containerCount: containers?.length ?? 0, lastSuccess: 1.8e9, lastDurationSeconds: 0.1, counters };
  return disk ? { ...snap, disk } : snap;
}

const usage = () => {
  const u = decodeDiskUsage({
    LayersSize: 60 * MB,
    Images: [{ Id: 'i1', RepoTags: ['img:1'], Size: 50 * MB, SharedSize: 0, Containers: 1 }, { Id: 'i2', Size: 10 * MB, SharedSize: 0, Containers: 0 }],
    Containers: [{ Id: ID, State: 'running', SizeRw: 20 * MB, SizeRootFs: 70 * MB, Mounts: [{ Type: 'volume', Name: 'we"ird' }] }],
    Volumes: [{ Name: 'we"ird', UsageData: { Size: 5 * MB, RefCount: 1 } }, { Name: 'orphan', UsageData: { Size: MB, RefCount: 0 } }],
    BuildCache: [{ ID: 'b', Size: 2 * MB, InUse: false, Shared: false }],
  });
  assert.ok(typeof u !== 'string');
  return u;
};

async function render(hosts: HostSnapshot[], families = ['docker_exporter', 'cadvisor', 'state'], self = false): Promise<string> {
  return new MetricsRenderer(families, [], 'test').render(hosts, self);
}

test('host figures by type, counts, age, failures and mounted volumes; container sizes in cadvisor', async () => {
  const disk: DiskSnapshot = { usage: usage(), ageSeconds: 12.5, failures: 2, volumes: [['we"ird', 5 * MB]] };
  const text = await render([host('a', [container(ID, 'web')], disk)]);
  const hl = 'host="a",dc="x"';
  const want = [
    `docker_host_disk_usage_bytes{${hl},type="images"} 60000000`,
    `docker_host_disk_reclaimable_bytes{${hl},type="images"} 10000000`,
    `docker_host_disk_usage_bytes{${hl},type="containers"} 20000000`,
    `docker_host_disk_reclaimable_bytes{${hl},type="containers"} 0`,
    `docker_host_disk_usage_bytes{${hl},type="volumes"} 6000000`,
    `docker_host_disk_reclaimable_bytes{${hl},type="volumes"} 1000000`,
    `docker_host_disk_usage_bytes{${hl},type="build_cache"} 2000000`,
    `docker_host_disk_reclaimable_bytes{${hl},type="build_cache"} 2000000`,
    `docker_host_images{${hl}} 2`,
    `docker_host_dangling_images{${hl}} 1`,
    `docker_host_volumes{${hl}} 2`,
    `docker_host_disk_usage_age_seconds{${hl}} 12.5`,
    `docker_host_disk_usage_failures_total{${hl}} 2`,
    `docker_volume_usage_bytes{${hl},volume="we\\"ird"} 5000000`,
    `container_fs_usage_bytes{${hl},name="web",id="${ID}",image="img:1"} 20000000`,
    `container_fs_rootfs_bytes{${hl},name="web",id="${ID}",image="img:1"} 70000000`,
  ];
  const lines = new Set(text.split('\n'));
  for (const line of want) assert.ok(lines.has(line), `missing: ${line}`);
  assert.match(text, /^# TYPE docker_host_disk_usage_failures_total counter$/m);
  assert.match(text, /^# TYPE container_fs_usage_bytes gauge$/m);
});

test('before the first walk succeeded: failures only; with disk usage off: no disk series at all', async () => {
  const pending: DiskSnapshot = { usage: null, ageSeconds: NaN, failures: 3, volumes: [] };
  const text = await render([host('a', [container(ID, 'web')], pending), host('off', [container('b'.repeat(64), 'db')])]);
  assert.match(text, /^docker_host_disk_usage_failures_total\{host="a",dc="x"\} 3$/m);
  assert.doesNotMatch(text, /^(docker_host_disk_usage_bytes|docker_host_disk_usage_age_seconds|docker_host_images|container_fs_usage_bytes)\{/m);
  assert.doesNotMatch(text, /^docker_host_disk_\w+\{host="off"/m);
});

test('a container the last walk did not know (new since) has no size series', async () => {
  const disk: DiskSnapshot = { usage: usage(), ageSeconds: 1, failures: 0, volumes: [] };
  const text = await render([host('a', [container(ID, 'web'), container('c'.repeat(64), 'newer')], disk)]);
  assert.match(text, /^container_fs_usage_bytes\{[^}]*name="web"/m);
  assert.doesNotMatch(text, /^container_fs_usage_bytes\{[^}]*name="newer"/m);
});

test('without the cadvisor family: host figures stay, container sizes go', async () => {
  const disk: DiskSnapshot = { usage: usage(), ageSeconds: 1, failures: 0, volumes: [] };
  const text = await render([host('a', [container(ID, 'web')], disk)], ['state']);
  assert.match(text, /^docker_host_disk_usage_bytes\{/m);
  assert.doesNotMatch(text, /container_fs_usage_bytes/);
});

test('passes promtool check metrics', async () => {
  const disk: DiskSnapshot = { usage: usage(), ageSeconds: 1, failures: 0, volumes: [['we"ird', 5 * MB]] };
  const text = await render([host('a', [container(ID, 'web')], disk), host('b', null, { usage: null, ageSeconds: NaN, failures: 1, volumes: [] })], ['docker_exporter', 'cadvisor', 'state'], true);
  execFileSync('promtool', ['check', 'metrics'], { input: text });
});
