import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { decodeDiskUsage } from '../../src/docker/disk-usage.ts';
import type { DiskUsage } from '../../src/model.ts';
import { DISK_TIMEOUT_MS, DiskPoller, type Schedule } from '../../src/tracker/disk-poller.ts';

/** A hand-driven clock: the test fires what the poller scheduled, when it wants. */
function manualSchedule() {
  const pending: { fn: () => void; ms: number; cancelled: boolean }[] = [];
  const schedule: Schedule = (fn, ms) => {
    const entry = { fn, ms, cancelled: false };
    pending.push(entry);
    return () => {
      entry.cancelled = true;
    };
  };
  return {
    schedule,
    /** delays asked for, in order */
    get delays() {
      return pending.map((p) => p.ms);
    },
    /** fire the one pending timer (there is never more than one) */
    fire() {
      const live = pending.filter((p) => !p.cancelled);
      const last = pending.at(-1);
      assert.equal(live.length, 1, 'exactly one timer pending');
      assert.equal(live[0], last, 'and it is the latest');
      last!.cancelled = true;
      last!.fn();
    },
    get live() {
      return pending.filter((p) => !p.cancelled).length;
    },
  };
}

function capture() {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: 'info', base: undefined }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
  return { log, lines };
}

const usage = (layers: number): DiskUsage => {
  const u = decodeDiskUsage({ LayersSize: layers, Images: [], Containers: [], Volumes: [], BuildCache: [] });
  assert.ok(typeof u !== 'string');
  return u;
};

/** A fetch the test answers by hand. */
function manualFetch() {
  const calls: { timeoutMs: number; resolve: (v: DiskUsage | string) => void; reject: (e: Error) => void }[] = [];
  const fetch = (timeoutMs: number) => new Promise<DiskUsage | string>((resolve, reject) => calls.push({ timeoutMs, resolve, reject }));
  return { fetch, calls };
}

const settle = () => new Promise((r) => setImmediate(r));

test('first walk at a random point of the first interval, then one interval after each end', async () => {
  const clock = manualSchedule();
  const f = manualFetch();
  const p = new DiskPoller({ intervalMs: 300_000, fetch: f.fetch, log: capture().log, random: () => 0.25, schedule: clock.schedule });
  p.start();
  assert.deepEqual(clock.delays, [75_000], 'jittered: 0.25 of the interval');
  assert.equal(f.calls.length, 0, 'nothing asked before the timer fires');

  clock.fire();
  assert.equal(f.calls.length, 1);
  assert.equal(f.calls[0]!.timeoutMs, DISK_TIMEOUT_MS, 'the walk has its own deadline');
  assert.equal(clock.live, 0, 'no next walk is scheduled while one runs: one at a time');

  f.calls[0]!.resolve(usage(42));
  await settle();
  assert.equal(p.last?.usage.totals.images.sizeBytes, 42);
  assert.deepEqual(clock.delays, [75_000, 300_000], 'the next one an interval after the end');
  clock.fire();
  assert.equal(f.calls.length, 2);
  const stopping = p.stop();
  f.calls[1]!.resolve(usage(43));
  await stopping;
});

test('a walk that takes longer than the interval never overlaps the next one', async () => {
  const clock = manualSchedule();
  const f = manualFetch();
  const p = new DiskPoller({ intervalMs: 1000, fetch: f.fetch, log: capture().log, random: () => 0, schedule: clock.schedule });
  p.start();
  clock.fire();
  // the daemon takes "30 s": nothing else is scheduled meanwhile
  await settle();
  assert.equal(clock.live, 0);
  assert.equal(f.calls.length, 1);
  f.calls[0]!.resolve(usage(1));
  await settle();
  assert.equal(clock.live, 1);
  await p.stop();
  assert.equal(clock.live, 0, 'stop cancels the pending walk');
});

test('the interval must be positive', () => {
  assert.throws(() => new DiskPoller({ intervalMs: 0, fetch: async () => 'x', log: capture().log }), /interval must be positive, got 0/);
});

test('failures are counted every time, logged once per change; the last good result is kept', async () => {
  const clock = manualSchedule();
  const f = manualFetch();
  const { log, lines } = capture();
  const p = new DiskPoller({ intervalMs: 1000, fetch: f.fetch, log, random: () => 0, schedule: clock.schedule });
  p.start();
  const walk = async (outcome: (c: (typeof f.calls)[number]) => void) => {
    clock.fire();
    outcome(f.calls.at(-1)!);
    await settle();
  };
  await walk((c) => c.resolve(usage(7)));
  const good = p.last;
  await walk((c) => c.reject(new Error('GET /system/df: HTTP 500: a disk usage operation is already running')));
  await walk((c) => c.reject(new Error('GET /system/df: HTTP 500: a disk usage operation is already running')));
  await walk((c) => c.resolve('disk usage is not an object'));
  assert.equal(p.failures, 3);
  assert.equal(p.last, good, 'failures keep the last good result');
  await walk((c) => c.resolve(usage(8)));
  assert.equal(p.failures, 3);
  assert.equal(p.last?.usage.totals.images.sizeBytes, 8);

  const logged = lines.map((l) => [l.level, l.err ?? l.msg]);
  assert.deepEqual(logged, [
    [40, 'GET /system/df: HTTP 500: a disk usage operation is already running'],
    [40, 'disk usage is not an object'],
    [30, 'disk usage (/system/df) recovered'],
  ]);
  await p.stop();
});

test('stop waits for the walk in flight, logs nothing about it and schedules nothing after', async () => {
  const clock = manualSchedule();
  const f = manualFetch();
  const { log, lines } = capture();
  const p = new DiskPoller({ intervalMs: 1000, fetch: f.fetch, log, random: () => 0, schedule: clock.schedule });
  p.start();
  clock.fire();
  let stopped = false;
  const stopping = p.stop().then(() => (stopped = true));
  await settle();
  assert.equal(stopped, false, 'still waiting for the walk');
  f.calls[0]!.reject(new Error('GET /system/df: aborted (shutting down)'));
  await stopping;
  assert.equal(p.failures, 0);
  assert.equal(lines.length, 0);
  assert.equal(clock.live, 0);
});

test('real timers: figures appear without anyone asking, and stop ends the walks', async () => {
  let calls = 0;
  const p = new DiskPoller({
    intervalMs: 20,
    fetch: async () => {
      calls++;
      return usage(calls);
    },
    log: capture().log,
  });
  p.start();
  const deadline = Date.now() + 10_000;
  while (calls < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  await p.stop();
  const after = calls;
  assert.ok(after >= 3, `walked ${after} times`);
  assert.equal(p.last?.usage.totals.images.sizeBytes, after);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(calls, after, 'nothing after stop');
});
