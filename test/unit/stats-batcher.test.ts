// Fleet-wide batching of parse requests: fewer tasks, and still every row to its own host.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StatsBatcher } from '../../src/stats/batcher.ts';
import { F, FIELD_COUNT, type ParseResult } from '../../src/stats/layout.ts';

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A stand-in task: a body "n" gives cpuTotalNs = n; "x" a row error; "die" fails the whole task. */
function fakeRun(calls: string[][]) {
  return async (bodies: Uint8Array[]): Promise<ParseResult> => {
    const texts = bodies.map((b) => dec.decode(b));
    calls.push(texts);
    await new Promise((r) => setImmediate(r));
    if (texts.includes('die')) throw new Error(`stats worker failed (batch of ${texts.length}): died`);
    const values = new Float64Array(texts.length * FIELD_COUNT).fill(NaN);
    const errors = texts.map((t, i) => {
      if (t === 'x') return 'garbage';
      values[i * FIELD_COUNT + F.cpuTotalNs] = Number(t);
      return null;
    });
    return { values, errors, networks: texts.map((t) => [{ iface: `if${t}`, rxBytes: 1, rxPackets: 1, rxErrors: 0, rxDropped: 0, txBytes: 1, txPackets: 1, txErrors: 0, txDropped: 0 }]) };
  };
}

const bodiesFor = (host: number, n: number): Uint8Array[] => Array.from({ length: n }, (_, i) => enc.encode(String(host * 1000 + i)));
const cpu = (r: ParseResult): number[] => Array.from({ length: r.errors.length }, (_, i) => r.values[i * FIELD_COUNT + F.cpuTotalNs]!);

describe('StatsBatcher', () => {
  it('sends 10 hosts x 40 bodies as 2 tasks of at most 256, each host getting its own rows', async () => {
    const calls: string[][] = [];
    const batcher = new StatsBatcher(fakeRun(calls), 256, 5);
    const results = await Promise.all(Array.from({ length: 10 }, (_, h) => batcher.submit(bodiesFor(h + 1, 40))));
    // a host is not split across tasks: 6 x 40, then the other 4
    assert.deepEqual(calls.map((c) => c.length), [240, 160]);
    results.forEach((r, h) => {
      assert.equal(r.values.length, 40 * FIELD_COUNT);
      assert.deepEqual(cpu(r), Array.from({ length: 40 }, (_, i) => (h + 1) * 1000 + i), `host ${h + 1}`);
      assert.deepEqual(r.networks.map((n) => n[0]!.iface), Array.from({ length: 40 }, (_, i) => `if${(h + 1) * 1000 + i}`));
    });
  });

  it('splits a host with more bodies than a chunk, and puts its rows back together', async () => {
    const calls: string[][] = [];
    const batcher = new StatsBatcher(fakeRun(calls), 256, 5);
    const [small, big] = await Promise.all([batcher.submit(bodiesFor(1, 10)), batcher.submit(bodiesFor(2, 300))]);
    assert.deepEqual(calls.map((c) => c.length), [10, 256, 44]);
    assert.deepEqual(cpu(small), Array.from({ length: 10 }, (_, i) => 1000 + i));
    assert.deepEqual(cpu(big), Array.from({ length: 300 }, (_, i) => 2000 + i));
    assert.equal(big.networks[299]![0]!.iface, 'if2299');
  });

  it("keeps one host's garbage rows and a failed task away from the other hosts", async () => {
    const calls: string[][] = [];
    const batcher = new StatsBatcher(fakeRun(calls), 256, 5);
    const good = batcher.submit([enc.encode('1'), enc.encode('x'), enc.encode('2')]);
    const bad = batcher.submit([enc.encode('3'), enc.encode('die')]);
    const other = batcher.submit([enc.encode('4')]);
    const [g, b, o] = await Promise.allSettled([good, bad, other]);
    assert.ok(g.status === 'fulfilled' && o.status === 'fulfilled');
    assert.deepEqual(g.value.errors, [null, 'garbage', null]);
    assert.deepEqual(cpu(g.value).filter((v) => !Number.isNaN(v)), [1, 2]);
    assert.deepEqual(o.value.errors, [null]);
    assert.equal(cpu(o.value)[0], 4);
    assert.ok(b.status === 'rejected');
    assert.match(String(b.reason), /batch of 2\): died/, 'the failing host sees its own batch fail');
    // one shared task, then each host alone
    assert.equal(calls[0]!.length, 6);
    assert.deepEqual(calls.slice(1).map((c) => c.length).sort(), [1, 2, 3]);
  });

  it('a request alone in its task fails without a retry', async () => {
    const calls: string[][] = [];
    const batcher = new StatsBatcher(fakeRun(calls), 256, 1);
    await assert.rejects(batcher.submit([enc.encode('die')]), /batch of 1\): died/);
    assert.equal(calls.length, 1);
  });

  it('requests further apart than the window go in separate tasks', async () => {
    const calls: string[][] = [];
    const batcher = new StatsBatcher(fakeRun(calls), 256, 2);
    const a = batcher.submit(bodiesFor(1, 3));
    await new Promise((r) => setTimeout(r, 30));
    const b = batcher.submit(bodiesFor(2, 3));
    assert.deepEqual(cpu(await a), [1000, 1001, 1002]);
    assert.deepEqual(cpu(await b), [2000, 2001, 2002]);
    assert.deepEqual(calls.map((c) => c.length), [3, 3]);
  });

  it('an abort rejects only its own request, with its reason', async () => {
    const calls: string[][] = [];
    const batcher = new StatsBatcher(fakeRun(calls), 256, 5);
    const ac = new AbortController();
    const aborted = batcher.submit(bodiesFor(1, 2), ac.signal);
    const kept = batcher.submit(bodiesFor(2, 2), new AbortController().signal);
    ac.abort(new Error('probe deadline'));
    await assert.rejects(aborted, /probe deadline/);
    assert.deepEqual(cpu(await kept), [2000, 2001]);
    const pre = new AbortController();
    pre.abort(new Error('already'));
    await assert.rejects(batcher.submit(bodiesFor(3, 1), pre.signal), /already/);
  });

  it('a request that gives up stops the task it shares; the other hosts run again alone', async () => {
    const calls: string[][] = [];
    const stopped: unknown[] = [];
    const plain = fakeRun(calls);
    // a body "hang" never finishes unless its task is stopped (a worker stuck in a parse)
    const run = (bodies: Uint8Array[], signal?: AbortSignal): Promise<ParseResult> => {
      if (!bodies.some((b) => dec.decode(b) === 'hang')) return plain(bodies);
      calls.push(bodies.map((b) => dec.decode(b)));
      return new Promise((_, reject) => signal?.addEventListener('abort', () => (stopped.push(signal.reason), reject(signal.reason))));
    };
    const batcher = new StatsBatcher(run, 256, 5);
    const ac = new AbortController();
    const bad = batcher.submit([enc.encode('hang')], ac.signal);
    const good = batcher.submit(bodiesFor(2, 2), new AbortController().signal);
    const noSignal = batcher.submit(bodiesFor(3, 1));
    await new Promise((r) => setTimeout(r, 30)); // flushed, the shared task is stuck
    assert.deepEqual(calls, [['hang', '2000', '2001', '3000']]);
    ac.abort(new Error('probe deadline'));
    await assert.rejects(bad, /probe deadline/);
    assert.deepEqual(cpu(await good), [2000, 2001]);
    assert.deepEqual(cpu(await noSignal), [3000]);
    assert.equal(stopped.length, 1, 'the shared task was stopped');
    // the host that gave up is not run again
    assert.deepEqual(calls.slice(1).map((c) => c.join()).sort(), ['2000,2001', '3000']);
  });

  it('tells each task where each host\'s bodies begin, so each gets its own parse budget', async () => {
    const starts: (number[] | undefined)[] = [];
    const plain = fakeRun([]);
    const batcher = new StatsBatcher((bodies, _signal, hostStarts) => (starts.push(hostStarts), plain(bodies)), 4, 5);
    await Promise.all([batcher.submit(bodiesFor(1, 1)), batcher.submit(bodiesFor(2, 2)), batcher.submit(bodiesFor(3, 3))]);
    // 1 + 2 fill 3 of 4 rows; host 3 does not fit whole, so it starts the next task
    assert.deepEqual(starts, [[0, 1], [0]]);
  });
});
