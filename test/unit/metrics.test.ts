import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { MetricsRenderer } from '../../src/metrics/renderer.ts';
import type { ContainerSnapshot, ContainerState, HostSnapshot, InspectSummary } from '../../src/model.ts';
import { newHistogram, observe } from '../../src/util/histogram.ts';
import { F, FIELD_COUNT } from '../../src/stats/layout.ts';

const inspect = (over: Partial<InspectSummary> = {}): InspectSummary => ({
  restartCount: 2, startedAt: 1_800_000_000, finishedAt: NaN, exitCode: 0, oomKilled: false,
  restartPolicy: 'no',
  limits: { memoryBytes: 67108864, memoryReservationBytes: NaN, memorySwapBytes: NaN, cpuQuota: NaN, cpuPeriod: 100000, cpuShares: 1024, pids: NaN, cpusetCpus: NaN },
  ...over,
});

function container(name: string, state: ContainerState, over: Partial<InspectSummary> = {}, withStats = true): ContainerSnapshot {
  const values = new Float64Array(FIELD_COUNT).fill(NaN);
  values[F.cpuTotalNs] = 2_500_000_000;
  values[F.memUsage] = 1000;
  values[F.memInactiveFile] = 300;
  values[F.memFailcnt] = NaN; // cgroup v2
  values[F.blkReadBytes] = 7;
  return {
    ident: { id: name.padEnd(64, '0'), name, image: 'img:1', imageId: 'sha256:abc', labels: { 'com.docker.compose.project': 'shop', other: 'x' } },
    state,
    inspect: inspect(over),
    stats: withStats ? { values, networks: [{ iface: 'eth0', rxBytes: 10, rxPackets: 1, rxErrors: 0, rxDropped: 0, txBytes: 20, txPackets: 2, txErrors: 0, txDropped: 0 }, { iface: 'eth1', rxBytes: 5, rxPackets: 1, rxErrors: 0, rxDropped: 0, txBytes: 1, txPackets: 1, txErrors: 0, txDropped: 0 }] } : null,
    lastSeen: 1_800_000_100,
  };
}

function host(name: string, containers: ContainerSnapshot[] | null, up = true): HostSnapshot {
  const counters = { listFailed: 1, containerFailed: new Map([['f'.repeat(64), { name: 'flaky', count: 3 }]]), droppedInterfaces: 0, inlineTimeouts: 0, lateProbes: 0, probeDuration: newHistogram(), listDuration: newHistogram(), inspectDuration: newHistogram(), statsDuration: newHistogram() };
  observe(counters.probeDuration, 0.6);
  return { host: name, labels: { dc: 'eu-1' }, up, info: null, containers, snapshotAgeSeconds: containers ? 0 : NaN, containerCount: containers?.length ?? 0, lastSuccess: 1_800_000_100, lastDurationSeconds: 0.6, counters };
}

async function render(hosts: HostSnapshot[]): Promise<string> {
  return new MetricsRenderer(['docker_exporter', 'cadvisor', 'state'], ['com.docker.compose.project'], 'test').render(hosts, false);
}

test('every series carries host and the static labels; values come from the snapshot', async () => {
  const text = await render([host('a', [container('web', 'running')])]);
  assert.match(text, /^docker_container_running_state\{host="a",dc="eu-1",name="web"\} 1$/m);
  assert.match(text, /^container_cpu_usage_seconds_total\{host="a",dc="eu-1",name="web",id="web0+",image="img:1"\} 2\.5$/m);
  assert.match(text, /^container_memory_working_set_bytes\{[^}]*name="web"[^}]*\} 700$/m, 'usage minus inactive file');
  assert.match(text, /^docker_container_network_in_bytes\{host="a",dc="eu-1",name="web"\} 15$/m, 'summed over interfaces');
  assert.match(text, /^container_network_receive_bytes_total\{[^}]*interface="eth1"\} 5$/m, 'per interface');
  assert.match(text, /^container_info\{[^}]*image_id="sha256:abc",container_label_com_docker_compose_project="shop"\} 1$/m);
  assert.doesNotMatch(text, /container_label_other/, 'only allow-listed labels');
  assert.doesNotMatch(text, /^container_memory_failcnt\{/m, 'NaN writes no series (cgroup v2 has no failcnt)');
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    assert.match(line, /\{host="a",dc="eu-1"/, `series without host: ${line}`);
  }
});

test('running_state: restarting is 0.5 (the seed tested Running first and never showed it)', async () => {
  const text = await render([host('a', [container('r', 'restarting', {}, false), container('x', 'exited', { exitCode: 3 }, false)])]);
  assert.match(text, /^docker_container_running_state\{[^}]*name="r"\} 0\.5$/m);
  assert.match(text, /^docker_container_running_state\{[^}]*name="x"\} 0$/m);
  assert.match(text, /^container_exit_code\{[^}]*name="x"[^}]*\} 3$/m);
  assert.match(text, /^container_state\{[^}]*name="r"[^}]*state="restarting"\} 1$/m);
  assert.match(text, /^container_state\{[^}]*name="r"[^}]*state="running"\} 0$/m);
  assert.doesNotMatch(text, /^container_cpu_usage_seconds_total\{[^}]*name="x"/m, 'a stopped container has no stats series');
  assert.match(text, /^docker_container_restart_count\{[^}]*name="x"\} 2$/m, 'but keeps its state series');
});

test('health: a state set, and no series without a healthcheck', async () => {
  const text = await render([host('a', [container('h', 'running', { health: 'unhealthy' }), container('n', 'running')])]);
  assert.match(text, /^container_health_status\{[^}]*name="h"[^}]*status="unhealthy"\} 1$/m);
  assert.match(text, /^container_health_status\{[^}]*name="h"[^}]*status="healthy"\} 0$/m);
  assert.doesNotMatch(text, /^container_health_status\{[^}]*name="n"/m);
});

test('a host whose list failed shows up=0 and no container series', async () => {
  const text = await render([host('a', [container('web', 'running')]), host('b', null, false)]);
  assert.match(text, /^docker_host_up\{host="b",dc="eu-1"\} 0$/m);
  assert.doesNotMatch(text, /^container_\w+\{host="b"/m);
  assert.match(text, /^container_info\{host="a"/m);
});

test('label values are escaped', async () => {
  const c = container('we"ird\\name\nx', 'running');
  const text = await render([host('a', [c])]);
  assert.match(text, /name="we\\"ird\\\\name\\nx"/);
});

test('the exposition, self metrics included, passes promtool check metrics', async () => {
  const renderer = new MetricsRenderer(['docker_exporter', 'cadvisor', 'state'], ['com.docker.compose.project'], 'test');
  const text = await renderer.render([host('a', [container('web', 'running', { health: 'healthy' }), container('x', 'exited', {}, false)]), host('b', null, false)], true);
  assert.match(text, /^docker_fleet_exporter_build_info\{version="test",nodejs="v\d+/m);
  assert.match(text, /^process_cpu_seconds_total /m);
  execFileSync('promtool', ['check', 'metrics'], { input: text });
});

test('limits: a series only where the kernel has a limit; period always; restart policy as info', async () => {
  const limited = container('lim', 'running', { restartPolicy: 'on-failure', limits: { memoryBytes: 67108864, memoryReservationBytes: NaN, memorySwapBytes: 134217728, cpuQuota: 50000, cpuPeriod: 100000, cpuShares: 1024, pids: 50, cpusetCpus: 1 } });
  const text = await render([host('a', [limited, container('free', 'running')])]);
  assert.match(text, /^container_spec_cpu_quota\{[^}]*name="lim"[^}]*\} 50000$/m);
  assert.doesNotMatch(text, /^container_spec_cpu_quota\{[^}]*name="free"/m, 'no quota: no series (a 0 would read as "no CPU allowed")');
  assert.match(text, /^container_spec_cpu_period\{[^}]*name="free"[^}]*\} 100000$/m, 'the kernel default period');
  assert.match(text, /^container_spec_pids_limit\{[^}]*name="lim"[^}]*\} 50$/m);
  assert.doesNotMatch(text, /^container_spec_pids_limit\{[^}]*name="free"/m);
  assert.match(text, /^container_spec_cpuset_cpus\{[^}]*name="lim"[^}]*\} 1$/m);
  assert.match(text, /^container_spec_memory_swap_limit_bytes\{[^}]*name="lim"[^}]*\} 134217728$/m);
  assert.doesNotMatch(text, /^container_spec_memory_reservation_limit_bytes\{/m);
  assert.match(text, /^container_restart_policy_info\{host="a",dc="eu-1",name="lim",id="lim0+",policy="on-failure"\} 1$/m);
  assert.match(text, /^container_restart_policy_info\{[^}]*name="free"[^}]*policy="no"\} 1$/m);
});
