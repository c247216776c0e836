// One host's event stream against the fake Engine API, through dockerode on a unix socket:
// counted once, whatever the stream does (cut, daemon restart, garbage, refusal, hang).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { pino } from 'pino';
import { createDockerode, DaemonClient } from '../../src/docker/daemon-client.ts';
import { HostEvents } from '../../src/events/host-events.ts';
import { startFakeEngine, type FakeEngine } from '../support/fake-engine.ts';

const dir = mkdtempSync(join(tmpdir(), 'dfe-events-'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

const ID = (n: number) => n.toString(16).padStart(64, 'c');

describe('HostEvents against the fake engine', () => {
  let engine: FakeEngine;
  let agent: Agent;
  let client: DaemonClient;
  let events: HostEvents;
  let logs: { msg: string; err?: string }[];

  before(async () => {
    engine = await startFakeEngine({ socketPath: join(dir, 'docker.sock') });
  });
  after(async () => {
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function follow(include: (c: { name: string; labels: Record<string, string> }) => boolean = () => true): HostEvents {
    logs = [];
    const log = pino({ level: 'debug', base: undefined }, { write: (s: string) => void logs.push(JSON.parse(s) as { msg: string }) });
    agent = new Agent({ keepAlive: true });
    client = new DaemonClient(createDockerode({ protocol: 'http:', socketPath: engine.socketPath! }, agent));
    events = new HostEvents({ source: client, log, include, connectTimeoutMs: 500, backoff: { initialMs: 40, maxMs: 160 } });
    events.start();
    return events;
  }

  beforeEach(() => {
    engine.events.restart();
    engine.events.bufferLimit = 256;
    engine.clearFaults();
    engine.resetCounters();
  });
  afterEach(async () => {
    await events.close();
    client.close();
    agent.destroy();
  });

  const die = (n: number, exitCode: number) => engine.events.emit({ id: ID(n), name: `c${n}`, action: 'die', attributes: { exitCode: String(exitCode) } });
  const count = (n: number, e: 'die' | 'start' = 'die') => events.snapshot().containers.get(ID(n))?.events[e] ?? 0;
  const connected = () => events.snapshot().connected && engine.events.subscribers === 1;

  test('counts live events, once each, with the exit code of the last die', async () => {
    follow();
    await waitFor('the stream', connected);
    engine.events.emit({ id: ID(1), name: 'c1', action: 'start' });
    die(1, 3);
    die(1, 4);
    await waitFor('two dies', () => count(1) === 2);
    const s = events.snapshot();
    assert.equal(s.containers.get(ID(1))!.lastExitCode, 4);
    assert.equal(s.host.start, 1);
    assert.equal(s.connected, true);
    assert.equal(s.reconnects, 0);
    assert.ok(s.lastEventSeconds > Date.now() / 1000 - 60, `${s.lastEventSeconds}`);
    const req = engine.requests.log.find((r) => r.kind === 'events')!;
    assert.equal(req.method, 'GET');
    const filters = JSON.parse(new URLSearchParams(req.path.split('?')[1]).get('filters')!) as Record<string, string[]>;
    assert.deepEqual(filters.type, ['container']);
    assert.ok(filters.event!.includes('health_status') && !filters.event!.includes('exec_die'), 'the daemon filters for us');
    assert.equal(new URLSearchParams(req.path.split('?')[1]).get('since'), null, 'the first stream replays nothing');
  });

  test('a cut stream reconnects with since: what happened in the gap is counted once, what came before is not counted again', async () => {
    follow();
    await waitFor('the stream', connected);
    die(1, 1);
    die(2, 1);
    await waitFor('two dies', () => count(1) === 1 && count(2) === 1);
    // hold the next attempt off until the gap's events are in the buffer
    const remove = engine.addFault({ kind: 'events', status: 500, message: 'not yet', times: 1 });
    assert.equal(engine.events.cut(), 1);
    die(1, 2);
    die(3, 5);
    await waitFor('the reconnect', () => events.snapshot().reconnects === 1 && connected());
    await waitFor('the replay', () => count(3) === 1);
    remove();
    assert.equal(count(1), 2, 'c1: one die before the cut, one in the gap');
    assert.equal(count(2), 1, 'c2: replayed (inside the since overlap) but not counted again');
    assert.equal(events.snapshot().host.die, 4);
    const since = engine.requests.log.filter((r) => r.kind === 'events').map((r) => new URLSearchParams(r.path.split('?')[1]).get('since'));
    assert.equal(since[0], null);
    assert.match(since.at(-1) ?? '', /^\d{10}\.\d+$/, 'the reconnect asks for a replay');
    assert.ok(logs.some((l) => l.msg === 'events: stream down'), 'the drop is logged');
  });

  test('after a daemon restart the counts go on: what the new daemon said before the reconnect is replayed', async () => {
    follow();
    await waitFor('the stream', connected);
    die(7, 0);
    await waitFor('a die', () => count(7) === 1);
    const remove = engine.addFault({ kind: 'events', destroy: true, times: 2 });
    engine.events.restart(); // streams cut, buffer gone
    engine.events.emit({ id: ID(7), name: 'c7', action: 'start' });
    die(7, 9);
    await waitFor('the reconnect', connected);
    await waitFor('the replay', () => count(7) === 2);
    remove();
    assert.equal(count(7, 'start'), 1);
    assert.equal(events.snapshot().containers.get(ID(7))!.lastExitCode, 9);
  });

  test("a gap longer than the daemon's buffer loses the oldest events: only the buffer is replayed", async () => {
    engine.events.bufferLimit = 10;
    follow();
    await waitFor('the stream', connected);
    engine.events.emit({ id: ID(9), name: 'c9', action: 'start' });
    await waitFor('a start', () => count(9, 'start') === 1);
    const remove = engine.addFault({ kind: 'events', status: 500, message: 'not yet', times: 1 });
    engine.events.cut();
    for (let i = 0; i < 25; i++) die(9, i);
    await waitFor('the replay', () => connected() && count(9) === 10);
    remove();
    await sleep(100);
    assert.equal(count(9), 10, '25 dies in the gap, 10 in the buffer');
    assert.equal(events.snapshot().containers.get(ID(9))!.lastExitCode, 24);
  });

  test('lines split across chunks are joined; a line that is not an event is skipped and logged once per cause', async () => {
    follow();
    await waitFor('the stream', connected);
    const line = die(4, 1).line;
    engine.events.writeRaw('{not json}\n{"also":"not an event"}\n{not json either}\n');
    engine.events.writeRaw(line.replace(/"die"/g, '"kill"').replace(/"timeNano":\d+/, '"timeNano":1').slice(0, 40));
    await sleep(30);
    engine.events.writeRaw(line.replace(/"die"/g, '"kill"').replace(/"timeNano":\d+/, '"timeNano":1').slice(40));
    await waitFor('the split kill', () => (events.snapshot().containers.get(ID(4))?.events.kill ?? 0) === 1);
    assert.equal(count(4), 1);
    assert.deepEqual(logs.filter((l) => l.msg.startsWith('events: line skipped')).map((l) => l.err), ['not JSON', 'no Actor.ID or Action']);
    assert.equal(events.snapshot().connected, true, 'garbage does not cut the stream');
  });

  test('an endless line is cut at 1 MiB and the stream reopened', async () => {
    follow();
    await waitFor('the stream', connected);
    engine.events.writeRaw('{"pad":"' + 'x'.repeat(1024 * 1024 + 10));
    await waitFor('the reconnect', () => events.snapshot().reconnects === 1 && connected());
    assert.ok(logs.some((l) => l.msg === 'events: stream down' && /longer than 1 MiB/.test(l.err ?? '')), JSON.stringify(logs));
    die(5, 2);
    await waitFor('a die after it', () => count(5) === 1);
  });

  test('a refused /events (403 from an authorization plugin) and a daemon that never answers are retried, not fatal', async () => {
    engine.addFault({ kind: 'events', status: 403, message: 'authorization denied by plugin', times: 2 });
    engine.addFault({ kind: 'events', hang: true, times: 1 });
    follow();
    await waitFor('the stream after 4 attempts', connected, 8000);
    const downs = logs.filter((l) => l.msg === 'events: stream down').map((l) => l.err);
    assert.ok(downs.some((e) => /HTTP 403: authorization denied by plugin/.test(e ?? '')), JSON.stringify(downs));
    assert.ok(downs.some((e) => /no answer within 500ms/.test(e ?? '')), JSON.stringify(downs));
    assert.equal(logs.filter((l) => l.msg === 'events: stream down' && /403/.test(l.err ?? '')).length, 1, 'the same cause is logged once');
  });

  test('the include filter applies to events (name, and labels without the daemon\'s own attributes); start, die and health events mark containers for inspect', async () => {
    const seen: Record<string, string>[] = [];
    follow((c) => {
      seen.push(c.labels);
      return c.name !== 'skip-me';
    });
    await waitFor('the stream', connected);
    engine.events.emit({ id: ID(19), name: 'c19', action: 'die', attributes: { image: 'busybox', exitCode: '0', 'com.example.team': 'core' } });
    engine.events.emit({ id: ID(20), name: 'skip-me', action: 'die', attributes: { exitCode: '1' } });
    engine.events.emit({ id: ID(21), name: 'c21', action: 'health_status: unhealthy' });
    engine.events.emit({ id: ID(22), name: 'c22', action: 'kill' });
    engine.events.emit({ id: ID(23), name: 'c23', action: 'start' });
    await waitFor('three events', () => events.snapshot().host.start === 1);
    assert.equal(events.snapshot().host.die, 1, 'excluded containers are not counted, per host either');
    assert.deepEqual(seen[0], { 'com.example.team': 'core' }, 'labels as the list has them');
    assert.deepEqual([...(events.takeMarked() as Set<string>)].sort(), [ID(19), ID(21), ID(23)]);
    assert.deepEqual([...(events.takeMarked() as Set<string>)], [], 'taken once');
  });

  test('close() cuts the stream and stops the retries', async () => {
    follow();
    await waitFor('the stream', connected);
    await events.close();
    await waitFor('the fake to see it go', () => engine.events.subscribers === 0);
    const served = engine.events.served.length;
    engine.events.cut();
    await sleep(400);
    assert.equal(engine.events.served.length, served, 'no attempt after close');
    assert.equal(events.snapshot().connected, false);
  });
});
