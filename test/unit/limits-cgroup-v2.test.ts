// cgroup v2 hosts: the exporter's limits against the files runc writes there (fixtures; this
// machine is cgroup v1, where test/e2e/limits.test.ts reads the real files).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { effectiveLimits } from '../../src/docker/limits.ts';
import { limitsV2 } from '../e2e/lib/cgroup.ts';

interface Case {
  flags: string;
  hostConfig: Record<string, unknown>;
  cgroup: Record<string, string>;
}
const { cases } = JSON.parse(readFileSync(new URL('../fixtures/cgroup-v2-limits.json', import.meta.url), 'utf8')) as { cases: Case[] };
const [defaults] = cases as [Case];
const dir = mkdtempSync(join(tmpdir(), 'dfe-cgroup-v2-'));
after(() => rmSync(dir, { recursive: true, force: true }));

for (const c of cases) {
  test(`cgroup v2: docker run ${c.flags || '(no limit flags)'}`, () => {
    for (const [file, content] of Object.entries({ ...defaults.cgroup, ...c.cgroup })) writeFileSync(join(dir, file), `${content}\n`);
    const kernel = limitsV2(dir);
    const exported = effectiveLimits(c.hostConfig);
    for (const k of ['cpuQuota', 'cpuPeriod', 'memoryBytes', 'memoryReservationBytes', 'memorySwapBytes', 'pids'] as const) {
      assert.deepEqual(exported[k], kernel[k], `${k}: exported ${exported[k]}, cgroup ${kernel[k]}`);
    }
    assert.deepEqual(exported.cpusetCpus, kernel.cpusetInherited ? NaN : kernel.cpusetCpus, 'cpuset');
  });
}
