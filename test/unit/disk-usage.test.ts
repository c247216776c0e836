import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeDiskUsage, DF_LIMITS, DiskUsageDecoder, mountedVolumes } from '../../src/docker/disk-usage.ts';
import type { DiskUsage } from '../../src/model.ts';
import { buildRecord, dfBody, type FakeDisk } from '../support/disk-bodies.ts';
import { containerFrom, sampleContainers } from '../support/stats-bodies.ts';

const MB = 1_000_000;
const id = (c: string) => c.repeat(64);

function decode(body: unknown): DiskUsage {
  const out = decodeDiskUsage(body);
  assert.ok(typeof out !== 'string', String(out));
  return out;
}

// Shapes as dockerd 20.10 (API 1.41) writes them: SizeRw/SizeRootFs left out when 0, -1 for
// what was not computed, null for an empty list.
test('images: SIZE is LayersSize; in-use images keep only what no other image shares', () => {
  const du = decode({
    LayersSize: 300 * MB,
    Images: [
      // base, shared with app: 100 MB; used by a container
      { Id: 'sha256:base', RepoTags: ['base:1'], RepoDigests: [], Size: 100 * MB, SharedSize: 100 * MB, Containers: 1 },
      // app = base + 50 MB of its own; used
      { Id: 'sha256:app', RepoTags: ['app:1'], RepoDigests: [], Size: 150 * MB, SharedSize: 100 * MB, Containers: 2 },
      // unused, nothing shared
      { Id: 'sha256:old', RepoTags: ['<none>:<none>'], RepoDigests: ['<none>@<none>'], Size: 150 * MB, SharedSize: 0, Containers: 0 },
    ],
    Containers: null,
    Volumes: null,
    BuildCache: null,
  });
  // 300 - (100 - 100) - (150 - 100): the unused image and, as the CLI counts it, the shared base.
  assert.deepEqual(du.totals.images, { count: 3, sizeBytes: 300 * MB, reclaimableBytes: 250 * MB });
  assert.equal(du.danglingImages, 1);
});

test('images: -1 (not computed) sizes of an image in use are skipped, as the CLI does; never negative', () => {
  const du = decode({
    LayersSize: 10 * MB,
    Images: [
      { Id: 'a', RepoTags: ['a:1'], Size: -1, SharedSize: 0, Containers: 1 },
      { Id: 'b', RepoTags: ['b:1'], Size: 30 * MB, SharedSize: -1, Containers: 1 },
      { Id: 'c', RepoTags: ['c:1'], Size: 30 * MB, SharedSize: 0, Containers: 1 },
    ],
  });
  assert.equal(du.totals.images.reclaimableBytes, 0, '10 - 30 clamps at 0');
});

test('dangling: no tag and no digest, or only the <none> placeholders; a digest alone is not dangling', () => {
  const du = decode({
    Images: [
      { Id: '1', RepoTags: [], RepoDigests: [] },
      { Id: '2' },
      { Id: '3', RepoTags: ['<none>:<none>'], RepoDigests: ['<none>@<none>'] },
      { Id: '4', RepoTags: ['<none>:<none>'], RepoDigests: ['busybox@sha256:abc'] },
      { Id: '5', RepoTags: ['busybox:1'], RepoDigests: [] },
    ],
  });
  assert.equal(du.danglingImages, 3);
  assert.equal(du.totals.images.count, 5);
});

test('containers: SIZE sums SizeRw; reclaimable is what stopped ones hold; missing SizeRw is 0', () => {
  const du = decode({
    Containers: [
      { Id: id('a'), State: 'running', SizeRw: 20 * MB, SizeRootFs: 120 * MB, Mounts: [{ Type: 'volume', Name: 'data' }, { Type: 'bind', Source: '/etc' }] },
      { Id: id('b'), State: 'exited', SizeRw: 5 * MB, SizeRootFs: 105 * MB, Mounts: [] },
      { Id: id('c'), State: 'paused', SizeRw: 1 * MB },
      { Id: id('d'), State: 'restarting' },
      { Id: id('e'), State: 'created', SizeRootFs: 100 * MB },
      { Id: id('f'), State: 'dead', SizeRw: 2 * MB },
    ],
  });
  assert.deepEqual(du.totals.containers, { count: 6, sizeBytes: 28 * MB, reclaimableBytes: 7 * MB });
  assert.deepEqual(du.containers.get(id('a')), { rwBytes: 20 * MB, rootFsBytes: 120 * MB, volumes: ['data'] });
  assert.deepEqual(du.containers.get(id('e')), { rwBytes: 0, rootFsBytes: 100 * MB, volumes: [] }, 'omitted SizeRw (Go omitempty) is 0');
});

test('volumes: unmeasured (-1) ones count in TOTAL only; reclaimable is what no container references', () => {
  const du = decode({
    Volumes: [
      { Name: 'data', Driver: 'local', UsageData: { Size: 10 * MB, RefCount: 1 } },
      { Name: 'orphan', Driver: 'local', UsageData: { Size: 10 * MB, RefCount: 0 } },
      { Name: 'nfs', Driver: 'nfs', UsageData: { Size: -1, RefCount: 1 } },
      { Name: 'empty', Driver: 'local', UsageData: { Size: 0, RefCount: 0 } },
      { Name: 'no-usage', Driver: 'local' },
    ],
  });
  assert.deepEqual(du.totals.volumes, { count: 5, sizeBytes: 20 * MB, reclaimableBytes: 10 * MB });
  assert.deepEqual([...du.volumes], [['data', 10 * MB], ['orphan', 10 * MB], ['empty', 0]]);
});

test('build cache: shared records counted once; in-use unshared ones are not reclaimable', () => {
  const du = decode({
    BuildCache: [
      { ID: 'a', Type: 'regular', Size: 40 * MB, InUse: false, Shared: false },
      { ID: 'b', Type: 'regular', Size: 30 * MB, InUse: true, Shared: false },
      { ID: 'c', Type: 'source.local', Size: 20 * MB, InUse: true, Shared: true },
      { ID: 'd', Type: 'regular', Size: 10 * MB, InUse: false, Shared: true },
    ],
  });
  assert.deepEqual(du.totals.build_cache, { count: 4, sizeBytes: 70 * MB, reclaimableBytes: 40 * MB });
});

test('an empty daemon: zeros, not NaN', () => {
  const du = decode({ LayersSize: 0, Images: [], Containers: [], Volumes: [], BuildCache: null });
  for (const t of Object.values(du.totals)) assert.deepEqual(t, { count: 0, sizeBytes: 0, reclaimableBytes: 0 });
});

test('bad bodies are named, never thrown', () => {
  assert.equal(decodeDiskUsage([]), 'disk usage is not an object');
  assert.equal(decodeDiskUsage('x'), 'disk usage is not an object');
  assert.match(String(decodeDiskUsage({ Images: {} })), /must be lists/);
  // odd items inside a list count as nothing
  const du = decode({ Images: [null, 3, 'x'], Containers: [null], Volumes: [7], BuildCache: [false] });
  assert.equal(du.totals.images.count, 3);
  assert.equal(du.containers.size, 0);
});

test('mounted volumes: only those of the given containers, largest first, capped', () => {
  const du = decode({
    Containers: [
      { Id: id('a'), State: 'running', Mounts: [{ Type: 'volume', Name: 'big' }, { Type: 'volume', Name: 'small' }] },
      { Id: id('b'), State: 'running', Mounts: [{ Type: 'volume', Name: 'mid' }, { Type: 'volume', Name: 'big' }, { Type: 'volume', Name: 'remote' }] },
      { Id: id('c'), State: 'running', Mounts: [{ Type: 'volume', Name: 'other' }] },
    ],
    Volumes: [
      { Name: 'big', UsageData: { Size: 30, RefCount: 2 } },
      { Name: 'mid', UsageData: { Size: 20, RefCount: 1 } },
      { Name: 'small', UsageData: { Size: 10, RefCount: 1 } },
      { Name: 'other', UsageData: { Size: 99, RefCount: 1 } },
      { Name: 'remote', UsageData: { Size: -1, RefCount: 1 } },
    ],
  });
  assert.deepEqual(mountedVolumes(du, [id('a'), id('b')], 10), { volumes: [['big', 30], ['mid', 20], ['small', 10]], dropped: 0 });
  assert.deepEqual(mountedVolumes(du, [id('a'), id('b')], 2), { volumes: [['big', 30], ['mid', 20]], dropped: 1 });
  assert.deepEqual(mountedVolumes(du, [id('a'), id('b')], 0), { volumes: [], dropped: 3 });
  assert.deepEqual(mountedVolumes(du, [id('z')], 10), { volumes: [], dropped: 0 }, 'a container df does not know has none');
});

/** The body decoded from `bytes` in chunks of `n`, as EngineClient.systemDf feeds it. */
function decodeChunked(text: string, n: number): DiskUsage {
  const d = new DiskUsageDecoder();
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length; i += n) d.write(bytes.subarray(i, i + n));
  return d.end();
}

test('decoded as it arrives: the same figures whatever the chunking, and a truncated or malformed body is refused', () => {
  const containers = sampleContainers(40, { seed: 3 }).map((c) => containerFrom(c));
  const disk: FakeDisk = {
    images: [],
    volumes: [{ name: 'data', size: 5 * MB }, { name: 'logs "quoted" é', size: 7 * MB, refCount: 0 }, { name: 'nfs', size: -1, driver: 'nfs' }],
    buildCache: [buildRecord('a', 3 * MB), buildRecord('b', 2 * MB, { inUse: true }), buildRecord('c', MB, { shared: true })],
    containers: { [containers[0]!.id]: { volumes: ['data', 'logs "quoted" é', 'data'] }, [containers[1]!.id]: { volumes: ['nfs'] } },
  };
  const text = dfBody(containers, disk, { now: 1_700_000_000_000 });
  const whole = decodeChunked(text, 1 << 16);
  assert.equal(whole.totals.containers.count, 40);
  assert.deepEqual(whole.containers.get(containers[0]!.id)!.volumes, ['data', 'logs "quoted" é']);
  assert.equal(whole.volumes.get('logs "quoted" é'), 7 * MB);
  assert.deepEqual(whole, decode(JSON.parse(text)));
  for (const n of [1, 7, 1000]) assert.deepEqual(decodeChunked(text, n), whole, `chunks of ${n}`);
  assert.throws(() => decodeChunked(text.slice(0, -3), 1000), /truncated JSON/);
  assert.throws(() => decodeChunked(text.replace('"Containers":', '"Containers" '), 1000), /not JSON at byte/);
  assert.throws(() => decodeChunked(`{"Images":${'['.repeat(100)}`, 1000), /nested deeper than 64 levels/);
});

test('a body of millions of items keeps nothing per item past the caps: counted in the totals, dropped from the details', () => {
  const items = 1_000_000;
  const empties = decodeChunked(`{"Containers":[${Array.from({ length: items }, () => '{}').join(',')}]}`, 1 << 16);
  assert.equal(empties.totals.containers.count, items);
  assert.equal(empties.containers.size, 0, 'no id, nothing kept');
  const ids = Array.from({ length: DF_LIMITS.containers + 10 }, (_, i) => i.toString(16).padStart(64, '0'));
  const many = decodeChunked(JSON.stringify({ Containers: ids.map((Id) => ({ Id, SizeRw: 1 })), Volumes: ids.map((Name) => ({ Name, UsageData: { Size: 1, RefCount: 0 } })) }), 1 << 16);
  assert.equal(many.containers.size, DF_LIMITS.containers);
  assert.equal(many.volumes.size, DF_LIMITS.volumes);
  assert.deepEqual(many.dropped, { containers: 10, volumes: 10, mounts: 0 });
  assert.equal(many.totals.containers.sizeBytes, ids.length, 'the totals count every item');
  assert.equal(many.totals.volumes.reclaimableBytes, ids.length);
});
