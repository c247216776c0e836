// util/backoff.ts: the delays between reconnection attempts (SSH connections, event streams).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Backoff } from '../../src/util/backoff.ts';

test('Backoff doubles from initial up to max, and reset starts over', () => {
  const b = new Backoff(500, 30_000);
  assert.deepEqual(Array.from({ length: 9 }, () => b.next()), [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  b.reset();
  assert.equal(b.next(), 500);
});

test('with jitter, each delay is drawn from the upper half of its range', () => {
  const low = new Backoff(500, 4000, () => 0);
  assert.deepEqual([1, 2, 3, 4, 5].map(() => low.next()), [250, 500, 1000, 2000, 2000]);
  const high = new Backoff(500, 4000, () => 0.999999);
  assert.deepEqual([1, 2, 3, 4, 5].map(() => high.next()), [500, 1000, 2000, 4000, 4000]);
});

test('with Math.random, 200 first delays spread over their whole range', () => {
  const delays = Array.from({ length: 200 }, () => new Backoff(1000, 30_000, Math.random).next());
  assert.ok(Math.min(...delays) < 600 && Math.max(...delays) > 900, `${Math.min(...delays)}..${Math.max(...delays)}`);
  assert.ok(new Set(delays).size > 100, 'not all at the same instants');
});
