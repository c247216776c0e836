// The fake engine's GET /events behaves as dockerd's does where the exporter depends on it:
// `since` inclusive and only over the buffer, the buffer bounded, filters (list and map forms,
// health_status by prefix), streams kept open until cut.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { request, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startFakeEngine, type FakeEngine } from '../support/fake-engine.ts';

const dir = mkdtempSync(join(tmpdir(), 'dfe-fake-events-'));

interface Stream {
  res: IncomingMessage;
  lines: () => string[];
  ended: Promise<void>;
}

function open(engine: FakeEngine, query: string): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: engine.socketPath, path: `/events?${query}` }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      const ended = new Promise<void>((r) => res.on('close', () => r()));
      resolve({ res, lines: () => text.split('\n').filter(Boolean), ended });
    });
    req.on('error', reject);
    req.end();
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const actions = (s: Stream) => s.lines().map((l) => (JSON.parse(l) as { Action: string }).Action);
const filters = (f: unknown) => `filters=${encodeURIComponent(JSON.stringify(f))}`;

describe('fake engine GET /events', () => {
  let engine: FakeEngine;
  before(async () => {
    engine = await startFakeEngine({ socketPath: join(dir, 'docker.sock') });
  });
  after(async () => {
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    engine.events.restart();
    engine.events.bufferLimit = 256;
  });

  it('replays the buffer from since (inclusive, to the nanosecond), then streams live events', async () => {
    engine.events.emit({ id: 'a', action: 'start', timeNano: 1_000_000_000_000_000_100n });
    engine.events.emit({ id: 'a', action: 'die', timeNano: 1_000_000_000_000_000_200n });
    const s = await open(engine, 'since=1000000000.000000200');
    engine.events.emit({ id: 'a', action: 'destroy' });
    await sleep(50);
    assert.deepEqual(actions(s), ['die', 'destroy']);
    assert.match(s.lines()[0]!, /"timeNano":1000000000000000200}$/);
    s.res.destroy();
  });

  it('without since: live events only; the buffer keeps the last bufferLimit events', async () => {
    engine.events.bufferLimit = 3;
    for (const action of ['a', 'b', 'c', 'd', 'e']) engine.events.emit({ id: 'x', action });
    const live = await open(engine, '');
    const all = await open(engine, 'since=0.1');
    await sleep(50);
    assert.deepEqual(actions(live), []);
    assert.deepEqual(actions(all), ['c', 'd', 'e']);
    live.res.destroy();
    all.res.destroy();
  });

  it('filters by type and event, list or map form; health_status matches by prefix', async () => {
    const list = await open(engine, filters({ type: ['container'], event: ['die', 'health_status'] }));
    const map = await open(engine, filters({ event: { start: true } }));
    engine.events.emit({ id: 'x', action: 'die' });
    engine.events.emit({ id: 'x', action: 'health_status: unhealthy' });
    engine.events.emit({ id: 'x', action: 'exec_die' });
    engine.events.emit({ id: 'x', action: 'start' });
    engine.events.emit({ id: 'i', action: 'die', type: 'image' });
    await sleep(50);
    assert.deepEqual(actions(list), ['die', 'health_status: unhealthy']);
    assert.deepEqual(actions(map), ['start']);
    list.res.destroy();
    map.res.destroy();
  });

  it('cut() ends every live stream; requests are logged as kind events', async () => {
    const s = await open(engine, '');
    await sleep(20);
    assert.equal(engine.events.subscribers, 1);
    assert.equal(engine.events.cut(), 1);
    await s.ended;
    assert.equal(engine.events.subscribers, 0);
    assert.ok(engine.requests.byKind.events >= 1);
  });
});
