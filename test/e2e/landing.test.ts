// The status page as a user sees it: rendered by a real Chromium (Debian's), headless.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { hostA, startExporter, type Exporter } from './lib/exporter.ts';
import { HOST_A, loadFleet } from './lib/fleet.ts';

const run = promisify(execFile);
const fleet = loadFleet();
let exp: Exporter;
const profile = mkdtempSync(join(tmpdir(), 'dfe-chromium-'));

before(async () => {
  // B through a port nothing listens on: one host up, one down, on one page.
  exp = await startExporter('landing', [hostA(fleet), { name: 'gone', url: 'tcp://127.0.0.1:9' }]);
});
after(async () => {
  await exp?.stop();
  rmSync(profile, { recursive: true, force: true });
});

/** The DOM after Chromium has parsed and laid out the page. */
async function renderedDom(url: string): Promise<string> {
  const { stdout } = await run('chromium', [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    `--user-data-dir=${profile}`, '--dump-dom', url,
  ], { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

test('the status page shows each host up or down, its containers and its last error', async () => {
  const metrics = await exp.scrape();
  const listed = metrics.samples.filter((s) => s.name === 'container_info' && s.labels.host === HOST_A).length;
  assert.ok(listed > 0);

  const dom = await renderedDom(`${exp.url}/`);
  assert.match(dom, /<title>docker-fleet-exporter<\/title>/);
  const rows = [...dom.matchAll(/<tr>(.*?)<\/tr>/gs)].map((m) => [...m[1]!.matchAll(/<t[dh][^>]*>(.*?)<\/t[dh]>/gs)].map((c) => c[1]!.replace(/<[^>]+>/g, '')));
  const a = rows.find((r) => r[0] === HOST_A);
  const gone = rows.find((r) => r[0] === 'gone');
  assert.ok(a && gone, `rows: ${JSON.stringify(rows)}`);
  assert.equal(a[2], 'up');
  assert.equal(Number(a[3]), listed, 'containers column matches the exported series');
  assert.match(a[4]!, /^\d+\.\d{3} s$/);
  assert.equal(gone[2], 'down');
  assert.match(gone[5]!, /ECONNREFUSED/);
  assert.match(dom, /<a href="\/metrics">Metrics<\/a>/);
});
