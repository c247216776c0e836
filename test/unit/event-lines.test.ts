// The event stream's framing: lines from bytes however they are chunked, and the caps on a
// line's length and nesting (what the follower does at them: event-follower-caps.test.ts).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LineSplitter, nestsDeeperThan } from '../../src/events/lines.ts';

function split(chunks: Buffer[], max = 1024): { lines: string[]; cut: string | undefined } {
  const s = new LineSplitter(max);
  const lines: string[] = [];
  for (const c of chunks) {
    const cut = s.push(c, (l) => lines.push(l.toString('utf8')));
    if (cut) return { lines, cut };
  }
  return { lines, cut: undefined };
}

/** `text` cut into pieces of `n` bytes. */
const pieces = (text: string, n: number): Buffer[] => {
  const b = Buffer.from(text);
  const out: Buffer[] = [];
  for (let i = 0; i < b.length; i += n) out.push(b.subarray(i, i + n));
  return out;
};

describe('LineSplitter', () => {
  test('the same lines however the bytes are chunked, multi-byte characters included', () => {
    const text = 'a\n{"x":"é€😀"}\n\nlast line\n tail';
    for (const n of [1, 2, 3, 5, 7, 1000]) assert.deepEqual(split(pieces(text, n)).lines, ['a', '{"x":"é€😀"}', '', 'last line'], `chunks of ${n}`);
  });

  test('a line over the cap is refused, split or whole; one at the cap passes', () => {
    assert.deepEqual(split(pieces(`${'x'.repeat(16)}\n`, 1), 16).lines, ['x'.repeat(16)]);
    assert.equal(split(pieces(`${'x'.repeat(17)}\n`, 1), 16).cut, 'line_bytes');
    assert.equal(split([Buffer.from(`${'x'.repeat(17)}\n`)], 16).cut, 'line_bytes');
    assert.equal(split([Buffer.from('x'.repeat(10)), Buffer.from(`${'x'.repeat(7)}\nok\n`)], 16).cut, 'line_bytes');
    assert.equal(split(pieces('x'.repeat(17), 4), 16).cut, 'line_bytes', 'without its end');
  });
});

describe('nestsDeeperThan', () => {
  test('counts objects and arrays, not brackets inside strings (escaped quotes included)', () => {
    const line = (d: number) => Buffer.from('['.repeat(d) + ']'.repeat(d));
    assert.equal(nestsDeeperThan(line(32), 32), false);
    assert.equal(nestsDeeperThan(line(33), 32), true);
    assert.equal(nestsDeeperThan(Buffer.from('{"a":{"b":[{}]}}'), 4), false);
    assert.equal(nestsDeeperThan(Buffer.from('{"a":{"b":[{}]}}'), 3), true);
    assert.equal(nestsDeeperThan(Buffer.from(`{"s":"${'['.repeat(100)}\\"${'{'.repeat(100)}"}`), 1), false);
    assert.equal(nestsDeeperThan(Buffer.from(`{"s":"\\\\"${'['.repeat(5)}`), 4), true, 'an escaped backslash ends no string');
  });
});
