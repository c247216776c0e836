// /system/df bodies shaped to cost the decoder: 60,000 mounts in one container, ids of any
// length. The streaming decoder and its caps: disk-usage.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeDiskUsage } from '../../src/docker/disk-usage.ts';
import type { DiskUsage } from '../../src/model.ts';

const id = (c: string) => c.repeat(64);
/** disk-usage.ts DF_LIMITS.mounts */
const MOUNTS_KEPT = 16_384;

function decode(body: unknown): DiskUsage {
  const out = decodeDiskUsage(body);
  assert.ok(typeof out !== 'string', String(out));
  return out;
}

const cpuUs = (fn: () => void): number => {
  const t0 = process.cpuUsage();
  fn();
  const u = process.cpuUsage(t0);
  return u.user + u.system;
};

test('60,000 mounts in one container: linear in them, and the names kept are capped (the rest counted)', () => {
  const body = (mounts: number): string =>
    JSON.stringify({ Containers: [{ Id: id('a'), State: 'running', Mounts: Array.from({ length: mounts }, (_, i) => ({ Type: 'volume', Name: `v${i}` })) }] });
  // below the cap, where the old per-name includes() made it quadratic
  const [small, large] = [JSON.parse(body(2000)) as unknown, JSON.parse(body(16_000)) as unknown];
  cpuUs(() => decodeDiskUsage(small));
  const t1 = cpuUs(() => decodeDiskUsage(small));
  const t8 = cpuUs(() => decodeDiskUsage(large));
  assert.ok(t8 < t1 * 24, `2,000 mounts: ${t1} us, 16,000: ${t8} us (x${(t8 / t1).toFixed(1)})`);
  const big = decode(JSON.parse(body(60_000)));
  assert.equal(big.containers.get(id('a'))!.volumes.length, MOUNTS_KEPT);
  assert.equal(big.dropped.mounts, 60_000 - MOUNTS_KEPT);
});

test('a container Id that is not 64 hex digits counts in the totals but has no figures of its own', () => {
  const du = decode({ Containers: [{ Id: 'abc', SizeRw: 5 }, { Id: 'x'.repeat(100_000), SizeRw: 6 }, { Id: id('a').toUpperCase(), SizeRw: 7 }] });
  assert.equal(du.containers.size, 0);
  assert.equal(du.totals.containers.sizeBytes, 18);
});
