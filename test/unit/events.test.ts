// The pure parts of the event stream: decoding a line, the replay guard, and the counts (per
// container, per host, OOM kills, exit codes, forgetting removed containers).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { HostEventCounts, OOM_KILL_GAP_NS, OOM_KILL_MAX_NS } from '../../src/events/counts.ts';
import { decodeEvent, LONG_EVENT_LINE_BYTES, refuseLongLine, type DockerEvent } from '../../src/events/event.ts';
import { SeenEvents } from '../../src/events/seen-events.ts';

const FIXTURE = new URL('../fixtures/events-dockerd-20.10.ndjson', import.meta.url);

const HEX_ID = 'c'.repeat(64);

/** A decoded event of container `id`: the counts take any id, so short names keep these tests readable. */
function ev(id: string, action: string, timeNano: bigint, attributes: Record<string, string> = {}): DockerEvent {
  const line = JSON.stringify({ Type: 'container', Action: action, Actor: { ID: HEX_ID, Attributes: { name: id, ...attributes } }, time: Number(timeNano / 1_000_000_000n) }).replace(/}$/, `,"timeNano":${timeNano}}`);
  const d = decodeEvent(line);
  assert.ok(typeof d !== 'string', d as string);
  return { ...d, id, key: d.key.replace(HEX_ID, id) };
}

describe('decodeEvent', () => {
  test("real lines of dockerd 20.10: ids, names, actions, exit codes and timeNano exact to the nanosecond", () => {
    const lines = readFileSync(FIXTURE, 'utf8').trim().split('\n');
    const decoded = lines.map((l) => decodeEvent(l));
    const ok = decoded.filter((d): d is DockerEvent => typeof d !== 'string');
    assert.equal(ok.length, lines.length, `not decoded: ${decoded.filter((d) => typeof d === 'string').join(', ')}`);
    assert.deepEqual(
      ok.map((d) => [d.name, d.event, Number.isNaN(d.exitCode) ? null : d.exitCode]),
      [
        ['fx-health', 'start', null],
        ['fx-health', 'health_status_unhealthy', null],
        ['fx-health', 'kill', null],
        ['fx-health', 'die', 137],
        ['fx-health', 'destroy', null],
        ['fx-exit', 'start', null],
        ['fx-exit', 'die', 3],
        ['fx-exit', 'destroy', null],
        ['e2e-oom', 'oom', null],
      ],
    );
    // JSON.parse would round these 19-digit integers to a multiple of 256
    for (let i = 0; i < lines.length; i++) {
      const text = /"timeNano":(\d+)/.exec(lines[i]!)![1]!;
      assert.equal(ok[i]!.timeNano.toString(), text);
    }
    assert.equal(ok[0]!.attributes['com.example.team'], 'core', 'labels come with the attributes');
    assert.match(ok[0]!.id, /^[0-9a-f]{64}$/);
    assert.equal(ok[0]!.key, `${ok[0]!.timeNano}|${ok[0]!.id}|start`);
  });

  test('API >= 1.52 lines (no legacy id/status) and lines with `time` only', () => {
    const d = decodeEvent(`{"Type":"container","Action":"health_status: healthy","Actor":{"ID":"${HEX_ID}","Attributes":{"name":"web"}},"scope":"local","time":1700000000}`);
    assert.ok(typeof d !== 'string');
    assert.equal(d.event, 'health_status_healthy');
    assert.equal(d.timeNano, 1_700_000_000_000_000_000n);
  });

  test('actions outside the counted set decode with event undefined; bad lines say why', () => {
    const d = decodeEvent(`{"Type":"container","Action":"exec_start: sh -c true","Actor":{"ID":"${HEX_ID}"},"time":1,"timeNano":1000000000}`);
    assert.ok(typeof d !== 'string');
    assert.equal(d.event, undefined);
    assert.equal(decodeEvent('{nope'), 'not JSON');
    assert.equal(decodeEvent('[1]'), 'not a JSON object');
    assert.equal(decodeEvent('{"Type":"container","Action":"die"}'), 'no Actor.ID or Action');
    assert.equal(decodeEvent('{"Type":"image","Action":"pull","Actor":{"ID":"x"},"time":1}'), 'not a container event (Type)');
    assert.equal(decodeEvent(`{"Type":"container","Action":"die","Actor":{"ID":"${HEX_ID}"}}`), 'no timeNano or time');
  });

  test('an id that is not 64 hex digits is no container\'s: refused before it is kept anywhere', () => {
    const line = (id: string): string => `{"Type":"container","Action":"die","Actor":{"ID":${JSON.stringify(id)}},"time":1,"timeNano":1000000000}`;
    for (const id of ['abc', HEX_ID.toUpperCase(), `${HEX_ID}0`, 'x'.repeat(1024 * 1024), `${HEX_ID.slice(1)}g`]) {
      assert.equal(decodeEvent(line(id)), 'Actor.ID is not a container id (64 hex digits)', id.slice(0, 70));
    }
    const d = decodeEvent(line(HEX_ID));
    assert.ok(typeof d !== 'string');
    assert.equal(d.id, HEX_ID);
  });

  test('the replay key of an uncounted action is bounded, whatever its length', () => {
    const d = decodeEvent(`{"Type":"container","Action":"exec_start: ${'x'.repeat(100_000)}","Actor":{"ID":"${HEX_ID}"},"time":1,"timeNano":1000000000}`);
    assert.ok(typeof d !== 'string');
    assert.ok(d.key.length < 256, `${d.key.length} characters`);
  });

  test('a label value that looks like a timeNano field does not fool the exact reading', () => {
    const line = `{"Type":"container","Action":"die","Actor":{"ID":"${HEX_ID}","Attributes":{"note":"\\"timeNano\\":5,","exitCode":"1"}},"time":1795947076,"timeNano":1795947076400043871}`;
    const d = decodeEvent(line);
    assert.ok(typeof d !== 'string');
    assert.equal(d.timeNano, 1795947076400043871n);
    assert.equal(d.exitCode, 1);
  });
});

describe('refuseLongLine', () => {
  const line = (id: string, pad = 0) => Buffer.from(`{"Type":"container","Action":"start","Actor":{"ID" : "${id}","Attributes":{"name":"c","big":"${'x'.repeat(pad)}"}},"timeNano":1}`);
  test('a long line whose Actor.ID is not 64 characters is refused from its bytes; a long one with a real id, or a short one, is left to decodeEvent', () => {
    assert.equal(refuseLongLine(line('a'.repeat(1_000_000))), 'Actor.ID is not a container id (64 hex digits)');
    assert.equal(refuseLongLine(line('ab', LONG_EVENT_LINE_BYTES)), 'Actor.ID is not a container id (64 hex digits)');
    assert.equal(refuseLongLine(line(HEX_ID, LONG_EVENT_LINE_BYTES)), undefined);
    assert.ok(typeof decodeEvent(line(HEX_ID, LONG_EVENT_LINE_BYTES).toString()) !== 'string', 'a long line with a real id is an event');
    assert.equal(refuseLongLine(line('ab')), undefined);
  });
});

describe('SeenEvents', () => {
  test('a key is new once; the oldest keys leave beyond the capacity', () => {
    const s = new SeenEvents(3);
    assert.equal(s.add('a'), true);
    assert.equal(s.add('a'), false);
    s.add('b');
    s.add('c');
    s.add('d'); // evicts a
    assert.equal(s.size, 3);
    assert.equal(s.add('b'), false);
    assert.equal(s.add('a'), true);
  });

  test('exactly the last `capacity` keys are remembered, across many times the capacity', () => {
    const s = new SeenEvents(4);
    for (let i = 0; i < 1000; i++) {
      assert.equal(s.add(`k${i}`), true);
      if (i >= 3) assert.equal(s.add(`k${i - 3}`), false, `k${i - 3} is one of the last 4 after k${i}`);
    }
    for (const i of [996, 997, 998, 999]) assert.equal(s.add(`k${i}`), false);
    assert.equal(s.add('k995'), true, 'older than the last 4');
    assert.equal(s.size, 4);
  });
});

describe('HostEventCounts', () => {
  const T = 1_795_947_000_000_000_000n;
  const s = (n: number) => T + BigInt(Math.round(n * 1e9));
  const snap = (c: HostEventCounts) => c.snapshot({ connected: true, reconnects: 0, lastEventSeconds: NaN, limitHits: { line_bytes: 0, line_depth: 0, tracked_containers: 0 } });

  test('per container and per host; a destroyed container leaves its counts in the host totals only', () => {
    const c = new HostEventCounts();
    for (const [id, action, t] of [['a', 'start', 0], ['a', 'die', 1], ['a', 'start', 2], ['b', 'start', 3], ['b', 'die', 4], ['b', 'destroy', 5], ['a', 'exec_die', 6]] as const) {
      c.apply(ev(id, action, s(t), action === 'die' ? { exitCode: id === 'a' ? '2' : '9' } : {}));
    }
    const x = snap(c);
    assert.deepEqual(x.host, { start: 3, die: 2, oom: 0, kill: 0, restart: 0, health_status_unhealthy: 0, health_status_healthy: 0, destroy: 1 });
    assert.deepEqual([...x.containers.keys()], ['a']);
    assert.equal(x.containers.get('a')!.events.start, 2);
    assert.equal(x.containers.get('a')!.events.die, 1);
  });

  test('at most `cap` containers are counted (and an eighth more between evictions), whether or not a list ever prunes them: the oldest last events go first', () => {
    const c = new HostEventCounts(3);
    for (const [i, id] of ['a', 'b', 'c'].entries()) c.apply(ev(id, 'start', s(i)), i);
    c.apply(ev('a', 'die', s(3), { exitCode: '1' }), 3);
    c.apply(ev('d', 'start', s(4)), 4);
    assert.deepEqual([...snap(c).containers.keys()].sort(), ['a', 'c', 'd'], 'b had the oldest last event');
    assert.equal(c.evicted, 1);
    for (let i = 0; i < 1000; i++) c.apply(ev(`x${i}`, 'start', s(5 + i)), 5 + i);
    assert.equal(snap(c).containers.size, 3);
    assert.equal(c.evicted, 1001);
    assert.equal(snap(c).host.start, 1004, 'the host totals keep every event');
    const big = new HostEventCounts(1024);
    for (let i = 0; i < 200_000; i++) big.apply(ev(`y${i}`, 'start', s(i)), i);
    assert.ok(snap(big).containers.size <= 1024 + 128, `${snap(big).containers.size} counted`);
  });

  test('slots grow as containers are counted: a host of a few dozen holds KBs, not the cap\'s MBs, and growing loses no count', () => {
    const before = process.memoryUsage().arrayBuffers;
    const hosts = Array.from({ length: 50 }, () => {
      const c = new HostEventCounts();
      for (let i = 0; i < 40; i++) c.apply(ev(`c${i}`, 'start', s(i)), i);
      return c;
    });
    const grew = process.memoryUsage().arrayBuffers - before;
    assert.ok(grew < 10 * 1024 * 1024, `50 hosts of 40 containers took ${(grew / 1048576).toFixed(1)} MB of typed arrays`);
    for (const c of hosts) assert.equal(snap(c).containers.size, 40);
    const c = new HostEventCounts();
    for (let i = 0; i < 5000; i++) c.apply(ev(`g${i}`, 'start', s(i)), i);
    for (let i = 0; i < 5000; i += 7) c.apply(ev(`g${i}`, 'die', s(5000 + i), { exitCode: String(i % 256) }), 5000 + i);
    const x = snap(c);
    assert.equal(x.containers.size, 5000);
    for (let i = 0; i < 5000; i++) {
      const counts = x.containers.get(`g${i}`);
      assert.ok(counts, `g${i} counted`);
      assert.equal(counts.events.start, 1);
      assert.equal(counts.events.die, i % 7 === 0 ? 1 : 0);
    }
    c.apply(ev('g7', 'destroy', s(20_000)), 20_000);
    assert.equal(snap(c).containers.has('g7'), false, 'found through the buckets made again');
  });

  test('a container counted again after it was forgotten starts from nothing', () => {
    const c = new HostEventCounts(1);
    c.apply(ev('a', 'die', s(0), { exitCode: '3' }), 0);
    c.apply(ev('a', 'oom', s(1)), 0);
    c.apply(ev('b', 'start', s(2)), 1);
    c.apply(ev('c', 'start', s(3)), 2); // a and b forgotten
    c.apply(ev('a', 'oom', s(1.5)), 3); // within a's old kill, had it been kept
    const a = snap(c).containers.get('a')!;
    assert.deepEqual(a.events, { start: 0, die: 0, oom: 1, kill: 0, restart: 0, health_status_unhealthy: 0, health_status_healthy: 0, destroy: 0 });
    assert.equal(a.oomKills, 1);
    assert.ok(Number.isNaN(a.lastExitCode));
    c.apply(ev('a', 'destroy', s(4)), 4);
    c.apply(ev('d', 'start', s(5)), 5);
    assert.deepEqual(snap(c).containers.get('d')!.events.start, 1);
  });

  test('the last exit code survives the restart that follows it', () => {
    const c = new HostEventCounts();
    c.apply(ev('a', 'die', s(0), { exitCode: '137' }));
    c.apply(ev('a', 'start', s(1)));
    assert.equal(snap(c).containers.get('a')!.lastExitCode, 137);
    c.apply(ev('a', 'die', s(2), { exitCode: '0' }));
    assert.equal(snap(c).containers.get('a')!.lastExitCode, 0);
  });

  test('OOM kills: a burst of oom events is one kill; a later one, or one after a start or a die, is another', () => {
    const c = new HostEventCounts();
    // measured here: 6 processes allocating together, 60 oom events within 0.4 s, one die
    for (let i = 0; i < 60; i++) c.apply(ev('multi', 'oom', s(i * 0.006)));
    c.apply(ev('multi', 'die', s(0.45), { exitCode: '137' }));
    // a child killed every 10 s, PID 1 lives on: one event each
    for (let i = 0; i < 3; i++) c.apply(ev('child', 'oom', s(100 + i * 10)));
    // killed and restarted quickly (--restart on-failure): a start or a die ends a kill even
    // inside the window; the third run's oom is reported before its start (seen on dockerd 20.10)
    for (const t of [200, 200.3]) {
      c.apply(ev('loop', 'start', s(t)));
      c.apply(ev('loop', 'oom', s(t + 0.05)));
      c.apply(ev('loop', 'die', s(t + 0.1), { exitCode: '137' }));
    }
    c.apply(ev('loop', 'oom', s(200.6)));
    c.apply(ev('loop', 'start', s(200.61)));
    c.apply(ev('loop', 'die', s(200.7), { exitCode: '137' }));
    const x = snap(c);
    assert.equal(x.containers.get('multi')!.oomKills, 1);
    assert.equal(x.containers.get('multi')!.events.oom, 60, 'the raw oom events stay counted');
    assert.equal(x.containers.get('child')!.oomKills, 3);
    assert.equal(x.containers.get('loop')!.oomKills, 3);
    assert.equal(x.hostOomKills, 7);
    assert.deepEqual([OOM_KILL_GAP_NS, OOM_KILL_MAX_NS], [1_000_000_000n, 10_000_000_000n]);
  });

  test('OOM kills: a slow burst (a loaded machine) is one kill as long as its events keep coming within 1 s', () => {
    const c = new HostEventCounts();
    for (let i = 0; i < 30; i++) c.apply(ev('slow', 'oom', s(i * 0.08))); // 2.4 s, 80 ms apart
    c.apply(ev('slow', 'oom', s(3.5))); // 1.1 s after the last: another kill
    assert.equal(snap(c).containers.get('slow')!.oomKills, 2);
  });

  test('OOM kills: a storm without end counts one kill per 10 s, not one in all and not one per event', () => {
    const c = new HostEventCounts();
    for (let i = 0; i < 100; i++) c.apply(ev('storm', 'oom', s(i * 0.25))); // 25 s, 4 a second
    assert.equal(snap(c).containers.get('storm')!.oomKills, 3);
  });

  test('retain forgets containers not listed, but not one with an event since the list started', () => {
    const c = new HostEventCounts();
    c.apply(ev('gone', 'start', s(0)), 1000);
    c.apply(ev('kept', 'start', s(0)), 1000);
    c.apply(ev('new', 'start', s(0)), 3000);
    c.retain(new Set(['kept']), 2000);
    assert.deepEqual([...snap(c).containers.keys()].sort(), ['kept', 'new']);
    assert.equal(snap(c).host.start, 3, 'the host keeps counting what is gone');
  });

  test('snapshots are copies: later events do not change one already taken; an unchanged host shares its map', () => {
    const c = new HostEventCounts();
    c.apply(ev('a', 'start', s(0)));
    const first = snap(c);
    assert.equal(snap(c).containers, first.containers, 'no copy while nothing changed');
    c.apply(ev('a', 'die', s(1), { exitCode: '1' }));
    assert.equal(first.host.die, 0);
    assert.equal(first.containers.get('a')!.events.die, 0);
    assert.equal(snap(c).containers.get('a')!.events.die, 1);
  });
});
