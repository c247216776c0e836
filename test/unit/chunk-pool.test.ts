// metrics/chunk-pool.ts: output buffers kept for the next render.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChunkPool } from '../../src/metrics/chunk-pool.ts';
import { Exposition } from '../../src/metrics/exposition.ts';

test('a body given back is the next render buffers, up to the cap; longer pieces are not kept', () => {
  const pool = new ChunkPool(1024, 3);
  const out = new Exposition(pool);
  for (let i = 0; i < 100; i++) out.sample('m', `i="${i}"`, i);
  const body = out.toChunks();
  assert.ok(body.length >= 2, `${body.length} pieces`);
  const text = Buffer.concat(body).toString();
  pool.give(body);
  assert.equal(pool.size, Math.min(3, body.length));
  const reused = pool.take();
  assert.ok(body.some((p) => p.buffer === reused.buffer), 'one of the body buffers, whole');
  assert.equal(reused.length, 1024);
  pool.give([Buffer.alloc(4096), Buffer.alloc(1024).subarray(512)]);
  assert.equal(pool.size, Math.min(3, body.length) - 1, 'neither a longer buffer nor a piece from the middle of one');
  // a second render into recycled buffers writes the same text
  const again = new Exposition(pool);
  for (let i = 0; i < 100; i++) again.sample('m', `i="${i}"`, i);
  assert.equal(Buffer.concat(again.toChunks()).toString(), text);
});
