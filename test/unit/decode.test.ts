import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeInspect, decodeList, dockerTime, healthMarker, uptimeUpperBound } from '../../src/docker/decode.ts';
import { chooseApiVersion } from '../../src/docker/engine-client.ts';
import type { ContainerLimits } from '../../src/model.ts';

const ID = 'a'.repeat(64);

test('list: display name is the first name without "/", else the first 12 chars of the id', () => {
  const out = decodeList([
    { Id: ID, Names: ['/web', '/alias'], Image: 'nginx', ImageID: 'sha256:1', State: 'running', Status: 'Up 1 second', Labels: { a: 'b', n: 3 } },
    { Id: 'b'.repeat(64), Names: [], State: 'exited' },
    { Id: 'c'.repeat(64), Names: ['/  '], State: 'weird' },
    { Names: ['/no-id'] },
  ]);
  assert.ok(typeof out !== 'string');
  const entries = out.entries;
  assert.deepEqual(entries.map((e) => e.name), ['web', 'bbbbbbbbbbbb', 'cccccccccccc']);
  assert.deepEqual(entries[0]!.labels, { a: 'b' }, 'non-string label values are dropped');
  assert.equal(entries[2]!.state, 'dead', 'an unknown state is not passed through');
});

test('list: the name is picked as the docker CLI does, not a legacy link alias', () => {
  const names = (n: unknown) => {
    const out = decodeList([{ Id: ID, Names: n, State: 'running' }]);
    assert.ok(typeof out !== 'string');
    return out.entries[0]!.name;
  };
  assert.equal(names(['/db/web_alias', '/web']), 'web', 'the alias of a link comes first in Names here');
  assert.equal(names(['/web', '/db/web_alias']), 'web');
  assert.equal(names(['/a/b', '/c/d']), 'a/b', 'no plain name: the first');
  assert.equal(names(['', '/x']), 'x');
  assert.equal(names('not a list'), 'aaaaaaaaaaaa');
});

test('list: a repeated id is dropped, the first entry wins, and it is counted', () => {
  const out = decodeList([
    { Id: ID, Names: ['/first'], State: 'running' },
    { Id: 'b'.repeat(64), Names: ['/other'], State: 'running' },
    { Id: ID, Names: ['/second'], State: 'exited' },
    { Id: ID, Names: ['/third'], State: 'exited' },
  ]);
  assert.ok(typeof out !== 'string');
  assert.deepEqual(out.entries.map((e) => [e.name, e.state]), [['first', 'running'], ['other', 'running']]);
  assert.equal(out.duplicates, 2);
});

test('list: a body that is not an array is an error value, not an exception', () => {
  assert.equal(typeof decodeList({ message: 'nope' }), 'string');
});

test('inspect: fields, zero times and missing health', () => {
  const s = decodeInspect({
    RestartCount: 4,
    State: { StartedAt: '2026-11-28T10:00:00.5Z', FinishedAt: '0001-01-01T00:00:00Z', ExitCode: 3, OOMKilled: true },
    HostConfig: { Memory: 67108864, MemoryReservation: 0, MemorySwap: -1, CpuQuota: 50000, CpuPeriod: 100000, CpuShares: 512 },
  });
  assert.equal(s.restartCount, 4);
  assert.equal(s.startedAt, Date.parse('2026-11-28T10:00:00.5Z') / 1000);
  assert.ok(Number.isNaN(s.finishedAt));
  assert.equal(s.exitCode, 3);
  assert.equal(s.oomKilled, true);
  assert.equal(s.health, undefined);
  assert.equal(s.limits.memoryBytes, 67108864);
  assert.ok(Number.isNaN(s.limits.memorySwapBytes), 'MemorySwap -1: unlimited, no series');
  assert.equal(s.restartPolicy, 'no', 'no RestartPolicy: "no", as Docker defaults');
  assert.equal(decodeInspect({ State: { Health: { Status: 'unhealthy' } } }).health, 'unhealthy');
  assert.equal(decodeInspect({ State: { Health: { Status: 'none' } } }).health, undefined);
  assert.ok(Number.isNaN(decodeInspect(null).restartCount), 'garbage gives NaN, not a throw');
});

test('dockerTime: Docker zero time and garbage are NaN', () => {
  assert.ok(Number.isNaN(dockerTime('0001-01-01T00:00:00Z')));
  assert.ok(Number.isNaN(dockerTime('yesterday')));
  assert.equal(dockerTime('1970-01-01T00:01:00Z'), 60);
});

test('health marker of a list Status', () => {
  assert.equal(healthMarker('Up 2 minutes (healthy)'), 'healthy');
  assert.equal(healthMarker('Up 2 seconds (health: starting)'), 'health: starting');
  assert.equal(healthMarker('Up 2 minutes'), '');
});

test('uptime upper bound reads Docker human durations', () => {
  assert.equal(uptimeUpperBound('Up Less than a second'), 1);
  assert.equal(uptimeUpperBound('Up 1 second'), 2);
  assert.equal(uptimeUpperBound('Up 45 seconds (healthy)'), 46);
  assert.equal(uptimeUpperBound('Up About a minute'), 120);
  assert.equal(uptimeUpperBound('Up 5 minutes'), 360);
  assert.equal(uptimeUpperBound('Up About an hour'), 7200);
  assert.equal(uptimeUpperBound('Up 3 days'), 4 * 86400);
  assert.equal(uptimeUpperBound('Up 2 minutes (Paused)'), 180);
  assert.equal(uptimeUpperBound('Exited (0) 3 seconds ago'), Infinity);
});

test('API version: the daemon\'s, capped at ours, never below its minimum', () => {
  assert.equal(chooseApiVersion('1.41', '1.12'), '1.41');
  assert.equal(chooseApiVersion('1.99', '1.24'), '1.51');
  assert.equal(chooseApiVersion('1.99', '1.60'), '1.60', 'a future daemon that refuses our newest version');
  assert.equal(chooseApiVersion('garbage', ''), '1.51');
});

describe('limits as the kernel applies them (HostConfig -> cgroup)', () => {
  // Each case: what `docker run` flags write into HostConfig on API 1.43, and what the cgroup
  // then holds (v1: cpu.cfs_quota_us/cfs_period_us, memory.*limit_in_bytes, memory.memsw.*,
  // pids.max, cpuset.cpus; v2: cpu.max, memory.max, memory.low, memory.swap.max + memory.max, pids.max).
  const none = { Memory: 0, MemoryReservation: 0, MemorySwap: 0, NanoCpus: 0, CpuQuota: 0, CpuPeriod: 0, CpuShares: 0, PidsLimit: null, CpusetCpus: '' };
  const cases: [string, Record<string, unknown>, Partial<ContainerLimits>][] = [
    ['no flags', {}, { cpuQuota: NaN, cpuPeriod: 100000, cpuShares: 1024, memoryBytes: NaN, memorySwapBytes: NaN, pids: NaN, cpusetCpus: NaN }],
    ['--cpus 0.5', { NanoCpus: 500_000_000 }, { cpuQuota: 50000, cpuPeriod: 100000 }],
    ['--cpus 1.5', { NanoCpus: 1_500_000_000 }, { cpuQuota: 150000, cpuPeriod: 100000 }],
    ['--cpu-quota 25000 (no period)', { CpuQuota: 25000 }, { cpuQuota: 25000, cpuPeriod: 100000 }],
    ['--cpu-quota 20000 --cpu-period 50000', { CpuQuota: 20000, CpuPeriod: 50000 }, { cpuQuota: 20000, cpuPeriod: 50000 }],
    ['--cpu-period 50000 alone: no quota, but the period applies', { CpuPeriod: 50000 }, { cpuQuota: NaN, cpuPeriod: 50000 }],
    ['--cpu-quota -1 is no quota', { CpuQuota: -1 }, { cpuQuota: NaN, cpuPeriod: 100000 }],
    ['--cpu-shares 512', { CpuShares: 512 }, { cpuShares: 512 }],
    ['--memory 64m (default swap: as much again)', { Memory: 67108864 }, { memoryBytes: 67108864, memorySwapBytes: 134217728 }],
    ['--memory 64m --memory-swap -1', { Memory: 67108864, MemorySwap: -1 }, { memoryBytes: 67108864, memorySwapBytes: NaN }],
    ['--memory 64m --memory-swap 100m', { Memory: 67108864, MemorySwap: 104857600 }, { memorySwapBytes: 104857600 }],
    ['--memory-reservation 32m', { MemoryReservation: 33554432 }, { memoryReservationBytes: 33554432, memoryBytes: NaN }],
    ['--pids-limit 50', { PidsLimit: 50 }, { pids: 50 }],
    ['--pids-limit -1', { PidsLimit: -1 }, { pids: NaN }],
    ['PidsLimit 0 (API < 1.41 meaning unlimited)', { PidsLimit: 0 }, { pids: NaN }],
    ['--cpuset-cpus 0', { CpusetCpus: '0' }, { cpusetCpus: 1 }],
    ['--cpuset-cpus 0-2,4', { CpusetCpus: '0-2,4' }, { cpusetCpus: 4 }],
  ];
  for (const [what, hc, want] of cases) {
    test(what, () => {
      const got = decodeInspect({ HostConfig: { ...none, ...hc } }).limits;
      for (const [k, v] of Object.entries(want)) assert.deepEqual(got[k as keyof ContainerLimits], v, `${what}: ${k}`);
    });
  }
  test('garbage fields give no limit, not a throw', () => {
    const got = decodeInspect({ HostConfig: { Memory: 'lots', NanoCpus: {}, CpusetCpus: 'a-b', PidsLimit: 'x' } }).limits;
    assert.ok(Number.isNaN(got.memoryBytes) && Number.isNaN(got.cpuQuota) && Number.isNaN(got.cpusetCpus) && Number.isNaN(got.pids));
    assert.equal(got.cpuPeriod, 100000);
  });
  test('restart policy', () => {
    assert.equal(decodeInspect({ HostConfig: { RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 } } }).restartPolicy, 'on-failure');
  });
});
