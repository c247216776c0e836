// util/turns.ts: a burst of requests, or of work, spread over event-loop turns.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { requestTurn, workTurn } from '../../src/util/turns.ts';
import { countTurns } from '../support/turns.ts';

test('requestTurn lets at most 32 requests start per event-loop turn, first come first served', async () => {
  // let any turn left over from another test end first
  for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
  const turns = countTurns();
  const started: [number, number][] = [];
  await Promise.all(
    Array.from({ length: 100 }, async (_, i) => {
      await requestTurn();
      started.push([i, turns.now]);
    }),
  );
  turns.stop();
  assert.deepEqual(started.map(([i]) => i), Array.from({ length: 100 }, (_, i) => i), 'in order');
  const perTurn = new Map<number, number>();
  for (const [, t] of started) perTurn.set(t, (perTurn.get(t) ?? 0) + 1);
  assert.ok(Math.max(...perTurn.values()) <= 32, `at most 32 per turn: ${JSON.stringify([...perTurn])}`);
  assert.ok(perTurn.size >= 4, `100 requests took at least 4 turns: ${JSON.stringify([...perTurn])}`);
});

test('workTurn grants about 5 ms of synchronous work per turn, however few take it', async () => {
  for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
  const turns = countTurns();
  const spin = (ms: number): void => {
    for (const end = performance.now() + ms; performance.now() < end; );
  };
  const seen: number[] = [];
  await Promise.all(
    Array.from({ length: 20 }, async () => {
      await workTurn();
      seen.push(turns.now);
      spin(2);
    }),
  );
  turns.stop();
  const perTurn = new Map<number, number>();
  for (const t of seen) perTurn.set(t, (perTurn.get(t) ?? 0) + 1);
  // 2 ms each: the third passes 5 ms, so a turn holds at most 3 (40 ms in all, never in one turn)
  assert.ok(Math.max(...perTurn.values()) <= 3, `at most 3 of 2 ms per turn: ${JSON.stringify([...perTurn])}`);
  assert.ok(perTurn.size >= 7, `20 took at least 7 turns: ${JSON.stringify([...perTurn])}`);
});
