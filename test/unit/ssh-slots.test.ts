// transport/ssh/slots.ts: the bound on channels open on one SSH connection.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Slots } from '../../src/transport/ssh/slots.ts';

const T = { timeout: 15_000 };

test('Slots: FIFO waiters, releases are idempotent, failWaiting rejects the queue', T, async () => {
  const s = new Slots(2);
  const r1 = await s.acquire();
  await s.acquire();
  const order: number[] = [];
  const w3 = s.acquire().then((r) => (order.push(3), r));
  const w4 = s.acquire().then((r) => (order.push(4), r));
  assert.equal(s.waiting, 2);
  r1();
  r1(); // a second release must not free a second slot
  await w3;
  assert.equal(s.waiting, 1);
  assert.equal(s.inUse, 2);
  s.failWaiting(new Error('gone'));
  await assert.rejects(w4, { message: 'gone' });
  assert.deepEqual(order, [3]);
  assert.throws(() => new Slots(0), /maxInFlight must be a positive integer/);
});
