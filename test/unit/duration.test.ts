import assert from 'node:assert/strict';
import { test } from 'node:test';
import { roundDuration } from '../../src/util/duration.ts';

test('durations in messages are rounded: ms below a second, one decimal of seconds above', () => {
  assert.equal(roundDuration(7196.348276999999), '7.2s');
  assert.equal(roundDuration(57.33333), '57ms');
  assert.equal(roundDuration(999.6), '1s');
  assert.equal(roundDuration(1000), '1s');
  assert.equal(roundDuration(8000), '8s');
  assert.equal(roundDuration(0.2), '0ms');
});
