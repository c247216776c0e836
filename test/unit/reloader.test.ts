import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { Reloader, type LoadOutcome } from '../../src/reload/reloader.ts';

function setup(loads: LoadOutcome<string>[]) {
  const lines: { level: number; msg: string }[] = [];
  const log = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as { level: number; msg: string }) });
  const registry = new Registry();
  let clock = 1_000_000;
  const applied: string[] = [];
  let applying: Promise<void> = Promise.resolve();
  const reloader = new Reloader<string>({
    load: () => loads.shift() ?? { ok: false, errors: ['no more loads'] },
    apply: async (config) => {
      await applying;
      applied.push(config);
      return { config };
    },
    log,
    registry,
    now: () => clock,
    gapMs: 0,
  });
  const metric = async (name: string) => {
    const m = (await registry.getMetricsAsJSON()).find((x) => x.name === name);
    return (m as unknown as { values: { value: number }[] }).values[0]!.value;
  };
  return {
    reloader,
    lines,
    applied,
    tick: (ms: number) => (clock += ms),
    hold: (p: Promise<void>) => (applying = p),
    ok: () => metric('docker_fleet_exporter_config_last_reload_successful'),
    at: () => metric('docker_fleet_exporter_config_last_reload_success_timestamp_seconds'),
  };
}

describe('reloader', () => {
  test('the startup load counts as a success; a good reload applies and moves the timestamp', async () => {
    const s = setup([{ ok: true, config: 'second', warnings: ['a warning'] }]);
    assert.equal(await s.ok(), 1);
    assert.equal(await s.at(), 1000);
    s.tick(5000);
    assert.deepEqual(await s.reloader.reload('SIGHUP'), { ok: true });
    assert.deepEqual(s.applied, ['second']);
    assert.equal(await s.ok(), 1);
    assert.equal(await s.at(), 1005);
    assert.ok(s.lines.some((l) => l.msg === 'a warning'));
    assert.ok(s.lines.some((l) => l.msg === 'configuration reloaded'));
  });

  test('a bad config changes nothing: metric 0, timestamp kept, every problem logged and returned', async () => {
    const s = setup([{ ok: false, errors: ['f.yml: hosts[1].url: missing', 'f.yml: collection.timeout: bad'] }]);
    s.tick(5000);
    const r = await s.reloader.reload('HTTP');
    assert.deepEqual(r, { ok: false, errors: ['f.yml: hosts[1].url: missing', 'f.yml: collection.timeout: bad'] });
    assert.deepEqual(s.applied, []);
    assert.equal(await s.ok(), 0);
    assert.equal(await s.at(), 1000);
    const errors = s.lines.filter((l) => l.level === 50).map((l) => l.msg);
    assert.deepEqual(errors.slice(0, 2), ['invalid configuration: f.yml: hosts[1].url: missing', 'invalid configuration: f.yml: collection.timeout: bad']);
  });

  test('reloads run one at a time, in order', async () => {
    const s = setup([
      { ok: true, config: 'one', warnings: [] },
      { ok: true, config: 'two', warnings: [] },
    ]);
    let release!: () => void;
    s.hold(new Promise<void>((r) => (release = r)));
    const first = s.reloader.reload('SIGHUP');
    await new Promise((r) => setImmediate(r));
    const second = s.reloader.reload('HTTP');
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(s.applied, [], 'the first is held');
    release();
    await Promise.all([first, second]);
    assert.deepEqual(s.applied, ['one', 'two']);
  });

  test('triggers share the reload to come: 100 at once, then 50 during it, cost two loads', async () => {
    const loads = Array.from({ length: 200 }, (_, i) => ({ ok: true as const, config: `c${i}`, warnings: [] }));
    const s = setup(loads);
    let release!: () => void;
    s.hold(new Promise<void>((r) => (release = r)));
    const first = Array.from({ length: 100 }, () => s.reloader.reload('HTTP'));
    await new Promise((r) => setImmediate(r));
    const during = Array.from({ length: 50 }, () => s.reloader.reload('HTTP'));
    release();
    const results = await Promise.all([...first, ...during]);
    assert.ok(results.every((r) => r.ok));
    assert.deepEqual(s.applied, ['c0', 'c1'], 'the one they all started, then one for all that came during it');
    assert.equal(loads.length, 198, 'two loads');
  });

  test('the next reload starts no sooner than the gap after the last one ended', async () => {
    const starts: number[] = [];
    const reloader = new Reloader<string>({
      load: () => (starts.push(performance.now()), { ok: true, config: 'x', warnings: [] }),
      apply: async () => ({}),
      log: pino({ level: 'silent' }),
      registry: new Registry(),
      gapMs: 80,
    });
    for (let i = 0; i < 3; i++) assert.deepEqual(await reloader.reload('SIGHUP'), { ok: true });
    assert.equal(starts.length, 3);
    for (let i = 1; i < 3; i++) assert.ok(starts[i]! - starts[i - 1]! >= 79, `${(starts[i]! - starts[i - 1]!).toFixed(0)} ms apart`);
  });

  test('an apply that throws (a bug) is a failed reload, not a crash', async () => {
    const lines: string[] = [];
    const registry = new Registry();
    const reloader = new Reloader<string>({
      load: () => ({ ok: true, config: 'x', warnings: [] }),
      apply: () => Promise.reject(new Error('boom')),
      log: pino({ level: 'debug' }, { write: (l: string) => void lines.push(l) }),
      registry,
    });
    assert.deepEqual(await reloader.reload('SIGHUP'), { ok: false, errors: ['applying the configuration failed: boom'] });
    assert.match(await registry.metrics(), /docker_fleet_exporter_config_last_reload_successful 0/);
  });
});
