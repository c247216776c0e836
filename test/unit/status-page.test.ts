// The status pages: figures (CPU rate, limits, problems first), and HTML that carries daemon
// input only escaped.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cpuAgainst, cpuCores, memoryAgainst, sortContainers, summarize } from '../../src/http/status/figures.ts';
import { hostPage } from '../../src/http/status/host-page.ts';
import type { HostRow } from '../../src/http/status/host-parts.ts';
import { overviewPage } from '../../src/http/status/overview.ts';
import type { ContainerLimits, ContainerSnapshot, ContainerState, DaemonInfo, InspectSummary } from '../../src/model.ts';
import { F } from '../../src/stats/layout.ts';
import { containerSnapshot, hostSnapshot } from '../support/snapshots.ts';

const NOW = 1_800_001_000;
const INFO: DaemonInfo = { serverVersion: '24.0.7', apiVersion: '1.43', os: 'linux', kernelVersion: '6.1', architecture: 'x86_64', storageDriver: 'overlay2', cgroupVersion: '2', ncpu: 4, memTotal: 8 * 1024 ** 3 };

interface Opts {
  state?: ContainerState;
  inspect?: Partial<InspectSummary>;
  limits?: Partial<ContainerLimits>;
  /** cores used between the previous sample (10 s before) and this one; undefined: no previous sample */
  cores?: number;
  workingSet?: number;
}

function ctr(name: string, o: Opts = {}): ContainerSnapshot {
  const c = containerSnapshot(name, o.state ?? 'running');
  const limits = { ...c.inspect.limits, memoryBytes: NaN, ...o.limits };
  c.inspect = { ...c.inspect, exitCode: 0, restartCount: 0, startedAt: NOW - 3600, health: undefined, ...o.inspect, limits };
  if (c.stats) {
    c.stats.values[F.readTime] = NOW - 5;
    c.stats.values[F.memUsage] = o.workingSet ?? 1000;
    c.stats.values[F.memInactiveFile] = 0;
    if (o.cores !== undefined) c.prevCpu = { totalNs: c.stats.values[F.cpuTotalNs]! - o.cores * 10e9, readTime: NOW - 15 };
  }
  return c;
}

test('CPU in cores from two consecutive samples: counter growth over the time between reads', () => {
  const c = ctr('a', { cores: 0.5 });
  assert.ok(Math.abs(cpuCores(c) - 0.5) < 1e-9, String(cpuCores(c)));
  assert.ok(Number.isNaN(cpuCores(ctr('first-probe'))), 'one sample: no rate');
  const reset = ctr('restarted', { cores: 0.5, inspect: { startedAt: NOW - 8 } });
  assert.ok(Number.isNaN(cpuCores(reset)), 'started after the previous sample: its counter began again');
  const backwards = ctr('b', { cores: -1 });
  assert.ok(Number.isNaN(cpuCores(backwards)), 'a counter that went down gives no rate');
  const sameTime = ctr('c', { cores: 1 });
  sameTime.prevCpu!.readTime = sameTime.stats!.values[F.readTime]!;
  assert.ok(Number.isNaN(cpuCores(sameTime)), 'no time between the reads: no rate');
});

test('CPU against the container limit (quota/period, cpuset, the smaller), else the host CPUs', () => {
  assert.deepEqual(cpuAgainst(ctr('q', { limits: { cpuQuota: 50_000, cpuPeriod: 100_000 } }), INFO), { whole: 0.5, limit: true });
  assert.deepEqual(cpuAgainst(ctr('s', { limits: { cpusetCpus: 2 } }), INFO), { whole: 2, limit: true });
  assert.deepEqual(cpuAgainst(ctr('both', { limits: { cpuQuota: 300_000, cpuPeriod: 100_000, cpusetCpus: 2 } }), INFO), { whole: 2, limit: true });
  assert.deepEqual(cpuAgainst(ctr('none'), INFO), { whole: 4, limit: false });
  assert.ok(Number.isNaN(cpuAgainst(ctr('none'), null).whole), 'no daemon info: nothing to compare with');
  assert.deepEqual(memoryAgainst(ctr('m', { limits: { memoryBytes: 64 * 1024 ** 2 } }), INFO), { whole: 64 * 1024 ** 2, limit: true });
  assert.deepEqual(memoryAgainst(ctr('m'), INFO), { whole: 8 * 1024 ** 3, limit: false });
});

test('problems first: unhealthy, restarting, OOM-killed, exited non-zero, restarted lately; then running, then stopped', () => {
  const rows = sortContainers([
    ctr('z-idle'),
    ctr('clean-exit', { state: 'exited', inspect: { exitCode: 0 } }),
    ctr('exit3', { state: 'exited', inspect: { exitCode: 3 } }),
    ctr('a-idle'),
    ctr('flapping', { inspect: { restartCount: 4, startedAt: NOW - 10 } }),
    ctr('old-restart', { inspect: { restartCount: 4, startedAt: NOW - 86400 } }),
    ctr('oom', { state: 'exited', inspect: { exitCode: 137, oomKilled: true } }),
    ctr('restarting', { state: 'restarting' }),
    ctr('sick', { inspect: { health: 'unhealthy' } }),
    ctr('fine', { inspect: { health: 'healthy' } }),
  ], NOW);
  assert.deepEqual(rows.map((r) => [r.c.ident.name, r.problem ?? '']), [
    ['sick', 'unhealthy'],
    ['restarting', 'restarting'],
    ['oom', 'oom-killed'],
    ['exit3', 'exited non-zero'],
    ['flapping', 'restarted'],
    ['a-idle', ''],
    ['fine', ''],
    ['old-restart', ''],
    ['z-idle', ''],
    ['clean-exit', ''],
  ]);
});

test('a host summary: containers by state, CPU cores and working set summed', () => {
  const s = hostSnapshot('h', [
    ctr('a', { cores: 0.25, workingSet: 100 }),
    ctr('b', { cores: 1, workingSet: 200, inspect: { health: 'unhealthy' } }),
    ctr('c', { workingSet: 50 }),
    ctr('d', { state: 'exited', inspect: { exitCode: 1 } }),
    ctr('e', { state: 'restarting' }),
    ctr('f', { state: 'created' }),
  ]);
  const sum = summarize(s, NOW)!;
  assert.deepEqual({ ...sum, cpuCores: Math.round(sum.cpuCores * 1000) / 1000 }, {
    running: 3, exited: 1, restarting: 1, unhealthy: 1, other: 1, problems: 3, cpuCores: 1.25, memoryBytes: 350,
  });
  assert.equal(summarize(hostSnapshot('down', null), NOW), undefined);
});

/** Tag names in the document: daemon input must never add one. */
function tags(html: string): Set<string> {
  return new Set([...html.matchAll(/<([a-zA-Z][a-zA-Z0-9]*)/g)].map((m) => m[1]!.toLowerCase()));
}
const OUR_TAGS = new Set(['html', 'head', 'meta', 'title', 'style', 'body', 'h1', 'p', 'a', 'b', 'i', 'div', 'span', 'table', 'thead', 'tbody', 'tr', 'th', 'td']);

test('hostile names, images, labels and errors are escaped on both pages', () => {
  const evil = '<script>alert(1)</script>';
  const attr = '"><img src=x onerror=alert(2)>';
  const c = ctr(evil, { cores: 0.1 });
  c.ident = { ...c.ident, id: `${attr}x`, image: attr, labels: { 'com.docker.compose.project': `<iframe src="${attr}">`, 'com.docker.compose.service': "'><svg onload=alert(3)>" } };
  const s = { ...hostSnapshot('h1', [c, ctr('plain')]), info: { ...INFO, serverVersion: '<b onclick=x>' }, error: `dial: <marquee>${attr}</marquee> & more` };
  const rows: HostRow[] = [{ name: 'h1', url: 'unix:///run/<docker>.sock', snapshot: s }];
  for (const html of [overviewPage('<v>', rows, NOW), hostPage('<v>', rows[0]!, NOW)]) {
    assert.deepEqual([...tags(html)].filter((t) => !OUR_TAGS.has(t)), [], 'only the page\'s own tags');
    assert.doesNotMatch(html, /<(script|img|iframe|svg|marquee)/i);
    assert.doesNotMatch(html, /="[^"]*"[^ >/]/, 'no attribute value closed early');
  }
  const page = hostPage('1', rows[0]!, NOW);
  assert.ok(page.includes('&#60;script&#62;alert(1)&#60;/script&#62;'), 'the name is shown, escaped');
  assert.ok(page.includes('&#34;&#62;&#60;img src=x onerror=alert(2)&#62;'), 'the image is shown, escaped');
  assert.ok(page.includes('dial: &#60;marquee&#62;'), 'the error is shown, escaped');
  assert.ok(page.includes('&#38; more'));
});

test('overview: each host with its state, containers, CPU and memory against the host, probe age, error and link', () => {
  const a = { ...hostSnapshot('a', [ctr('w', { cores: 1, workingSet: 2 * 1024 ** 3 }), ctr('x', { state: 'exited', inspect: { exitCode: 2 } })]), info: INFO, lastSuccess: NOW - 12 };
  const down = { ...hostSnapshot('b', null), up: false, error: 'connect ECONNREFUSED', lastSuccess: NaN };
  const html = overviewPage('1.2.3', [{ name: 'a', url: 'unix:///a.sock', snapshot: a }, { name: 'b', url: 'tcp://b:2376', snapshot: down }, { name: 'c', url: 'ssh://c' }], NOW);
  const row = (host: string) => {
    const m = new RegExp(`<tr><td><a href="/hosts/${host}">.*?</tr>`).exec(html);
    assert.ok(m, `row of ${host}`);
    return m[0].replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
  };
  assert.match(row('a'), / up .*1 running · 1 exited 1 1\.00 of 4 cores .*2\.00 GiB of 8\.00 GiB .*12s ago/);
  assert.match(html, /<span class="bar" title="25% of the host&#39;s CPUs"><i style="width:25\.0%"><\/i><\/span>/);
  assert.match(row('b'), / down .*never succeeded .*connect ECONNREFUSED/);
  assert.match(row('c'), / not scraped yet /);
  assert.match(html, /3 hosts: 1 up, 1 down, 1 not scraped yet · 2 containers, 1 with problems/);
  assert.match(html, /<a href="\/metrics">/);
});

test('host page: problems first with their state, CPU and memory against the limit, links to /probe and back', () => {
  const s = {
    ...hostSnapshot('web-01', [
      ctr('idle', { cores: 0.5, limits: { cpuQuota: 100_000, cpuPeriod: 100_000, memoryBytes: 64 * 1024 ** 2 }, workingSet: 48 * 1024 ** 2 }),
      ctr('nolimit', { cores: 2 }),
      ctr('exit3', { state: 'exited', inspect: { exitCode: 3, finishedAt: NOW - 120 } }),
      ctr('sick', { inspect: { health: 'unhealthy' } }),
    ]),
    info: INFO,
  };
  const html = hostPage('1', { name: 'web-01', url: 'unix:///x', snapshot: s }, NOW);
  const names = [...html.matchAll(/<tr( class="[^"]*")?><td><span title="[^"]*">([^<]*)<\/span>/g)].map((m) => [m[2], m[1] ?? '']);
  assert.deepEqual(names, [['sick', ' class="problem p-unhealthy"'], ['exit3', ' class="problem p-exited-non-zero"'], ['idle', ''], ['nolimit', '']]);
  assert.match(html, /exited \(3\)<\/td><td><span class="dim">none<\/span>.*stopped 2m ago/);
  assert.match(html, /0\.50 cores<div class="dim">50% of its 1 CPU limit<\/div>/);
  assert.match(html, /48\.0 MiB<div class="dim">75% of its 64\.0 MiB limit<\/div><span class="bar warn"/);
  assert.match(html, /2\.00 cores<div class="dim">50% of the host's 4 CPUs<\/div>/);
  assert.match(html, /after the next probe/, 'a container seen once has no rate yet');
  assert.match(html, /<a href="\/probe\?target=web-01">/);
  assert.match(html, /<a href="\/">All hosts<\/a>/);
});

test('host page without container data says why', () => {
  assert.match(hostPage('1', { name: 'h', url: 'unix:///x' }, NOW), /Not scraped yet/);
  const down = { ...hostSnapshot('h', null), up: false, error: 'list: 500' };
  assert.match(hostPage('1', { name: 'h', url: 'unix:///x', snapshot: down }, NOW), /list: 500[^]*No container data/);
});
