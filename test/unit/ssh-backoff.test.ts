// transport/ssh/backoff.ts: the delays between reconnection attempts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Backoff } from '../../src/transport/ssh/backoff.ts';

test('Backoff doubles from initial up to max, and reset starts over', () => {
  const b = new Backoff(500, 30_000);
  assert.deepEqual(Array.from({ length: 9 }, () => b.next()), [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  b.reset();
  assert.equal(b.next(), 500);
});
