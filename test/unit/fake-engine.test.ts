// Self-test of the fake Docker Engine the integration tests and the benchmark stand on.
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import { mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeCerts, type Certs } from '../support/certs.ts';
import { startFakeEngine, type FakeEngine } from '../support/fake-engine.ts';
import { memory, resetPeakRss } from '../support/proc.ts';
import { startDaemons } from '../faults/lib/daemons.ts';
import { sampleContainers, statsBody } from '../support/stats-bodies.ts';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

interface Target {
  socketPath?: string;
  port?: number;
  agent?: http.Agent;
  tls?: { ca: string; cert?: string; key?: string };
}

function get(t: Target, path: string, opts: { method?: string; timeoutMs?: number } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const base = { path, method: opts.method ?? 'GET', agent: t.agent, signal: AbortSignal.timeout(opts.timeoutMs ?? 5000) };
    const onRes = (res: http.IncomingMessage): void => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    };
    const req = t.tls
      ? https.request({ ...base, host: '127.0.0.1', port: t.port, ca: t.tls.ca, cert: t.tls.cert, key: t.tls.key }, onRes)
      : http.request({ ...base, socketPath: t.socketPath, host: t.socketPath ? 'localhost' : '127.0.0.1', port: t.port }, onRes);
    req.on('error', reject);
    req.end();
  });
}

const json = (r: Reply): unknown => JSON.parse(r.body);

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fake-engine-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('stats bodies', () => {
  it('v1 and v2 bodies have the real shapes and sizes, and counters move with tick', () => {
    const id = 'b'.repeat(64);
    for (const cgroup of [1, 2] as const) {
      const a = JSON.parse(statsBody({ id, name: 'web', cgroup, tick: 1 }));
      const b = JSON.parse(statsBody({ id, name: 'web', cgroup, tick: 2 }));
      const size = statsBody({ id, name: 'web', cgroup, tick: 2 }).length;
      assert.ok(size > 1700 && size < 3200, `v${cgroup} body is ${size} bytes`);
      assert.equal(a.name, '/web');
      assert.equal(a.preread, '0001-01-01T00:00:00Z');
      assert.equal(a.precpu_stats.cpu_usage.total_usage, 0);
      assert.ok(b.cpu_stats.cpu_usage.total_usage > a.cpu_stats.cpu_usage.total_usage);
      assert.ok(b.cpu_stats.system_cpu_usage > a.cpu_stats.system_cpu_usage);
      assert.ok(b.networks.eth0.rx_bytes > a.networks.eth0.rx_bytes);
      const ops = a.blkio_stats.io_service_bytes_recursive.map((e: { op: string }) => e.op);
      if (cgroup === 1) {
        assert.deepEqual(a.cpu_stats.cpu_usage.percpu_usage.reduce((x: number, y: number) => x + y, 0), a.cpu_stats.cpu_usage.total_usage);
        assert.equal(typeof a.memory_stats.stats.total_inactive_file, 'number');
        assert.equal(a.memory_stats.failcnt, 0);
        assert.ok(ops.includes('Read') && ops.includes('Total'));
        assert.deepEqual(a.blkio_stats.io_queue_recursive, []);
      } else {
        assert.equal(a.cpu_stats.cpu_usage.percpu_usage, undefined);
        assert.equal(typeof a.memory_stats.stats.inactive_file, 'number');
        assert.equal(a.memory_stats.stats.total_rss, undefined);
        assert.equal(a.memory_stats.failcnt, undefined);
        assert.ok(ops.every((op: string) => op === 'read' || op === 'write'));
        assert.equal(a.blkio_stats.io_serviced_recursive, null);
      }
    }
  });
});

describe('fake engine on a unix socket', () => {
  let engine: FakeEngine;
  let t: Target;
  before(async () => {
    engine = await startFakeEngine({ socketPath: join(dir, 'docker.sock'), cgroup: 1 });
    for (const c of sampleContainers(6, { seed: 7, allRunning: true })) engine.containers.add(c);
    engine.containers.add({ name: 'stopped', state: 'exited', exitCode: 137, oomKilled: true });
    t = { socketPath: join(dir, 'docker.sock') };
  });
  after(() => engine.close());

  it('answers ping, version and info', async () => {
    const ping = await get(t, '/_ping');
    assert.equal(ping.body, 'OK');
    assert.equal(ping.headers['api-version'], '1.43');
    const v = json(await get(t, '/version')) as Record<string, unknown>;
    assert.equal(v.ApiVersion, '1.43');
    assert.equal(v.MinAPIVersion, '1.24');
    const info = json(await get(t, '/v1.41/info')) as Record<string, unknown>;
    assert.equal(info.CgroupVersion, '1');
    assert.equal(info.Containers, 7);
    assert.equal(info.ContainersStopped, 1);
  });

  it('lists running containers, or all with all=1', async () => {
    const running = json(await get(t, '/v1.43/containers/json')) as { Names: string[] }[];
    const all = json(await get(t, '/containers/json?all=1')) as { Id: string; Names: string[]; State: string; Status: string; ImageID: string }[];
    assert.equal(running.length, 6);
    assert.equal(all.length, 7);
    const stopped = all.find((c) => c.Names[0] === '/stopped');
    assert.equal(stopped?.State, 'exited');
    assert.match(stopped?.Status ?? '', /^Exited \(137\) /);
    assert.match(all[0]!.Id, /^[0-9a-f]{64}$/);
    assert.match(all[0]!.ImageID, /^sha256:[0-9a-f]{64}$/);
  });

  it('inspects by id, name and id prefix; 404 for an unknown one', async () => {
    const c = engine.containers.get('stopped')!;
    for (const ref of [c.id, 'stopped', c.id.slice(0, 12)]) {
      const body = json(await get(t, `/containers/${ref}/json`)) as { Id: string; Name: string; State: Record<string, unknown>; HostConfig: Record<string, unknown> };
      assert.equal(body.Id, c.id);
      assert.equal(body.Name, '/stopped');
      assert.equal(body.State.ExitCode, 137);
      assert.equal(body.State.OOMKilled, true);
      assert.equal(body.State.Running, false);
      assert.equal(body.HostConfig.Memory, 0);
    }
    const missing = await get(t, '/containers/nope/json');
    assert.equal(missing.status, 404);
    assert.deepEqual(json(missing), { message: 'No such container: nope' });
  });

  it('serves stats whose counters move between scrapes, chunked like the daemon', async () => {
    const c = engine.containers.all()[0]!;
    const r1 = await get(t, `/v1.43/containers/${c.id}/stats?stream=false&one-shot=true`);
    const r2 = await get(t, `/v1.43/containers/${c.id}/stats?stream=false&one-shot=true`);
    assert.equal(r1.headers['transfer-encoding'], 'chunked');
    const [a, b] = [json(r1), json(r2)] as { id: string; cpu_stats: { cpu_usage: { total_usage: number; percpu_usage: number[] } } }[];
    assert.equal(a!.id, c.id);
    assert.equal(a!.cpu_stats.cpu_usage.percpu_usage.length, 2, 'v1 body from a cgroup v1 daemon');
    assert.ok(b!.cpu_stats.cpu_usage.total_usage > a!.cpu_stats.cpu_usage.total_usage);
    const stopped = json(await get(t, '/containers/stopped/stats?stream=false')) as { read: string; memory_stats: object };
    assert.equal(stopped.read, '0001-01-01T00:00:00Z');
    assert.deepEqual(stopped.memory_stats, {});
  });

  it('refuses API versions outside [min, max] with 400', async () => {
    const tooNew = await get(t, '/v1.44/containers/json');
    assert.equal(tooNew.status, 400);
    assert.match((json(tooNew) as { message: string }).message, /too new/);
    const tooOld = await get(t, '/v1.12/_ping');
    assert.equal(tooOld.status, 400);
    assert.match((json(tooOld) as { message: string }).message, /too old/);
  });

  it('answers 405 to anything but GET, and records it', async () => {
    const before = engine.requests.byMethod.POST ?? 0;
    const r = await get(t, '/containers/stopped/start', { method: 'POST' });
    assert.equal(r.status, 405);
    assert.equal(engine.requests.byMethod.POST, before + 1);
    const last = engine.requests.log.at(-1)!;
    assert.equal(last.method, 'POST');
    assert.equal(last.path, '/containers/stopped/start');
  });

  it('counts requests by kind and reuses kept-alive connections', async () => {
    engine.resetCounters();
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const ka = { ...t, agent };
    const id = engine.containers.all()[1]!.id;
    await get(ka, '/_ping');
    await get(ka, '/containers/json?all=1');
    await get(ka, `/containers/${id}/json`);
    await get(ka, `/containers/${id}/stats?stream=false&one-shot=true`);
    await get(ka, `/containers/${id}/stats?stream=false&one-shot=true`);
    agent.destroy();
    assert.equal(engine.connections, 1);
    assert.deepEqual(
      { ...engine.requests.byKind },
      { ping: 1, version: 0, info: 0, list: 1, inspect: 1, stats: 2, df: 0, events: 0, unknown: 0 },
    );
    assert.equal(engine.requests.total, 5);
    assert.deepEqual(engine.requests.byMethod, { GET: 5 });
    assert.equal(engine.requests.log.filter((r) => r.container === id).length, 3);
  });

  it('re-renders list and inspect when the state changes; entries are frozen', async () => {
    const c = engine.containers.add({ name: 'late', state: 'running', health: 'starting', limits: { memory: 64 * 2 ** 20 } });
    assert.throws(() => {
      (c as { state: string }).state = 'exited';
    }, TypeError);
    const ins = json(await get(t, '/containers/late/json')) as { State: { Health: { Status: string } }; HostConfig: { Memory: number } };
    assert.equal(ins.State.Health.Status, 'starting');
    assert.equal(ins.HostConfig.Memory, 64 * 2 ** 20);
    engine.containers.update('late', { state: 'exited', exitCode: 2, restartCount: 4 });
    const list = json(await get(t, '/containers/json?all=1')) as { Names: string[]; State: string }[];
    assert.equal(list.find((x) => x.Names[0] === '/late')?.State, 'exited');
    const after = json(await get(t, '/containers/late/json')) as { State: { ExitCode: number; Pid: number; Running: boolean; FinishedAt: string }; RestartCount: number };
    assert.equal(after.State.ExitCode, 2);
    assert.equal(after.State.Running, false);
    assert.equal(after.State.Pid, 0);
    assert.notEqual(after.State.FinishedAt, '0001-01-01T00:00:00Z');
    assert.equal(after.RestartCount, 4);
    assert.equal(engine.containers.remove('late'), true);
    assert.equal((await get(t, '/containers/late/json')).status, 404);
  });
});

describe('faults', () => {
  let engine: FakeEngine;
  let t: Target;
  let a: string, b: string;
  before(async () => {
    engine = await startFakeEngine({ socketPath: join(dir, 'faults.sock'), containers: [{ name: 'a' }, { name: 'b', cgroup: 1 }] });
    t = { socketPath: join(dir, 'faults.sock') };
    a = engine.containers.get('a')!.id;
    b = engine.containers.get('b')!.id;
  });
  after(() => engine.close());

  it('adds up global, per-kind and per-container delays', async () => {
    const off = [engine.addFault({ delayMs: 40 }), engine.addFault({ kind: 'stats', delayMs: 40 }), engine.addFault({ container: 'a', delayMs: 300 })];
    let t0 = performance.now();
    await get(t, '/_ping');
    const ping = performance.now() - t0;
    t0 = performance.now();
    await get(t, `/containers/${b}/stats?stream=false&one-shot=true`);
    const statsB = performance.now() - t0;
    t0 = performance.now();
    await get(t, `/containers/${a}/stats?stream=false&one-shot=true`);
    const statsA = performance.now() - t0;
    off.forEach((f) => f());
    assert.ok(ping >= 38 && ping < 250, `ping ${ping}`);
    assert.ok(statsB >= 78 && statsB < 300, `stats b ${statsB}: global + stats, not a's`);
    assert.ok(statsA >= 378, `stats a ${statsA}: global + stats + a's`);
    assert.equal(engine.faults.length, 0);
  });

  it('injects a status for one container only, and `times` uses it up', async () => {
    engine.addFault({ kind: 'stats', container: 'a', status: 500, message: 'boom', times: 1 });
    const bad = await get(t, `/containers/${a}/stats?stream=false`);
    assert.equal(bad.status, 500);
    assert.deepEqual(json(bad), { message: 'boom' });
    assert.equal((await get(t, `/containers/${b}/stats?stream=false`)).status, 200);
    assert.equal((await get(t, `/containers/${a}/stats?stream=false`)).status, 200, 'recovers after `times`');
    engine.clearFaults();
  });

  it('the most specific outcome wins', async () => {
    engine.addFault({ status: 503 });
    engine.addFault({ kind: 'inspect', container: 'b', body: '{"Id": "trunc' });
    assert.equal((await get(t, '/_ping')).status, 503);
    assert.equal((await get(t, '/containers/a/json')).status, 503);
    const malformed = await get(t, '/containers/b/json');
    assert.equal(malformed.status, 200);
    assert.throws(() => JSON.parse(malformed.body), SyntaxError);
    engine.clearFaults();
  });

  it('drops the connection on destroy', async () => {
    engine.addFault({ kind: 'list', destroy: true });
    await assert.rejects(get(t, '/containers/json'), (err: NodeJS.ErrnoException) => err.code === 'ECONNRESET' || /socket hang up/.test(err.message));
    engine.clearFaults();
  });

  it('hangs until the client gives up; the hung request is in flight', async () => {
    engine.addFault({ kind: 'info', hang: true });
    const pending = get(t, '/info', { timeoutMs: 150 });
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(engine.inFlight, 1);
    await assert.rejects(pending, (err: Error) => err.name === 'AbortError' || err.name === 'TimeoutError');
    engine.clearFaults();
  });

  it('answers one-shot stats on the daemon tick, so parallel calls share one', async () => {
    engine.statsTickMs = 200;
    await new Promise((r) => setTimeout(r, 200 - (Date.now() % 200) + 5)); // just past a tick
    const t0 = performance.now();
    const ends = await Promise.all(
      [a, b, a, b].map(async (id) => {
        await get(t, `/containers/${id}/stats?stream=false&one-shot=true`);
        return performance.now() - t0;
      }),
    );
    engine.statsTickMs = 0;
    assert.ok(Math.min(...ends) >= 150 && Math.max(...ends) < 400, `ends ${ends.map(Math.round)}`);
    assert.ok(Math.max(...ends) - Math.min(...ends) < 100, `answers spread ${ends.map(Math.round)}`);
    assert.ok(engine.maxInFlight >= 4);
  });

  it('stalls after the headers: status and headers arrive, the body never does', async () => {
    engine.addFault({ kind: 'stats', container: 'a', stallAfterHeaders: true });
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = http.get({ socketPath: t.socketPath, path: `/containers/${a}/stats?stream=false` }, resolve);
      req.on('error', reject);
    });
    assert.equal(res.statusCode, 200);
    let bytes = 0;
    res.on('data', (c: Buffer) => (bytes += c.length));
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(bytes, 0);
    assert.equal(res.complete, false);
    res.destroy();
    engine.clearFaults();
  });

  it('streams a body that never ends, at the rate asked, until the client leaves', async () => {
    engine.addFault({ kind: 'stats', streamForever: { chunkBytes: 1000, everyMs: 20 } });
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      http.get({ socketPath: t.socketPath, path: `/containers/${b}/stats?stream=false` }, resolve).on('error', reject);
    });
    let text = '';
    res.on('data', (c: Buffer) => (text += c.toString('latin1')));
    await new Promise((r) => setTimeout(r, 300));
    const seen = text.length;
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(text.startsWith('{"read":"'), text.slice(0, 40));
    // ~15 chunks of 1000 bytes in 300 ms at one per 20 ms; a loaded machine sends fewer, never more
    assert.ok(seen >= 3000 && seen <= 17_000, `${seen} bytes after 300 ms`);
    assert.ok(text.length > seen, 'still streaming');
    assert.equal(res.complete, false);
    res.destroy();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(engine.inFlight, 0, 'the stream ends with its client');
    engine.clearFaults();
  });

  it('sends a huge body chunk by chunk, as valid JSON of the size asked, without holding it', async () => {
    // The fake runs in a child process here, so its peak RSS is its own: read in this process,
    // the client's 48 MB of chunks (freed whenever the GC gets to them) blurred it.
    const size = 48 * 1024 * 1024 + 7;
    const dir = await mkdtemp(join(tmpdir(), 'dfe-fake-huge-'));
    const daemons = await startDaemons('huge', dir, [{ name: 'huge', containers: [] }]);
    try {
      await daemons.fault('huge', { kind: 'list', hugeBodyBytes: size });
      resetPeakRss(daemons.pid);
      const before = memory(daemons.pid).rss;
      let bytes = 0;
      let head = '';
      let last = '';
      await new Promise<void>((resolve, reject) => {
        http
          .get({ socketPath: daemons.urls.get('huge')!.slice('unix://'.length), path: '/containers/json?all=1' }, (res) => {
            assert.equal(res.headers['transfer-encoding'], 'chunked');
            res.on('data', (c: Buffer) => {
              if (head.length < 16) head += c.toString('latin1', 0, 16);
              last = (last + c.toString('latin1', Math.max(0, c.length - 8))).slice(-8);
              bytes += c.length;
            });
            res.on('end', resolve);
            res.on('error', reject);
          })
          .on('error', reject);
      });
      assert.equal(bytes, size);
      assert.ok(head.startsWith('{"pad":"aaaa'), head);
      assert.ok(last.endsWith('a"}\n'), JSON.stringify(last));
      // the fake never built the 48 MB body: its chunks are 1 MiB, written as the client reads
      const grew = memory(daemons.pid).peakRss - before;
      assert.ok(grew < 16 * 1024 * 1024, `body held whole: the fake's peak RSS grew ${(grew / 1024 / 1024).toFixed(1)} MB while sending it`);
    } finally {
      await daemons.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('sends a repeated body (repeatBody): head, units, tail, valid JSON of about the size asked', async () => {
    engine.addFault({ kind: 'df', repeatBody: { head: '{"Containers":[', unit: '{},', tail: '{}]}\n', bytes: 3 * 1024 * 1024 } });
    const r = await get(t, '/v1.43/system/df');
    assert.equal(r.status, 200);
    assert.ok(Math.abs(r.body.length - 3 * 1024 * 1024) < 4, `${r.body.length} bytes`);
    const body = JSON.parse(r.body) as { Containers: unknown[] };
    assert.equal(body.Containers.length, Math.floor((3 * 1024 * 1024 - 19) / 3) + 1);
    engine.clearFaults();
  });

  /** The first `want` bytes of a hostile /events stream, with the sizes of the HTTP chunks they came in. */
  async function hostileEvents(want: number): Promise<{ text: string; chunks: number[] }> {
    const chunks: number[] = [];
    let text = '';
    await new Promise<void>((resolve, reject) => {
      const req = http.get({ socketPath: t.socketPath, path: '/v1.43/events' }, (res) => {
        res.on('data', (c: Buffer) => {
          chunks.push(c.length);
          text += c.toString('latin1');
          if (text.length >= want) {
            res.destroy();
            resolve();
          }
        });
        res.on('end', resolve);
        res.on('error', () => {});
      });
      req.on('error', reject);
    });
    return { text, chunks };
  }

  it('sends hostile event streams (eventStream): a long line in 1-byte HTTP chunks, nested lines, big then many ids', async () => {
    engine.addFault({ kind: 'events', eventStream: { shape: 'byteChunks', lineBytes: 5000 } });
    const bytes = await hostileEvents(12_000);
    assert.ok(bytes.chunks.every((n) => n === 1), 'one byte per HTTP chunk');
    const [first, second] = bytes.text.split('\n');
    assert.equal(first!.length, 4999);
    assert.deepEqual(JSON.parse(first!), JSON.parse(second!), 'the same line again');
    engine.clearFaults();

    engine.addFault({ kind: 'events', eventStream: { shape: 'nested', lineBytes: 100_001 } });
    const nested = (await hostileEvents(300_000)).text.split('\n');
    assert.equal(nested[0], '['.repeat(50_000) + ']'.repeat(50_000));
    assert.equal(nested[1], nested[0]);
    engine.clearFaults();

    engine.events.hostileIds = 0;
    engine.addFault({ kind: 'events', eventStream: { shape: 'ids', bigIdBytes: 10_000, bigIds: 2, distinctIds: 3 } });
    const ids = (await hostileEvents(Infinity)).text.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { Actor: { ID: string } }).Actor.ID);
    assert.deepEqual(ids.map((id) => id.length), [10_000, 10_000, 64, 64, 64]);
    assert.equal(new Set(ids).size, 5, 'every id new');
    assert.match(ids[4]!, /^[0-9a-f]{64}$/);
    engine.clearFaults();
  });

  it('sends nested arrays in a stats body: balanced, JSON.parse-able, of the size asked', async () => {
    engine.addFault({ kind: 'stats', container: 'a', nestedArrayBytes: 3 * 1024 * 1024 });
    const r = await get(t, `/containers/${a}/stats?stream=false`);
    assert.ok(Math.abs(r.body.length - 3 * 1024 * 1024) < 4, `${r.body.length} bytes`);
    assert.match(r.body, /^\{"read":"[^"]+","cpu_stats":\[\[\[\[/);
    assert.match(r.body, /\]\]\]\]\}\n$/);
    const parsed = JSON.parse(r.body) as { cpu_stats: unknown };
    let depth = 0;
    for (let v: unknown = parsed.cpu_stats; Array.isArray(v); v = v[0]) depth++;
    assert.ok(depth > 1_500_000, `depth ${depth}`);
    engine.clearFaults();
  });

  it('lists every container twice with duplicateIds, the copy in another state behind a link alias', async () => {
    engine.addFault({ kind: 'list', duplicateIds: 'exited' });
    const list = json(await get(t, '/containers/json?all=1')) as { Id: string; Names: string[]; State: string }[];
    assert.equal(list.length, 4);
    assert.deepEqual(list.map((c) => c.Id), [a, a, b, b]);
    assert.deepEqual(list[0]!.Names, ['/a']);
    assert.deepEqual(list[1]!.Names, ['/linker/a', '/a']);
    assert.deepEqual(list.map((c) => c.State), ['running', 'exited', 'running', 'exited']);
    assert.equal((await get(t, '/containers/a/json')).status, 200, 'other kinds answer normally');
    engine.clearFaults();
  });

  it('serves thousands of interfaces in one stats body from the container model', async () => {
    const names = Array.from({ length: 3000 }, (_, i) => `veth${i}`);
    const c = engine.containers.add({ name: 'many-nics', networks: names });
    const body = json(await get(t, `/containers/${c.id}/stats?stream=false`)) as { networks: Record<string, { rx_bytes: number }> };
    assert.equal(Object.keys(body.networks).length, 3000);
    assert.equal(typeof body.networks.veth2999?.rx_bytes, 'number');
    engine.containers.remove(c.id);
  });

  it('close() ends hung requests and removes the socket file', async () => {
    const e2 = await startFakeEngine({ socketPath: join(dir, 'close.sock') });
    e2.addFault({ hang: true });
    const pending = get({ socketPath: join(dir, 'close.sock') }, '/_ping', { timeoutMs: 3000 });
    await new Promise((r) => setTimeout(r, 30));
    const t0 = performance.now();
    await e2.close();
    await assert.rejects(pending);
    assert.ok(performance.now() - t0 < 1000);
    assert.equal(existsSync(join(dir, 'close.sock')), false);
  });
});

describe('fake engine over mutual TLS', () => {
  let certs: Certs;
  let engine: FakeEngine;
  before(async () => {
    certs = await makeCerts(join(dir, 'certs'));
    engine = await startFakeEngine({ port: 0, tls: { key: certs.serverKey, cert: certs.serverCert, ca: certs.ca, requestCert: true }, containers: [{ name: 'tls1' }] });
  });
  after(() => engine.close());

  it('makes PEM files for both CAs', () => {
    for (const pem of [certs.ca, certs.serverCert, certs.clientCert, certs.otherCa, certs.otherClientCert]) assert.match(pem, /^-----BEGIN CERTIFICATE-----/);
    for (const pem of [certs.serverKey, certs.clientKey, certs.otherClientKey]) assert.match(pem, /^-----BEGIN PRIVATE KEY-----/);
    assert.ok(existsSync(certs.paths.serverCert) && existsSync(certs.paths.otherClientKey));
  });

  it('serves a client with a certificate from its CA, one handshake per connection', async () => {
    engine.resetCounters();
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1, ca: certs.ca, cert: certs.clientCert, key: certs.clientKey });
    const t: Target = { port: engine.port, agent, tls: { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey } };
    assert.equal((await get(t, '/_ping')).body, 'OK');
    const list = json(await get(t, '/containers/json?all=1')) as { Names: string[] }[];
    assert.deepEqual(list.map((c) => c.Names[0]), ['/tls1']);
    assert.equal((await get(t, '/containers/tls1/stats?stream=false&one-shot=true')).status, 200);
    agent.destroy();
    assert.equal(engine.connections, 1);
    assert.equal(engine.tlsHandshakes, 1);
    assert.equal(engine.url, `tcp://127.0.0.1:${engine.port}`);
  });

  it('refuses a client certificate from another CA, and a client without one', async () => {
    engine.resetCounters();
    const other: Target = { port: engine.port, tls: { ca: certs.ca, cert: certs.otherClientCert, key: certs.otherClientKey } };
    await assert.rejects(get(other, '/_ping'));
    await assert.rejects(get({ port: engine.port, tls: { ca: certs.ca } }, '/_ping'));
    assert.equal(engine.requests.total, 0);
    assert.equal(engine.tlsHandshakes, 0);
    assert.ok(engine.tlsErrors >= 2, `tlsErrors ${engine.tlsErrors}`);
  });
});
