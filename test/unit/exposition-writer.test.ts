import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Exposition } from '../../src/metrics/exposition.ts';

test('the byte writer keeps UTF-8 label values and line order across its 256 KB chunks', () => {
  const out = new Exposition();
  out.family('m_total', 'counter', 'help with \\ and\nnewline');
  const expected: string[] = [];
  for (let i = 0; i < 20_000; i++) {
    // non-ASCII on some lines: the utf8 path, and chunk boundaries land at varied offsets
    const labels = `host="h",name="c-${i}${i % 7 === 0 ? '-é中🙂' : ''}"`;
    out.sample('m_total', labels, i + 0.5);
    expected.push(`m_total{${labels}} ${i + 0.5}`);
  }
  out.sample('m_total', '', NaN); // writes nothing
  out.sample('m_total', '', Infinity);
  const chunks = out.toChunks();
  assert.ok(chunks.length > 1, 'more than one chunk, so chunk boundaries are exercised');
  const text = Buffer.concat(chunks).toString('utf8');
  const lines = text.split('\n');
  assert.equal(lines[0], '# HELP m_total help with \\\\ and\\nnewline');
  assert.equal(lines[1], '# TYPE m_total counter');
  assert.deepEqual(lines.slice(2, 2 + expected.length), expected);
  assert.equal(lines[2 + expected.length], 'm_total +Inf');
  assert.equal(text, out.toString(), 'toString is the same bytes');
});

test('raw text longer than a chunk is written whole', () => {
  const out = new Exposition();
  const big = `# HELP x y\n${'x_total 1\n'.repeat(40_000)}`;
  out.sample('before', '', 1);
  out.raw(big);
  out.sample('after', 'a="b"', 2);
  assert.equal(out.toString(), `before 1\n${big}after{a="b"} 2\n`);
});

test('writeValue writes exactly what formatValue returns', async () => {
  const { writeValue, formatValue } = await import('../../src/metrics/exposition.ts');
  const values = [0, -0, 1, -1, 9, 10, 99, 100, 12345678, 99_999_999, 100_000_000, 100_000_001, 1_000_000_007, 2 ** 31 - 1, 2 ** 31, 2 ** 32 + 5,
    1.7e9, 123456789012345, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 2 ** 53, 1e16, 1e21, 1e22, -1e300, 0.5, -0.25, 1 / 3, 1e-7, 5e-324,
    Infinity, -Infinity, 268435456, 1234567.5, -1.2345678901234567e-6, -1.7976931348623157e308];
  // plus a spread of random integers and fractions
  let seed = 7;
  const next = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let i = 0; i < 2000; i++) values.push(Math.floor(next() * 10 ** (1 + (i % 16))), next() * 10 ** (i % 20));
  const b = Buffer.alloc(64);
  for (const v of values) {
    const end = writeValue(b, 3, v);
    assert.equal(b.toString('latin1', 3, end), formatValue(v), `value ${v}`);
    assert.ok(end - 3 <= 25, `value ${v} fits the 25 bytes sample() reserves`);
  }
});
