// The exposition's exact bytes for a fixed snapshot set, against test/fixtures/render-golden.txt:
// a change to the writer or the label caches must not change a single byte. On a difference the
// test shows the first lines that differ. For an intended output change, GOLDEN_UPDATE=1 rewrites
// the fixture (then read its diff before committing it).
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { MetricsRenderer } from '../../src/metrics/renderer.ts';
import type { ContainerDisk, ContainerSnapshot, ContainerState, DiskSnapshot, HostSnapshot } from '../../src/model.ts';
import { SSH_METRICS } from '../../src/transport/ssh/options.ts';
import { newHistogram, observe } from '../../src/util/histogram.ts';
import { F, FIELD_COUNT } from '../../src/stats/layout.ts';

const GOLDEN = new URL('../fixtures/render-golden.txt', import.meta.url);

/** The first `max` lines that differ, with their numbers, for the failure message. */
function firstDifferences(want: string, got: string, max = 10): string {
  const a = want.split('\n');
  const b = got.split('\n');
  const out: string[] = [];
  for (let i = 0; i < Math.max(a.length, b.length) && out.length < max * 2; i++) {
    if (a[i] === b[i]) continue;
    out.push(`line ${i + 1} want: ${a[i] ?? '(end)'}`, `line ${i + 1}  got: ${b[i] ?? '(end)'}`);
  }
  return out.join('\n');
}

/** Deterministic pseudo-random numbers (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const STATES: ContainerState[] = ['running', 'running', 'running', 'exited', 'restarting', 'paused', 'created'];
const ODD_NAMES = ['café-é中🙂', 'back\\slash', 'quote"d', 'new\nline'];

function container(h: number, i: number, r: () => number): ContainerSnapshot {
  const state = STATES[i % STATES.length]!;
  const values = new Float64Array(FIELD_COUNT);
  for (let f = 0; f < FIELD_COUNT; f++) {
    // the last field came later and is not rendered: skipped, so the sequence of the others is kept
    if (f === F.droppedInterfaces) continue;
    values[f] = r() < 0.1 ? NaN : Math.floor(r() * 1e13) / (f % 3 === 0 ? 1 : 7);
  }
  values[F.memFailcnt] = h % 2 ? 0 : NaN;
  const networks = Array.from({ length: i % 3 }, (_, n) => ({
    iface: n === 1 ? 'eth"1' : `eth${n}`,
    rxBytes: Math.floor(r() * 1e12), rxPackets: Math.floor(r() * 1e9), rxErrors: 0, rxDropped: i,
    txBytes: Math.floor(r() * 1e12), txPackets: Math.floor(r() * 1e9), txErrors: 1, txDropped: 0.5,
  }));
  const name = i % 5 === 0 ? `${ODD_NAMES[i % ODD_NAMES.length]}-${h}-${i}` : `svc-${h}-${i}`;
  const id = (h * 1000 + i).toString(16).padStart(64, 'a');
  return {
    ident: {
      id,
      name,
      image: i % 4 ? `registry.example/app:${i % 3}` : 'ünïcode/img:latest',
      imageId: `sha256:${id}`,
      labels: { 'com.docker.compose.project': `p${i % 2}`, 'com.docker.compose.service': i % 6 ? `s${i}` : 'x"y\\z\nw', other: 'ignored' },
    },
    state,
    inspect: {
      restartCount: i % 4, startedAt: 1.7e9 + i + 0.25, finishedAt: state === 'exited' ? 1.71e9 : NaN, exitCode: state === 'exited' ? 137 : 0,
      oomKilled: i % 9 === 0, health: i % 3 === 0 ? 'healthy' : i % 3 === 1 ? undefined : 'unhealthy',
      restartPolicy: i % 2 ? 'always' : 'no',
      limits: { memoryBytes: i % 2 ? 268435456 : NaN, memoryReservationBytes: NaN, memorySwapBytes: i % 2 ? 536870912 : NaN, cpuQuota: 50000, cpuPeriod: 100000, cpuShares: 512, pids: i % 5 ? NaN : 100, cpusetCpus: i % 7 ? NaN : 2 },
    },
    stats: state === 'running' || state === 'paused' ? { values, networks } : null,
    lastSeen: 1.8e9 + h,
  };
}

/**
 * Disk figures: every third host has none (disk usage off), one in three has only
 * failures (no walk succeeded yet), the rest sizes for every other container and two volumes.
 */
function disk(h: number, containers: ContainerSnapshot[] | null): DiskSnapshot | undefined {
  if (h % 3 === 0) return undefined;
  if (h % 3 === 1) return { usage: null, ageSeconds: NaN, failures: h, volumes: [] };
  const sized = new Map<string, ContainerDisk>();
  (containers ?? []).forEach((c, i) => {
    if (i % 2 === 0) sized.set(c.ident.id, { rwBytes: i * 1_048_576 + 4096, rootFsBytes: 7.5e7 + i, volumes: [] });
  });
  const totals = (n: number) => ({ count: n, sizeBytes: n * 1e9 + 0.5, reclaimableBytes: n * 1e8 });
  return {
    usage: { totals: { images: totals(h), containers: totals(sized.size), volumes: totals(2), build_cache: totals(0) }, danglingImages: h % 2, containers: sized, volumes: new Map(), dropped: { containers: 0, volumes: h % 2, mounts: 0 } },
    ageSeconds: h * 10.25,
    failures: 0,
    // as the tracker picks them: only while containers are served
    volumes: containers ? [[`vol-${h}`, 123_456_789], ['wé"ird\\vol', 0]] : [],
  };
}

function host(h: number): HostSnapshot {
  const r = rng(h + 17);
  const counters = {
    listFailed: h, inlineTimeouts: 0, lateProbes: h % 3, droppedInterfaces: h * 100,
    containerFailed: new Map(h % 2 ? [['a'.repeat(64), { name: 'svc-"1', count: 2 }], ['b'.repeat(64), { name: 'é', count: 1 }]] : []),
    probeDuration: newHistogram(), listDuration: newHistogram(), inspectDuration: newHistogram(), statsDuration: newHistogram(),
  };
  for (let k = 0; k < 5; k++) observe(counters.probeDuration, r() * 10);
  const info = h % 4 === 3 ? null : {
    serverVersion: '24.0.7', apiVersion: '1.43', os: 'Debian "bookworm"', kernelVersion: '6.1.0', architecture: 'x86_64', storageDriver: 'overlay2', cgroupVersion: String(1 + (h % 2)), ncpu: 4, memTotal: 8e9,
  };
  const containers = h === 5 ? null : Array.from({ length: 2 + (h % 4) * 3 }, (_, i) => container(h, i, r));
  return {
    host: h % 3 ? `host-${h}` : `hôst-${h}.example:2376`,
    labels: h % 2 ? { dc: 'eu-1', team: 'ops "core"' } : {},
    up: h !== 5, info, containers, snapshotAgeSeconds: containers ? h * 1.5 : NaN, containerCount: containers?.length ?? 0, lastSuccess: h === 5 ? NaN : 1.8e9, lastDurationSeconds: 0.5, counters,
    ...(h % 4 === 1 ? { transport: { names: SSH_METRICS, connected: h % 8 === 1, connects: 3, reconnects: 2, failures: 1 } } : {}),
    ...(disk(h, containers) ? { disk: disk(h, containers)! } : {}),
  };
}

test('the exposition of a fixed snapshot set is byte-for-byte what it was', async () => {
  const snaps = Array.from({ length: 9 }, (_, h) => host(h));
  const renderer = new MetricsRenderer(['docker_exporter', 'cadvisor', 'state'], ['com.docker.compose.project', 'com.docker.compose.service'], 'golden');
  const first = Buffer.concat(await renderer.renderBody(snaps, false));
  // a second render goes through the label caches filled by the first
  const second = Buffer.concat(await renderer.renderBody(snaps, false));
  assert.ok(first.equals(second), 'cached label text renders the same bytes');
  assert.equal(first.toString('utf8'), await renderer.render(snaps, false));
  assert.ok(first.includes(Buffer.from('name="café-é中🙂-1-0"')), 'non-ASCII label values stay UTF-8');
  if (process.env.GOLDEN_UPDATE === '1') writeFileSync(GOLDEN, first);
  const want = readFileSync(GOLDEN);
  assert.ok(first.equals(want), `exposition changed (${first.length} bytes, golden ${want.length}):\n${firstDifferences(want.toString('utf8'), first.toString('utf8'))}`);
});
