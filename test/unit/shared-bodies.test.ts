import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SharedBodies } from '../../src/http/shared-bodies.ts';
import type { HostSnapshot } from '../../src/model.ts';

// Identity is all SharedBodies looks at; the contents do not matter here.
const snapshot = (host: string) => ({ host }) as unknown as HostSnapshot;

function counting() {
  let renders = 0;
  return { render: async () => [Buffer.from(`body ${++renders}`)], renders: () => renders };
}

test('the same snapshot objects on the same route share one render while a response holds it', async () => {
  const bodies = new SharedBodies();
  const r = counting();
  const snaps = [snapshot('a'), snapshot('b')];
  const first = bodies.acquire('/metrics', snaps, r.render);
  const second = bodies.acquire('/metrics', [...snaps], r.render); // another array, the same objects
  assert.equal(r.renders(), 1);
  assert.equal(await first.body, await second.body, 'the very same chunks');
  first.release();
  const third = bodies.acquire('/metrics', snaps, r.render); // finished, still being sent by `second`
  assert.equal(r.renders(), 1);
  second.release();
  third.release();
  third.release(); // idempotent: must not release someone else's hold
  assert.equal(bodies.size, 0, 'dropped when no response uses it');
  bodies.acquire('/metrics', snaps, r.render).release();
  assert.equal(r.renders(), 2, 'rendered again once dropped');
});

test('a newer snapshot, another route or another target: a render of its own', () => {
  const bodies = new SharedBodies();
  const r = counting();
  const a = snapshot('a');
  const held = [bodies.acquire('/metrics', [a], r.render), bodies.acquire('/probe?target=a', [a], r.render)];
  assert.equal(r.renders(), 2, 'the route decides what is rendered (self metrics or not)');
  held.push(bodies.acquire('/metrics', [snapshot('a')], r.render));
  assert.equal(r.renders(), 3, 'a different snapshot object: never served an older body');
  held.push(bodies.acquire('/metrics', [a], r.render));
  assert.equal(r.renders(), 4, 'only the newest set is shared');
  for (const h of held) h.release();
  assert.equal(bodies.size, 0);
});

test('a failed render fails its sharers and is not kept', async () => {
  const bodies = new SharedBodies();
  const snaps = [snapshot('a')];
  const lease = bodies.acquire('/metrics', snaps, () => Promise.reject(new Error('bug')));
  const other = bodies.acquire('/metrics', snaps, () => Promise.resolve([]));
  await assert.rejects(lease.body, /bug/);
  await assert.rejects(other.body, /bug/);
  lease.release();
  other.release();
  assert.equal(bodies.size, 0);
});

test('a body is recycled once, when its last response is done with it, replaced or not', async () => {
  const recycled: Buffer[][] = [];
  const bodies = new SharedBodies((b) => recycled.push(b));
  const r = counting();
  const a = snapshot('a');
  const first = bodies.acquire('/metrics', [a], r.render);
  const second = bodies.acquire('/metrics', [a], r.render);
  const newer = bodies.acquire('/metrics', [snapshot('a')], r.render); // replaces it on the route
  first.release();
  first.release();
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(recycled.length, 0, 'still sent by `second`');
  second.release();
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(recycled, [await first.body], 'the replaced body, once');
  newer.release();
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(recycled.length, 2);
});
