// The chunk-by-chunk JSON reader under /system/df: the tokens JSON.parse would see, however the
// body is chunked; every malformed body refused; the depth cap; strings past the keep cap skipped.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { JsonStreamReader, type JsonHandler, type JsonScalar } from '../../src/util/json-stream.ts';

/** Rebuilds the value from the tokens (what a handler sees), to compare with JSON.parse. */
function rebuild(text: string, chunk: number, limits = { maxDepth: 64, maxString: 1 << 20 }): unknown {
  const stack: { v: unknown[] | Record<string, unknown>; key?: string }[] = [];
  let root: unknown;
  const put = (v: unknown): void => {
    const top = stack[stack.length - 1];
    if (!top) root = v;
    else if (Array.isArray(top.v)) top.v.push(v);
    else top.v[top.key ?? '?'] = v;
  };
  const h: JsonHandler = {
    startObject: () => void stack.push({ v: {} }),
    startArray: () => void stack.push({ v: [] }),
    endObject: () => put(stack.pop()!.v),
    endArray: () => put(stack.pop()!.v),
    key: (k) => void (stack[stack.length - 1]!.key = k ?? '<long>'),
    value: (v: JsonScalar | undefined) => put(v === undefined ? '<long>' : v),
  };
  const r = new JsonStreamReader(h, limits);
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length; i += chunk) r.write(bytes.subarray(i, i + chunk));
  r.end();
  return root;
}

const VALID = [
  '{}',
  '[]',
  ' { "a" : [ 1 , -2.5e3 , 0 , true , false , null , "x" ] , "b" : { } } ',
  '{"esc":"q\\"uote \\\\ back \\/ \\n\\t \\u00e9 \\ud83d\\ude00","utf8":"é€😀","":""}',
  '[[[[[]]]],[{"a":[{"b":[]}]}]]',
  '{"Mounts":[{"Type":"volume","Name":"data"}],"n":1E+2}',
  '"just a string"',
  '42',
];

const INVALID = ['', '{', '{"a":1', '{"a" 1}', '{"a":1,}', '[1,]', '[1 2]', '{"a":1}}', '{"a":1} x', '[}', '{]', 'tru', 'nul', '01', '-', '1.', '{"a":"b\\x"}', "{'a':1}", '[1]]', '{"a":+1}'];

describe('JsonStreamReader', () => {
  test('the value JSON.parse makes, whatever the chunking', () => {
    for (const text of VALID) {
      for (const chunk of [1, 2, 3, 7, 1 << 16]) assert.deepEqual(rebuild(text, chunk), JSON.parse(text), `${text} in chunks of ${chunk}`);
    }
  });

  test('what JSON.parse refuses is refused, whatever the chunking', () => {
    for (const text of INVALID) {
      assert.throws(() => JSON.parse(text), `${text} is not JSON`);
      for (const chunk of [1, 3, 1 << 16]) assert.throws(() => rebuild(text, chunk), `${JSON.stringify(text)} in chunks of ${chunk}`);
    }
  });

  test('nesting past the cap is refused at the first level too deep', () => {
    assert.doesNotThrow(() => rebuild('['.repeat(8) + ']'.repeat(8), 1, { maxDepth: 8, maxString: 64 }));
    assert.throws(() => rebuild(`${'['.repeat(9)}`, 1, { maxDepth: 8, maxString: 64 }), /nested deeper than 8 levels/);
  });

  test('a string past the keep cap is read through but handed over as undefined; keys likewise', () => {
    const long = 'x'.repeat(100);
    assert.deepEqual(rebuild(`{"${long}":"${long}","k":"${'y'.repeat(16)}"}`, 5, { maxDepth: 8, maxString: 16 }), { '<long>': '<long>', k: 'y'.repeat(16) });
  });

  test('a long run of escapes costs time linear in its length (8x the bytes, well under 64x the time)', () => {
    const time = (n: number): number => {
      const text = `["${'\\n'.repeat(n)}"]`;
      const t0 = process.cpuUsage();
      rebuild(text, 1 << 16, { maxDepth: 8, maxString: 16 });
      const u = process.cpuUsage(t0);
      return u.user + u.system;
    };
    time(100_000);
    const small = time(200_000);
    const large = time(1_600_000);
    assert.ok(large < small * 24, `${small} us, then ${large} us`);
  });
});
