// The fake daemon's GET /system/df, read through the exporter's own client and decoder.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { DiskUsage } from '../../src/model.ts';
import { decodeVersion, EngineClient } from '../../src/docker/engine-client.ts';
import { createTcpTransport } from '../../src/transport/tcp.ts';
import { buildRecord } from '../support/disk-bodies.ts';
import { startFakeEngine, type FakeEngine } from '../support/fake-engine.ts';

const MB = 1_000_000;
let engine: FakeEngine;
let client: EngineClient;

before(async () => {
  engine = await startFakeEngine({
    containers: [
      { name: 'web', image: 'nginx:1.25', state: 'running' },
      { name: 'worker', image: 'nginx:1.25', state: 'exited' },
      { name: 'db', image: 'postgres:16', state: 'running' },
    ],
  });
  engine.disk.containers = { web: { sizeRw: 20 * MB, volumes: ['html'] }, worker: { sizeRw: 3 * MB }, db: { sizeRw: 0, volumes: ['pgdata'] } };
  engine.disk.volumes = [
    { name: 'html', size: 2 * MB },
    { name: 'pgdata', size: 50 * MB },
    { name: 'orphan', size: 10 * MB },
  ];
  engine.disk.images = [{ id: `sha256:${'e'.repeat(64)}`, repoTags: [], repoDigests: [], size: 10 * MB, sharedSize: 0, createdAt: Date.now() }];
  engine.disk.buildCache = [buildRecord('a', 7 * MB), buildRecord('b', 1 * MB, { inUse: true })];
  client = new EngineClient(createTcpTransport('127.0.0.1', engine.port!, undefined, 4));
  client.negotiate(decodeVersion(await client.getJson('/version', 5000, 'daemon', false)));
});
after(async () => {
  client.close();
  await engine.close();
});

function df(): Promise<DiskUsage> {
  return client.systemDf(5000);
}

test('df reports the store containers, their images, and what the test added', async () => {
  const du = await df();
  const web = engine.containers.get('web')!;
  const db = engine.containers.get('db')!;
  assert.equal(du.containers.get(web.id)?.rwBytes, 20 * MB);
  assert.deepEqual(du.containers.get(db.id), { rwBytes: 0, rootFsBytes: du.containers.get(db.id)!.rootFsBytes, volumes: ['pgdata'] });
  assert.ok(du.containers.get(db.id)!.rootFsBytes >= 5 * MB, 'rootfs = its image');
  assert.deepEqual(du.totals.containers, { count: 3, sizeBytes: 23 * MB, reclaimableBytes: 3 * MB });
  assert.deepEqual(du.totals.volumes, { count: 3, sizeBytes: 62 * MB, reclaimableBytes: 10 * MB });
  assert.equal(du.totals.images.count, 3, 'nginx, postgres and the dangling one');
  assert.equal(du.danglingImages, 1);
  assert.equal(du.totals.images.reclaimableBytes, 10 * MB, 'only the unused image (nothing shared)');
  assert.deepEqual(du.totals.build_cache, { count: 2, sizeBytes: 8 * MB, reclaimableBytes: 7 * MB });
  assert.equal(engine.requests.byKind.df, 1);
});

test('type= limits the answer from API 1.42 on (the fake speaks 1.43)', async () => {
  const body = (await client.getJson('/system/df?type=volume', 5000, 'df')) as Record<string, unknown>;
  assert.deepEqual(Object.keys(body), ['Volumes']);
});

test('a slow walk: a second df meanwhile is refused as dockerd 20.10 refuses it', async () => {
  engine.dfDelayMs = 300;
  try {
    const first = client.systemDf(5000);
    await new Promise((r) => setTimeout(r, 50));
    await assert.rejects(client.systemDf(5000), /HTTP 500: a disk usage operation is already running/);
    const start = performance.now();
    await first;
    assert.ok(performance.now() - start > 100, 'the first one waited for the walk');
  } finally {
    engine.dfDelayMs = 0;
  }
});
