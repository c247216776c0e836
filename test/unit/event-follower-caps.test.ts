// What the event follower does with what a hostile daemon streams: time linear in the bytes
// however they are chunked; a line too long or nested too deep cuts the stream, is counted, and
// is logged once per cause, not at every reconnect.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import { pino } from 'pino';
import { EventFollower, MAX_EVENT_LINE_BYTES, type EventSource } from '../../src/events/follower.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** follower.ts MAX_EVENT_LINE_DEPTH; a real event nests 3 levels */
const MAX_DEPTH = 32;

/** `text` cut into pieces of `n` bytes. */
const pieces = (text: string, n: number): Buffer[] => {
  const b = Buffer.from(text);
  const out: Buffer[] = [];
  for (let i = 0; i < b.length; i += n) out.push(b.subarray(i, i + n));
  return out;
};

/** A source whose every stream is what `make` returns; counts the streams opened. */
function source(make: () => Readable): EventSource & { opened: number } {
  const s = {
    opened: 0,
    open: async () => {
      s.opened++;
      return make();
    },
  };
  return s;
}

function follower(src: EventSource, logs: { level: number; msg: string; err?: string }[] = []): EventFollower {
  const log = pino({ level: 'debug', base: undefined }, { write: (t: string) => void logs.push(JSON.parse(t) as { level: number; msg: string }) });
  return new EventFollower({ source: src, log, onEvent: () => {}, connectTimeoutMs: 1000, backoff: { initialMs: 5, maxMs: 5, random: () => 0 } });
}

const ID = 'a'.repeat(64);
const EVENT = `{"Type":"container","Action":"start","Actor":{"ID":"${ID}"},"time":1,"timeNano":1000000000}\n`;

describe('EventFollower and the caps', () => {
  test('a long line in 1-byte chunks costs time linear in its bytes (8x the bytes, well under 64x the time)', async () => {
    // one 'data' per byte, as node's HTTP parser hands over 1-byte chunks
    const run = async (bytes: number): Promise<number> => {
      const line = `{"pad":"${'x'.repeat(bytes)}"}\n`;
      const stream = Readable.from(pieces(line, 1), { objectMode: true });
      const f = follower(source(() => stream));
      const ended = new Promise<void>((r) => stream.on('end', r));
      const t0 = process.cpuUsage();
      f.start();
      await ended;
      const used = process.cpuUsage(t0);
      await f.close();
      return used.user + used.system;
    };
    await run(20_000); // warm up the JIT
    const small = await run(40_000);
    const large = await run(320_000);
    assert.ok(large < small * 24, `40 KB: ${small} us of CPU, 320 KB: ${large} us (x${(large / small).toFixed(1)})`);
  });

  test('a line nested too deep cuts the stream, is counted, and is never parsed; the next stream goes on', async () => {
    let n = 0;
    const deep = `${'['.repeat(MAX_DEPTH + 1)}${']'.repeat(MAX_DEPTH + 1)}\n`;
    // the first stream stays open after its lines: only a cut opens the second
    const open = (text: string): Readable => {
      const r = new Readable({ read() {} });
      r.push(Buffer.from(text));
      return r;
    };
    const src = source(() => (n++ === 0 ? open(deep + EVENT) : open('')));
    const seen: string[] = [];
    const log = pino({ level: 'debug', base: undefined }, { write: () => {} });
    const f = new EventFollower({ source: src, log, onEvent: (e) => seen.push(e.id), connectTimeoutMs: 1000, backoff: { initialMs: 5, maxMs: 5, random: () => 0 } });
    f.start();
    for (let i = 0; i < 100 && src.opened < 2; i++) await sleep(10);
    await f.close();
    assert.equal(src.opened, 2, 'the stream was cut and reopened');
    assert.deepEqual(f.capped, { line_bytes: 0, line_depth: 1 }, 'counted');
    assert.deepEqual(seen, [], 'nothing after the deep line in that stream was taken');
  });

  test('a daemon that sends an over-long line to every stream logs one warn and one info, not two lines per reconnect', async () => {
    const big = Buffer.alloc(MAX_EVENT_LINE_BYTES + 1, 'x');
    const src = source(() => Readable.from([big]));
    const logs: { level: number; msg: string; err?: string }[] = [];
    const f = follower(src, logs);
    f.start();
    for (let i = 0; i < 200 && src.opened < 6; i++) await sleep(10);
    await f.close();
    assert.ok(src.opened >= 6, `${src.opened} streams`);
    const loud = logs.filter((l) => l.level >= 30);
    assert.deepEqual(
      loud.map((l) => l.msg),
      ['events: stream down', 'events: stream connected'],
      JSON.stringify(loud.slice(0, 6)),
    );
    assert.match(loud[0]!.err!, /longer than 1 MiB/);
    assert.ok(f.capped.line_bytes >= 5, `${f.capped.line_bytes} cut, counted`);
  });

  test('a line that is not an event is logged once per cause, not once per stream', async () => {
    const src = source(() => Readable.from([Buffer.from(`{not json}\n[1]\n{not json either}\n${EVENT}`)]));
    const logs: { level: number; msg: string; err?: string }[] = [];
    const f = follower(src, logs);
    f.start();
    for (let i = 0; i < 200 && src.opened < 5; i++) await sleep(10);
    await f.close();
    assert.ok(src.opened >= 5);
    assert.deepEqual(logs.filter((l) => l.msg.startsWith('events: line skipped')).map((l) => l.err), ['not JSON', 'not a JSON object']);
  });
});
