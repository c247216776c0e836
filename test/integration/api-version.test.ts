// API version negotiation at its edges, against fake daemons: one whose minimum is 1.44 (Docker 29
// refuses older clients), ones newer than the newest version this exporter knows, and one at 1.24
// (Docker 1.12: no MinAPIVersion, no /system/df). Every host is probed, its stats read, its event
// stream followed and its disk walked; every request must be one the daemon accepts.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, test } from 'node:test';
import { pino } from 'pino';
import { createExporter, type Exporter } from '../../src/app.ts';
import type { ExporterConfig } from '../../src/config/types.ts';
import { MAX_API_VERSION } from '../../src/docker/engine-client.ts';
import { startFakeEngine, type FakeEngine } from '../support/fake-engine.ts';

const silent = pino({ level: 'silent' });
const dir = mkdtempSync(join(tmpdir(), 'dfe-api-'));
const engines: FakeEngine[] = [];
const exporters: Exporter[] = [];

after(async () => {
  await Promise.all(exporters.map((e) => e.close()));
  await Promise.all(engines.map((e) => e.close()));
  rmSync(dir, { recursive: true, force: true });
});

function config(e: FakeEngine): ExporterConfig {
  return {
    hosts: [{ name: 'h', url: e.url, endpoint: { kind: 'unix', socketPath: e.socketPath! }, labels: {} }],
    collection: { timeoutMs: 3000, minIntervalMs: 0, maxStalenessMs: 60_000, concurrency: 64, events: true, diskIntervalMs: 200, diskMaxVolumes: 100 },
    metrics: { families: ['docker_exporter', 'cadvisor', 'state', 'events'], containerLabels: [], include: { names: [], labels: [] }, exclude: { names: [], labels: [] } },
    web: { listenAddresses: ['127.0.0.1:0'] },
    log: { level: 'error' },
    pool: { threads: 0 },
  };
}

/** The value of the first series of `metric` whose labels contain every fragment. */
function value(text: string, metric: string, ...has: string[]): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${metric}{`) && !line.startsWith(`${metric} `)) continue;
    if (has.every((h) => line.includes(h))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

async function scrape(url: string): Promise<string> {
  const res = await fetch(`${url}/metrics`);
  assert.equal(res.status, 200);
  return res.text();
}

async function daemon(apiVersion: string, minApiVersion: string, serverVersion: string): Promise<FakeEngine> {
  const e = await startFakeEngine({ socketPath: join(dir, `e${engines.length}.sock`), containers: [{ name: 'web', state: 'running' }, { name: 'job', state: 'exited', exitCode: 0 }] });
  engines.push(e);
  e.apiVersion = apiVersion;
  e.minApiVersion = minApiVersion;
  e.daemon.serverVersion = serverVersion;
  return e;
}

const versionOf = (path: string): string | undefined => /^\/v(\d+\.\d+)\//.exec(path)?.[1];

/** Two scrapes (the second has CPU rates), the event stream connected, and (unless none is expected) a disk walk. */
async function exercise(e: FakeEngine, withDisk: boolean): Promise<{ text: string; url: string }> {
  const exporter = createExporter(config(e), silent);
  exporters.push(exporter);
  const url = `http://127.0.0.1:${await exporter.listen(0, '127.0.0.1')}`;
  await scrape(url);
  const end = Date.now() + 5000;
  let text = await scrape(url);
  while (value(text, 'docker_events_connected', 'host="h"') !== 1 || (withDisk && value(text, 'docker_host_disk_usage_bytes', 'type="images"') === undefined)) {
    assert.ok(Date.now() < end, `host h: events connected and a disk walk within 5 s; last scrape:\n${text.split('\n').filter((l) => /^docker_(host_up|events|host_disk)/.test(l)).join('\n')}`);
    await sleep(50);
    text = await scrape(url);
  }
  return { text, url };
}

/** Every request the exporter sent was answered 2xx, and every versioned one spoke `spoken`. */
function assertAccepted(e: FakeEngine, spoken: string): void {
  const refused = e.requests.log.filter((r) => r.status !== undefined && (r.status < 200 || r.status > 299));
  assert.deepEqual(refused.map((r) => `${r.path} -> ${r.status}`), [], 'no request refused');
  const versions = new Set(e.requests.log.map((r) => versionOf(r.path)).filter((v) => v !== undefined));
  assert.deepEqual([...versions], [spoken], `every versioned request at ${spoken}`);
  for (const kind of ['list', 'inspect', 'stats', 'events'] as const) assert.ok(e.requests.byKind[kind] > 0, `${kind} asked`);
}

function assertWhole(text: string, apiVersion: string): void {
  assert.equal(value(text, 'docker_host_up', 'host="h"'), 1);
  assert.equal(value(text, 'docker_host_info', `api_version="${apiVersion}"`), 1, `api_version="${apiVersion}" (the negotiated one)`);
  assert.equal(value(text, 'container_info', 'name="web"'), 1);
  assert.equal(value(text, 'container_info', 'name="job"'), 1);
  assert.ok((value(text, 'container_cpu_usage_seconds_total', 'name="web"') ?? NaN) > 0, 'web has CPU from its stats');
  assert.ok((value(text, 'container_memory_working_set_bytes', 'name="web"') ?? NaN) > 0, 'web has memory from its stats');
}

describe('API version negotiation at its edges', { timeout: 60_000 }, () => {
  test('a daemon whose minimum is 1.44 (Docker 29, API 1.52): ours capped at the newest known, never below 1.44', async () => {
    const e = await daemon('1.52', '1.44', '29.0.0');
    const { text } = await exercise(e, true);
    assertWhole(text, MAX_API_VERSION);
    assertAccepted(e, MAX_API_VERSION);
    assert.ok(e.requests.log.some((r) => r.kind === 'stats' && r.path.includes('one-shot=true')), 'one-shot stats');
  });

  test('a daemon newer than the newest version known: spoken at ours', async () => {
    const e = await daemon('1.60', '1.24', '35.0.0');
    const { text } = await exercise(e, true);
    assertWhole(text, MAX_API_VERSION);
    assertAccepted(e, MAX_API_VERSION);
  });

  test('a daemon newer than ours whose minimum is above ours too: spoken at its minimum, not refused', async () => {
    const e = await daemon('1.60', '1.55', '35.0.0');
    const { text } = await exercise(e, true);
    assertWhole(text, '1.55');
    assertAccepted(e, '1.55');
  });

  test('a daemon at 1.24 (no MinAPIVersion, no /system/df): spoken at 1.24, two-sample stats, no disk walk asked', async () => {
    const e = await daemon('1.24', '', '1.12.6');
    const { url } = await exercise(e, false);
    // a few disk intervals: walks would have been asked by now
    await sleep(600);
    const text = await scrape(url);
    assertWhole(text, '1.24');
    assertAccepted(e, '1.24');
    assert.ok(e.requests.log.filter((r) => r.kind === 'stats').every((r) => !r.path.includes('one-shot')), 'no one-shot below 1.41');
    assert.equal(e.requests.byKind.df, 0, 'GET /system/df (API 1.25+) not asked');
    assert.equal(value(text, 'docker_host_disk_usage_bytes', 'host="h"'), undefined, 'no disk series');
  });
});
