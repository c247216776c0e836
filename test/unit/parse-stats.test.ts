// The pure stats parser, without threads: exact values per cgroup version, absent sections,
// and garbage that must stay confined to its own row.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseBatch, parseSliced } from '../../src/stats/parse.ts';
import { F, FIELD_COUNT, type ParseResult } from '../../src/stats/layout.ts';
import { pack } from '../../src/stats/layout.ts';
import { countTurns } from '../support/turns.ts';

const enc = new TextEncoder();
const fixture = (name: string): string => readFileSync(new URL(`../fixtures/stats-${name}.json`, import.meta.url), 'utf8');

function parse(...bodies: (string | Uint8Array)[]): ParseResult {
  return parseBatch(pack(bodies.map((b) => (typeof b === 'string' ? enc.encode(b) : b))));
}

function row(r: ParseResult, i: number): Float64Array {
  return r.values.subarray(i * FIELD_COUNT, (i + 1) * FIELD_COUNT);
}

/** Row i as { field: value } so a mismatch names the field. */
function named(r: ParseResult, i: number): Record<string, number> {
  const v = row(r, i);
  return Object.fromEntries(Object.entries(F).map(([k, idx]) => [k, v[idx]]));
}

function assertAllNaN(r: ParseResult, i: number): void {
  for (const [k, x] of Object.entries(named(r, i))) assert.ok(Number.isNaN(x), `${k} should be NaN, got ${x}`);
}

function modified(name: string, edit: (body: Record<string, unknown>) => void): string {
  const body = JSON.parse(fixture(name)) as Record<string, unknown>;
  edit(body);
  return JSON.stringify(body);
}

describe('parseBatch', () => {
  it('reads a cgroup v1 body exactly', () => {
    const r = parse(fixture('v1'));
    assert.deepEqual(r.errors, [null]);
    assert.deepEqual(named(r, 0), {
      cgroupVersion: 1,
      cpuTotalNs: 48211736512,
      cpuUserNs: 36520000000,
      cpuSystemNs: 9870000000,
      systemCpuNs: 1939287450000000,
      onlineCpus: 2,
      cfsPeriods: 41837,
      cfsThrottledPeriods: 1204,
      cfsThrottledNs: 87321456789,
      memUsage: 157286400,
      memLimit: 536870912,
      memInactiveFile: 13197312, // total_inactive_file
      memRss: 90697728, // total_rss
      memCache: 41631744, // total_cache
      memFailcnt: 3,
      pids: 12,
      blkReadBytes: 2 * 18821120, // "Read" on two devices; Sync/Async/Total ignored
      blkWriteBytes: 2 * 4096000,
      readTime: Date.parse('2026-11-29T01:52:10.482Z') / 1000,
      droppedInterfaces: 0,
    });
    assert.deepEqual(r.networks, [
      [{ iface: 'eth0', rxBytes: 734218823, rxPackets: 912345, rxErrors: 0, rxDropped: 7, txBytes: 201938471, txPackets: 655432, txErrors: 0, txDropped: 0 }],
    ]);
  });

  it('reads a cgroup v2 body exactly', () => {
    const r = parse(fixture('v2'));
    assert.deepEqual(r.errors, [null]);
    assert.deepEqual(named(r, 0), {
      cgroupVersion: 2,
      cpuTotalNs: 912837465123,
      cpuUserNs: 700998465123,
      cpuSystemNs: 211839000000,
      systemCpuNs: 8123456780000000,
      onlineCpus: 4,
      cfsPeriods: 120034,
      cfsThrottledPeriods: 3412,
      cfsThrottledNs: 290118273645,
      memUsage: 734003200,
      memLimit: 2147483648,
      memInactiveFile: 121634816, // inactive_file
      memRss: 468762624, // anon
      memCache: 243269632, // file
      memFailcnt: NaN, // v2 has no failcnt
      pids: 27,
      blkReadBytes: 104857600 + 1048576, // lowercase "read", summed over devices
      blkWriteBytes: 52428800 + 8192,
      readTime: Date.parse('2026-11-29T01:52:11.093Z') / 1000,
      droppedInterfaces: 0,
    });
  });

  it('gives the working-set inputs of both versions (usage - inactive_file)', () => {
    const r = parse(fixture('v1'), fixture('v2'));
    const ws = (i: number): number => row(r, i)[F.memUsage] - row(r, i)[F.memInactiveFile];
    assert.equal(ws(0), 157286400 - 13197312);
    assert.equal(ws(1), 734003200 - 121634816);
  });

  it('keeps each network interface separate, in body order', () => {
    const r = parse(fixture('v2'));
    assert.deepEqual(
      r.networks[0].map((n) => [n.iface, n.rxBytes, n.txBytes, n.rxErrors, n.txDropped]),
      [
        ['eth0', 5289012345, 3901234567, 0, 0],
        ['eth1', 1048576, 524288, 1, 2],
      ],
    );
  });

  it('keeps the first 64 interfaces and counts the rest', () => {
    const nets = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`veth${String(i).padStart(4, '0')}`, { rx_bytes: i, tx_bytes: 1 }]));
    const r = parse(modified('v2', (b) => (b.networks = nets(5000))), modified('v2', (b) => (b.networks = nets(64))));
    assert.deepEqual(r.errors, [null, null]);
    assert.equal(r.networks[0]!.length, 64);
    assert.equal(r.networks[0]![63]!.iface, 'veth0063');
    assert.equal(row(r, 0)[F.droppedInterfaces], 4936);
    assert.equal(r.networks[1]!.length, 64);
    assert.equal(row(r, 1)[F.droppedInterfaces], 0);
  });

  it('gives each host of a task its own parse budget: a slow host loses its later bodies, the next host parses', () => {
    // 1 MiB of flat arrays: ~50 ms to parse here, so over a 20 ms budget after the first
    const slow = `{"x":[${Array(350_000).fill('[]').join(',')}]}`;
    const task = pack([slow, slow, slow, fixture('v2'), fixture('v1')].map((b) => enc.encode(b)), [0, 3]);
    const r = parseBatch(task, Infinity, 20);
    assert.equal(r.errors[0], null);
    assert.deepEqual(r.errors.slice(1, 3), ["not parsed: this host's stats took over 20ms to parse", "not parsed: this host's stats took over 20ms to parse"]);
    assert.deepEqual(r.errors.slice(3), [null, null], 'the next host starts with its own budget');
    assert.equal(row(r, 4)[F.cgroupVersion], 1);
  });

  it('fails the bodies not started by the deadline', () => {
    const r = parseBatch(pack([enc.encode(fixture('v2'))]), Date.now() - 1);
    assert.deepEqual(r.errors, ["not parsed: the probe's deadline passed"]);
  });

  it('treats null blkio, missing networks and empty pids_stats as absent', () => {
    const r = parse(fixture('null-blkio'));
    assert.deepEqual(r.errors, [null]);
    const v = named(r, 0);
    assert.ok(Number.isNaN(v.blkReadBytes) && Number.isNaN(v.blkWriteBytes));
    assert.ok(Number.isNaN(v.pids));
    assert.equal(v.cgroupVersion, 2);
    assert.equal(v.memUsage, 2371584);
    assert.equal(v.cpuTotalNs, 41293015);
    assert.deepEqual(r.networks, [[]]);
  });

  it('treats missing pids_stats and blkio_stats as absent', () => {
    const r = parse(modified('v2', (b) => {
      delete b.pids_stats;
      delete b.blkio_stats;
      delete b.networks;
    }));
    assert.deepEqual(r.errors, [null]);
    assert.ok(Number.isNaN(row(r, 0)[F.pids]));
    assert.ok(Number.isNaN(row(r, 0)[F.blkReadBytes]));
    assert.equal(row(r, 0)[F.memRss], 468762624);
  });

  it('reads a stopped container as zero cpu, no memory, no sample time', () => {
    const r = parse(fixture('stopped'));
    assert.deepEqual(r.errors, [null]);
    const v = named(r, 0);
    assert.equal(v.cpuTotalNs, 0);
    assert.equal(v.cfsPeriods, 0);
    for (const k of ['cgroupVersion', 'systemCpuNs', 'onlineCpus', 'memUsage', 'memLimit', 'memInactiveFile', 'memRss', 'memCache', 'memFailcnt', 'pids', 'blkReadBytes', 'readTime']) {
      assert.ok(Number.isNaN(v[k]), `${k} should be NaN, got ${v[k]}`);
    }
    assert.deepEqual(r.networks, [[]]);
  });

  it('leaves cgroupVersion NaN when memory stats have neither shape', () => {
    const r = parse(modified('v2', (b) => {
      (b.memory_stats as Record<string, unknown>).stats = { commitbytes: 1 };
    }));
    assert.deepEqual(r.errors, [null]);
    assert.ok(Number.isNaN(row(r, 0)[F.cgroupVersion]));
    assert.ok(Number.isNaN(row(r, 0)[F.memRss]));
    assert.equal(row(r, 0)[F.memUsage], 734003200);
  });

  it('reports malformed JSON as an error row', () => {
    const r = parse('{"read": "2026-11-29T01:52:11Z", "cpu_stats": {');
    assert.equal(r.values.length, FIELD_COUNT);
    assert.match(r.errors[0] ?? '', /^malformed JSON/);
    assertAllNaN(r, 0);
    assert.deepEqual(r.networks, [[]]);
  });

  it('reports non-object JSON as an error row', () => {
    const r = parse('[1,2]', '42', 'null', '"text"', '');
    assert.match(r.errors[0] ?? '', /array, not a JSON object/);
    assert.match(r.errors[1] ?? '', /number, not a JSON object/);
    assert.match(r.errors[2] ?? '', /null, not a JSON object/);
    assert.match(r.errors[3] ?? '', /string, not a JSON object/);
    assert.match(r.errors[4] ?? '', /^malformed JSON/);
    for (let i = 0; i < 5; i++) assertAllNaN(r, i);
  });

  it('reports wrong types naming the field, and clears a half-filled row', () => {
    const r = parse(
      modified('v2', (b) => {
        (b.memory_stats as Record<string, unknown>).usage = '734003200';
      }),
      modified('v1', (b) => {
        b.networks = { eth0: 5 };
      }),
      modified('v1', (b) => {
        (b.blkio_stats as Record<string, unknown>).io_service_bytes_recursive = { op: 'Read' };
      }),
      modified('v2', (b) => {
        b.read = 17;
      }),
    );
    assert.equal(r.errors[0], 'memory_stats.usage is a string, not a number');
    assert.equal(r.errors[1], 'networks.eth0 is a number, not an object');
    assert.equal(r.errors[2], 'blkio_stats.io_service_bytes_recursive is an object, not an array');
    assert.equal(r.errors[3], 'read is a number, not a string');
    // cpu fields were filled before each failure was found: the row must still be all NaN
    for (let i = 0; i < 4; i++) assertAllNaN(r, i);
    assert.deepEqual(r.networks, [[], [], [], []]);
  });

  it('reports invalid UTF-8 without touching the other bodies', () => {
    const bad = new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]);
    const r = parse(fixture('v1'), bad, fixture('v2'));
    assert.deepEqual(r.errors, [null, 'body is not valid UTF-8', null]);
    assert.equal(row(r, 0)[F.cgroupVersion], 1);
    assert.equal(row(r, 2)[F.cgroupVersion], 2);
  });

  it('parses non-ASCII (UTF-8) bodies next to ASCII ones', () => {
    const r = parse(fixture('v1'), modified('v2', (b) => {
      b.name = '/café';
    }));
    assert.deepEqual(r.errors, [null, null]);
    assert.equal(row(r, 1)[F.memRss], 468762624);
    assert.equal(row(r, 0)[F.memRss], 90697728);
  });

  it('confines a bad body to its own row', () => {
    const r = parse(fixture('v1'), '{oops', fixture('v2'), '[]', fixture('stopped'), fixture('null-blkio'));
    assert.deepEqual(
      r.errors.map((e) => (e === null ? null : 'error')),
      [null, 'error', null, 'error', null, null],
    );
    assert.deepEqual(named(r, 0), named(parse(fixture('v1')), 0));
    assert.deepEqual(named(r, 2), named(parse(fixture('v2')), 0));
    assert.deepEqual(named(r, 5), named(parse(fixture('null-blkio')), 0));
    assert.equal(r.networks[0].length, 1);
    assert.equal(r.networks[2].length, 2);
    assert.deepEqual(r.networks[1], []);
  });

  it('rejects offsets outside the buffer for that body only', () => {
    const good = pack([enc.encode(fixture('v2'))]);
    const offsets = new Uint32Array([good.offsets[0], good.offsets[1], 10, good.buf.length + 5, 9, 3]);
    const r = parseBatch({ buf: good.buf, offsets });
    assert.equal(r.errors[0], null);
    assert.match(r.errors[1] ?? '', /outside the \d+-byte buffer/);
    assert.match(r.errors[2] ?? '', /offsets \[9, 3\)/);
  });

  it('accepts a trailing newline (Go json.Encoder) and an empty batch', () => {
    assert.deepEqual(parse(`${fixture('v2')}\n`).errors, [null]);
    const empty = parse();
    assert.equal(empty.values.length, 0);
    assert.deepEqual(empty.errors, []);
  });

  it('survives structured clone', () => {
    const r = parse(fixture('v1'), '{bad', fixture('v2'));
    const c = structuredClone(r);
    assert.ok(c.values instanceof Float64Array);
    assert.deepEqual(c, r);
  });
});

describe('parseSliced (the main thread)', () => {
  it('gives the rows parseBatch gives, and lets the event loop run between its slices', async () => {
    const bodies = Array.from({ length: 4000 }, (_, i) => enc.encode(i % 7 === 3 ? '{"cpu_stats": [' : modified(i % 2 ? 'v1' : 'v2', (b) => ((b as { read: string }).read = `2024-01-01T00:00:0${i % 10}Z`))));
    const counter = countTurns();
    const sliced = await parseSliced(bodies);
    const turns = counter.stop();
    const whole = parseBatch(pack(bodies));
    assert.deepEqual(sliced.errors, whole.errors);
    assert.deepEqual(sliced.networks, whole.networks);
    assert.deepEqual([...sliced.values].map(String), [...whole.values].map(String));
    // 4,000 bodies are 60-200 ms here: in 5 ms slices that is a dozen turns or more
    assert.ok(turns >= 5, `the loop ran ${turns} times meanwhile`);
  });

  it("counts its own slices against the host's budget, not the work between them", async () => {
    const bodies = Array.from({ length: 2000 }, () => enc.encode(fixture('v2')));
    // other work holds the loop 20 ms at every turn while the parse is sliced
    let busy = true;
    const hog = (): void => {
      for (const end = performance.now() + 20; performance.now() < end; );
      if (busy) setImmediate(hog);
    };
    setImmediate(hog);
    const r = await parseSliced(bodies, Infinity, 200);
    busy = false;
    assert.deepEqual(r.errors.filter((e) => e !== null), [], 'every body parsed within 200 ms of its own parse time');
    const tight = await parseSliced(bodies, Infinity, 0);
    assert.ok(tight.errors.some((e) => e?.includes('took over 0ms')), 'a budget of 0 stops it');
  });
});
