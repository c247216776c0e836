import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { hostKey, jumpHash, ownedHosts, shardOf, shardProblem } from '../../src/config/shard.ts';

const names = Array.from({ length: 10_000 }, (_, i) => `host-${i}.example`);

describe('jump consistent hash', () => {
  test('matches the published implementations', () => {
    // ClickHouse's jumpConsistentHash test (00580_consistent_hashing_functions) and the
    // Python/Rust ports' documented values.
    assert.equal(jumpHash(1n, 1), 0);
    assert.equal(jumpHash(42n, 57), 43);
    assert.equal(jumpHash(256n, 1024), 520);
    assert.equal(jumpHash(3735883980n, 1), 0);
    assert.equal(jumpHash(3735883980n, 666), 361);
    assert.equal(jumpHash(16045690984833335023n, 255), 237);
    assert.equal(jumpHash(1n, 60), 55);
    assert.equal(jumpHash(2n, 60), 46);
  });

  test('the key is the first 8 bytes of sha256 of the name', () => {
    // sha256("local") = 25bf8e1a2393f1108d37029b3df5593236c755742ec93465bbafa9b290bddcf6
    assert.equal(hostKey('local'), 0x25bf8e1a2393f110n);
  });
});

describe('shards', () => {
  test('every host is in exactly one of N replicas, and the split is even', () => {
    for (const count of [1, 2, 3, 7]) {
      const seen = new Map<string, number>();
      const sizes: number[] = [];
      for (let index = 0; index < count; index++) {
        const mine = ownedHosts(names.map((name) => ({ name })), { count, index });
        sizes.push(mine.length);
        for (const h of mine) seen.set(h.name, (seen.get(h.name) ?? 0) + 1);
      }
      assert.equal(seen.size, names.length, `count ${count}`);
      assert.ok([...seen.values()].every((n) => n === 1), `count ${count}: a host in two replicas`);
      // within 10% of the mean (10,000 names: the binomial's sd is about 1% of it)
      for (const n of sizes) assert.ok(Math.abs(n - names.length / count) < names.length / count / 10, `count ${count}: ${sizes.join(', ')}`);
    }
  });

  test('going from 2 to 3 replicas moves about a third of the hosts, all to the new one (mod N: two thirds)', () => {
    let jumpMoved = 0;
    let toNew = 0;
    let modMoved = 0;
    for (const name of names) {
      const before = shardOf(name, 2);
      const now = shardOf(name, 3);
      if (before !== now) {
        jumpMoved++;
        if (now === 2) toNew++;
      }
      const h = hostKey(name);
      if (h % 2n !== h % 3n) modMoved++;
    }
    const share = (n: number) => n / names.length;
    // measured: jump 0.341, mod 0.665
    assert.ok(Math.abs(share(jumpMoved) - 1 / 3) < 0.02, `jump moved ${share(jumpMoved)}`);
    assert.equal(toNew, jumpMoved, 'a host that moves goes to the new replica');
    assert.ok(Math.abs(share(modMoved) - 2 / 3) < 0.02, `mod moved ${share(modMoved)}`);
  });

  test('bad settings are named', () => {
    assert.equal(shardProblem({ count: 2, index: 1 }), undefined);
    assert.match(shardProblem({ count: 0, index: 0 }) ?? '', /count must be an integer of 1 or more, got 0/);
    assert.match(shardProblem({ count: 2, index: 2 }) ?? '', /index must be an integer from 0 to 1 .*got 2/);
    assert.match(shardProblem({ count: 2, index: -1 }) ?? '', /got -1/);
    assert.match(shardProblem({ count: 2.5, index: 0 }) ?? '', /count/);
  });
});
