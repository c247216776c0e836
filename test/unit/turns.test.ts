// util/turns.ts: a burst of requests spread over event-loop turns.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { requestTurn } from '../../src/util/turns.ts';

test('requestTurn lets at most 32 requests start per event-loop turn, first come first served', async () => {
  // let any turn left over from another test end first
  for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
  let turn = 0;
  let counting = true;
  const tick = (): void => {
    turn++;
    if (counting) setImmediate(tick);
  };
  setImmediate(tick);
  const started: [number, number][] = [];
  await Promise.all(
    Array.from({ length: 100 }, async (_, i) => {
      await requestTurn();
      started.push([i, turn]);
    }),
  );
  counting = false;
  assert.deepEqual(started.map(([i]) => i), Array.from({ length: 100 }, (_, i) => i), 'in order');
  const perTurn = new Map<number, number>();
  for (const [, t] of started) perTurn.set(t, (perTurn.get(t) ?? 0) + 1);
  assert.ok(Math.max(...perTurn.values()) <= 32, `at most 32 per turn: ${JSON.stringify([...perTurn])}`);
  assert.ok(perTurn.size >= 4, `100 requests took at least 4 turns: ${JSON.stringify([...perTurn])}`);
});
