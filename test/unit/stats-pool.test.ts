// The stats pool through real worker threads: the TypeScript worker loads under tsx, results
// match the pure parser row for row, and a dying worker fails only its own batch.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { parseBatch } from '../../src/stats/parse.ts';
import { F, FIELD_COUNT, pack } from '../../src/stats/layout.ts';
import { StatsPool } from '../../src/stats/pool.ts';
import { defaultWorkerUrl } from '../../src/stats/runner.ts';

const enc = new TextEncoder();
const fixture = (name: string): string => readFileSync(new URL(`../fixtures/stats-${name}.json`, import.meta.url), 'utf8');

/** 300 bodies: the four fixtures with varied numbers, plus garbage every 17th. */
function mixedBodies(count: number): Uint8Array[] {
  const shapes = ['v1', 'v2', 'null-blkio', 'stopped'].map((n) => JSON.parse(fixture(n)) as { cpu_stats: { cpu_usage: { total_usage: number } } });
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    if (i % 17 === 5) {
      out.push(enc.encode(i % 2 ? '{"cpu_stats":' : '[]'));
      continue;
    }
    const body = structuredClone(shapes[i % shapes.length]);
    body.cpu_stats.cpu_usage.total_usage += i;
    // Buffer.from gives pooled slices: the pool must copy them into its own buffer
    out.push(Buffer.from(JSON.stringify(body)));
  }
  return out;
}

describe('StatsPool with threads', () => {
  let pool: StatsPool;
  before(() => {
    pool = StatsPool.create({ threads: 2, chunkSize: 64 });
  });
  after(() => pool.close());

  it('resolves the worker next to this module, with its extension', () => {
    assert.match(defaultWorkerUrl().pathname, /\/workers\/parse-stats\.ts$/);
    assert.equal(pool.threads, 2);
  });

  it('parses 300 mixed bodies exactly as the pure function does, in order', async () => {
    const bodies = mixedBodies(300);
    const expected = parseBatch(pack(bodies));
    const got = await pool.parse(bodies);
    assert.ok(got.values instanceof Float64Array);
    assert.equal(got.values.length, 300 * FIELD_COUNT);
    assert.deepEqual(got, expected);
    // the rows really are distinct bodies, not one chunk repeated
    assert.equal(got.values[299 * FIELD_COUNT + F.cpuTotalNs] - got.values[295 * FIELD_COUNT + F.cpuTotalNs], 4);
    assert.equal(got.errors.filter((e) => e !== null).length, 18);
    // the caller's bodies are untouched (not transferred away)
    assert.ok(bodies.every((b) => b.byteLength > 0));
  });

  it('runs batches from several hosts at once', async () => {
    const [a, b] = await Promise.all([pool.parse([enc.encode(fixture('v1'))]), pool.parse([enc.encode(fixture('v2'))])]);
    assert.equal(a.values[F.cgroupVersion], 1);
    assert.equal(b.values[F.cgroupVersion], 2);
    assert.equal(b.networks[0].length, 2);
  });

  it('takes many batches in flight without listener-leak warnings', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error): void => {
      warnings.push(`${w.name}: ${w.message}`);
    };
    process.on('warning', onWarning);
    try {
      const body = enc.encode(fixture('v2'));
      const results = await Promise.all(Array.from({ length: 30 }, () => pool.parse([body])));
      assert.ok(results.every((r) => r.values[F.cgroupVersion] === 2));
      await new Promise((r) => setImmediate(r)); // warnings are emitted on a later tick
      assert.deepEqual(warnings, []);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('answers an empty batch without a task', async () => {
    const r = await pool.parse([]);
    assert.equal(r.values.length, 0);
    assert.deepEqual(r.errors, []);
  });
});

describe('StatsPool on the main thread (threads = 0)', () => {
  it('bounds the work: bodies not started by the deadline fail, deep nesting fails fast', async () => {
    const pool = StatsPool.create({ threads: 0 });
    const late = await pool.parse([enc.encode(fixture('v2')), enc.encode(fixture('v1'))], Date.now() - 1);
    assert.deepEqual(late.errors, ["not parsed: the probe's deadline passed", "not parsed: the probe's deadline passed"]);
    // 1 MiB of nested arrays: JSON.parse took ~780 ms on it here; refused before parsing
    const deep = enc.encode(`{"x":${'['.repeat(500_000)}${']'.repeat(500_000)}}`);
    const t0 = performance.now();
    const r = await pool.parse([deep, enc.encode(fixture('v2'))], Date.now() + 60_000);
    assert.ok(performance.now() - t0 < 300, `took ${performance.now() - t0} ms`);
    assert.deepEqual(r.errors, ['body nests deeper than 32 levels', null]);
    assert.equal(r.values[FIELD_COUNT + F.cgroupVersion], 2);
    await pool.close();
  });

  it('gives the same results as the pure function', async () => {
    const pool = StatsPool.create({ threads: 0, chunkSize: 100 });
    const bodies = mixedBodies(300);
    assert.deepEqual(await pool.parse(bodies), parseBatch(pack(bodies)));
    assert.equal(pool.threads, 0);
    await pool.close();
  });
});

describe('StatsPool lifecycle and failures', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'stats-pool-test-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** A stand-in worker: runs `onBody` (which sees `text`) per body, then answers a row of ones each. */
  function writeWorker(name: string, onBody: string): string {
    const file = join(dir, name);
    writeFileSync(
      file,
      `export default function (task) {
         const n = task.offsets.length / 2;
         for (let i = 0; i < n; i++) {
           const text = new TextDecoder().decode(task.buf.subarray(task.offsets[2 * i], task.offsets[2 * i + 1]));
           ${onBody}
         }
         return { values: new Float64Array(n * ${FIELD_COUNT}).fill(1), errors: new Array(n).fill(null), networks: new Array(n).fill([]) };
       }\n`,
    );
    return file;
  }

  it('close() twice resolves, and parse() after close rejects', async () => {
    const pool = StatsPool.create({ threads: 1 });
    await pool.parse([enc.encode(fixture('v2'))]);
    await pool.close();
    await pool.close();
    await assert.rejects(pool.parse([enc.encode(fixture('v2'))]), /stats pool is closed/);
    const inline = StatsPool.create({ threads: 0 });
    await inline.close();
    await inline.close();
  });

  it('rejects bad thread counts', () => {
    assert.throws(() => StatsPool.create({ threads: -1 }), /threads must be an integer >= 0, got -1/);
    assert.throws(() => StatsPool.create({ threads: 1.5 }), /threads must be an integer/);
  });

  it('a worker that dies or throws rejects that batch only, and the pool keeps working', async () => {
    // Exits its thread on a body "die", throws on "throw", else answers a row of ones per body.
    const file = writeWorker('failing-worker.mjs', `if (text === 'die') process.exit(7);\n if (text === 'throw') throw new Error('boom in worker');`);
    const pool = StatsPool.create({ threads: 1, workerUrl: pathToFileURL(file) });
    try {
      await assert.rejects(pool.parse([enc.encode('die')]), /^Error: stats worker failed \(batch of 1\): worker exited with code: 7$/);
      await assert.rejects(pool.parse([enc.encode('throw')]), /^Error: stats worker failed \(batch of 1\): boom in worker$/);
      const [ok, dead] = await Promise.allSettled([pool.parse([enc.encode('live'), enc.encode('on')]), pool.parse([enc.encode('die')])]);
      assert.equal(dead.status, 'rejected');
      assert.ok(ok.status === 'fulfilled');
      assert.deepEqual(ok.value.errors, [null, null]);
      assert.equal(ok.value.values.length, 2 * FIELD_COUNT);
    } finally {
      await pool.close();
    }
  });

  it('a worker module that cannot load: onError, then parse() rejects at once instead of hanging', async () => {
    const file = join(dir, 'broken-worker.mjs');
    writeFileSync(file, `throw new Error('broken worker module');\nexport default function () {}\n`);
    const seen: string[] = [];
    const pool = StatsPool.create({ threads: 1, workerUrl: pathToFileURL(file), onError: (e) => seen.push(e.message) });
    try {
      // piscina tries twice, then starts no more threads: wait for that without a task
      // queued (a queued task would be rejected by the first failure instead)
      const deadline = Date.now() + 5000;
      while (seen.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.ok(seen.length >= 1 && seen.every((m) => /broken worker module/.test(m)), `onError saw ${JSON.stringify(seen)}`);
      const t0 = Date.now();
      await assert.rejects(pool.parse([enc.encode('{}')]), /stats worker could not start: broken worker module/);
      assert.ok(Date.now() - t0 < 1000, 'parse() must not wait for a thread that will never start');
    } finally {
      await pool.close();
    }
  });

  it('a parse still running at its deadline is stopped; a host sharing its task still gets its rows', async () => {
    // Spins for ever on a body "spin" (as JSON.parse did on 30 MB of nested arrays), else a row of ones.
    const file = writeWorker('spinning-worker.mjs', `if (text === 'spin') for (;;) {}`);
    const pool = StatsPool.create({ threads: 1, workerUrl: pathToFileURL(file), batchWindowMs: 50 });
    try {
      await pool.parse([enc.encode('warm')]); // the thread is up: the deadline measures the parse only
      const t0 = Date.now();
      // within one batch window: both go to the worker as one task
      const bad = pool.parse([enc.encode('spin')], Date.now() + 400);
      const good = pool.parse([enc.encode('a'), enc.encode('b')], Date.now() + 60_000);
      await assert.rejects(bad, /stats parse: not parsed: the probe's deadline passed/);
      const stopped = Date.now() - t0;
      assert.ok(stopped < 3000, `rejected after ${stopped} ms`);
      const g = await good;
      assert.deepEqual(g.errors, [null, null]);
      assert.equal(g.values[0], 1);
      // the spinning thread was ended and replaced: the pool still parses
      const again = await pool.parse([enc.encode('c')], Date.now() + 60_000);
      assert.deepEqual(again.errors, [null]);
    } finally {
      await pool.close();
    }
  });

  it('a missing worker file rejects instead of crashing', async () => {
    const pool = StatsPool.create({ threads: 1, workerUrl: pathToFileURL(join(dir, 'nope.mjs')) });
    try {
      await assert.rejects(pool.parse([enc.encode('{}')]), /stats worker failed/);
    } finally {
      await pool.close();
    }
  });
});

describe('StatsPool batching', () => {
  it('close() sends requests still waiting for their window, and they finish', async () => {
    const pool = StatsPool.create({ threads: 1, batchWindowMs: 1000 });
    // a thread started (and warm) first: under load its start alone took most of the window
    await pool.parse([enc.encode(fixture('v2'))]);
    const t0 = Date.now();
    const pending = pool.parse([enc.encode(fixture('v2'))]);
    await pool.close();
    const r = await pending;
    assert.equal(r.values[F.cgroupVersion], 2);
    assert.ok(Date.now() - t0 < 900, 'did not wait for the window');
  });

  it('rejects a bad batch window', () => {
    assert.throws(() => StatsPool.create({ threads: 1, batchWindowMs: -1 }), /batchWindowMs must be between 0 and 1000, got -1/);
  });
});
