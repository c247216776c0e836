// pool.threads' default follows the cores available (measured: docs/performance.md, "The pool's default, by measurement").
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultPoolThreads } from '../../src/config/defaults.ts';

test('the main thread parses with 1-2 cores; above that one worker per core', () => {
  assert.deepEqual([1, 2, 3, 4, 8, 64].map(defaultPoolThreads), [0, 0, 3, 4, 8, 64]);
});
