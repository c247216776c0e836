// A snapshot is plain data: what a scrape was served does not change when later probes count.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { pino } from 'pino';
import { F } from '../../src/stats/layout.ts';
import { StatsPool } from '../../src/stats/pool.ts';
import { HostTracker } from '../../src/tracker/host-tracker.ts';
import { createUnixTransport } from '../../src/transport/unix.ts';
import { startFakeEngine, type FakeEngine } from '../support/fake-engine.ts';
import { testConfig } from '../support/config.ts';

const dir = mkdtempSync(join(tmpdir(), 'dfe-snapshot-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function trackerOf(engine: FakeEngine): HostTracker {
  return new HostTracker({
    host: { name: 'h', url: engine.url, endpoint: { kind: 'unix', socketPath: engine.socketPath! }, labels: {} },
    transport: createUnixTransport(engine.socketPath!, 8),
    parser: StatsPool.create({ threads: 0 }),
    collection: testConfig([], { collection: { timeoutMs: 5000, concurrency: 8 } }).collection,
    include: () => true,
    log: pino({ level: 'silent' }),
  });
}

test('a snapshot keeps the counters and histograms it was made with', async () => {
  const engine = await startFakeEngine({ socketPath: join(dir, 'e.sock'), containers: [{ name: 'web', state: 'running' }] });
  const tracker = trackerOf(engine);
  try {
    const first = await tracker.scrape();
    assert.equal(first.up, true);
    assert.equal(first.counters.probeDuration.count, 1);
    engine.addFault({ kind: 'list', status: 500, message: 'down' });
    const second = await tracker.scrape();
    assert.equal(second.up, false);
    assert.equal(second.counters.listFailed, 1);
    assert.equal(second.counters.probeDuration.count, 2);
    assert.equal(first.counters.listFailed, 0, 'the first snapshot still shows what its scrape was served');
    assert.equal(first.counters.probeDuration.count, 1);
    assert.equal(first.counters.probeDuration.counts.reduce((a, b) => a + b, 0), 1);
  } finally {
    await tracker.close();
    await engine.close();
  }
});

test('a container snapshot carries the CPU counter of its previous stats sample, and none after a stop', async () => {
  const engine = await startFakeEngine({ socketPath: join(dir, 'cpu.sock'), containers: [{ name: 'web', state: 'running' }] });
  const tracker = trackerOf(engine);
  const web = async () => (await tracker.scrape()).containers!.find((c) => c.ident.name === 'web')!;
  try {
    const first = await web();
    assert.equal(first.prevCpu, undefined, 'one sample: nothing to compare with');
    const second = await web();
    assert.deepEqual(second.prevCpu, { totalNs: first.stats!.values[F.cpuTotalNs], readTime: first.stats!.values[F.readTime] });
    assert.ok(second.stats!.values[F.cpuTotalNs]! > second.prevCpu!.totalNs, 'the fake counter grew between the samples');
    assert.equal(first.prevCpu, undefined, 'an earlier snapshot does not change');
    engine.containers.update('web', { state: 'exited' });
    assert.equal((await web()).prevCpu, undefined);
    engine.containers.update('web', { state: 'running' });
    assert.equal((await web()).prevCpu, undefined, 'started again: the rate starts afresh');
    assert.ok((await web()).prevCpu);
  } finally {
    await tracker.close();
    await engine.close();
  }
});
