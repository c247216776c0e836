// The status pages as a user sees them: rendered by a real Chromium (Debian's), headless, from
// an exporter watching the e2e fleet. Screenshots go to test/e2e/out/ (CI artifacts, not in git).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import type { Exposition } from './lib/exposition.ts';
import { hostA, hostB, startExporter, type Exporter } from './lib/exporter.ts';
import { E2E_DIR, HOST_A, HOST_B, loadFleet } from './lib/fleet.ts';

const run = promisify(execFile);
const fleet = loadFleet();
const OUT = join(E2E_DIR, 'out');
let exp: Exporter;
/** the scrape the pages show (the last one) */
let scrape: Exposition;
const profile = mkdtempSync(join(tmpdir(), 'dfe-chromium-'));

before(async () => {
  mkdirSync(OUT, { recursive: true });
  // B through a port nothing listens on: hosts up and one down, on one page.
  exp = await startExporter('status-page', [hostA(fleet), hostB(fleet), { name: 'gone', url: 'tcp://127.0.0.1:9' }]);
  // Two probes: CPU in use is the growth of the counters between them.
  await exp.scrape();
  scrape = await exp.scrape();
});
after(async () => {
  await exp?.stop();
  rmSync(profile, { recursive: true, force: true });
});

const CHROMIUM_FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--hide-scrollbars',
];

/** The DOM after Chromium has parsed and laid out the page. */
async function renderedDom(url: string): Promise<string> {
  const { stdout } = await run('chromium', [...CHROMIUM_FLAGS, `--user-data-dir=${profile}`, '--dump-dom', url], { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

async function screenshot(url: string, file: string, height: number): Promise<void> {
  const path = join(OUT, file);
  rmSync(path, { force: true });
  await run('chromium', [...CHROMIUM_FLAGS, `--user-data-dir=${profile}`, `--window-size=1500,${height}`, `--screenshot=${path}`, url], { timeout: 60_000 });
  assert.ok(statSync(path).size > 10_000, `${path} holds a rendered page`);
}

const text = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/&#39;/g, "'").replace(/\s+/g, ' ').trim();

/** Table body rows: the row's class and its cells' HTML. */
function rows(dom: string): { cls: string; cells: string[] }[] {
  const body = /<tbody>(.*?)<\/tbody>/s.exec(dom)?.[1] ?? '';
  return [...body.matchAll(/<tr(?: class="([^"]*)")?>(.*?)<\/tr>/gs)].map((m) => ({ cls: m[1] ?? '', cells: [...m[2]!.matchAll(/<td[^>]*>(.*?)<\/td>/gs)].map((c) => c[1]!) }));
}

/** Each container's state in the scrape the page shows. */
function exportedStates(host: string): Map<string, string> {
  const states = new Map<string, string>();
  for (const s of scrape.samples) if (s.name === 'container_state' && s.labels.host === host && s.value === 1) states.set(s.labels.name!, s.labels.state!);
  return states;
}

test('overview: every host with its state, containers by state, CPU and memory in use, probe age and last error', async () => {
  const dom = await renderedDom(`${exp.url}/`);
  assert.match(dom, /<title>docker-fleet-exporter<\/title>/);
  assert.match(dom, /<a href="\/metrics">Metrics<\/a>/);
  const byHost = new Map(rows(dom).map((r) => [text(r.cells[0]!).split(' ')[0]!, r.cells.map(text)]));
  const a = byHost.get(HOST_A), b = byHost.get(HOST_B), gone = byHost.get('gone');
  assert.ok(a && b && gone, `rows: ${JSON.stringify([...byHost.keys()])}`);
  assert.match(dom, new RegExp(`<a href="/hosts/${HOST_A}">${HOST_A}</a>`), 'the host links to its page');

  const states = [...exportedStates(HOST_A).values()];
  const count = (s: string) => states.filter((x) => x === s).length;
  assert.equal(a[1], 'up');
  assert.ok(a[2]!.startsWith(`${count('running')} running`), `A's containers: ${a[2]} (exported: ${states.join(',')})`);
  assert.match(a[2]!, new RegExp(`· 1 unhealthy .*· ${count('exited')} exited`));
  assert.ok(Number(a[3]) >= 3, `A's problems (unhealthy, exit 3, OOM-killed, restarting): ${a[3]}`);
  assert.match(a[4]!, /^\d+\.\d+ of \d+ cores$/, 'CPU in use from two probes');
  assert.match(a[5]!, /^\d+(\.\d+)? MiB of \d+(\.\d+)? GiB$/);
  assert.match(a[6]!, /^\d+s ago \(last took \d+\.\d{3} s\)$/);
  assert.equal(b[1], 'up');
  assert.equal(gone[1], 'down');
  assert.match(gone[6]!, /never succeeded/);
  assert.match(gone[7]!, /ECONNREFUSED/);

  await screenshot(`${exp.url}/`, 'overview.png', 420);
});

test('host page: the unhealthy and exited containers first, with their state; every container as exported', async () => {
  const dom = await renderedDom(`${exp.url}/hosts/${HOST_A}`);
  assert.match(dom, new RegExp(`<a href="/probe\\?target=${HOST_A}">`));
  assert.match(dom, /<a href="\/">All hosts<\/a>/);
  const table = rows(dom).map((r) => {
    const name = /<span title="[^"]*">([^<]*)<\/span>/.exec(r.cells[0]!)?.[1] ?? '';
    const problem = /<span class="tag[^"]*">([^<]*)<\/span>/.exec(r.cells[0]!)?.[1] ?? '';
    const [, image, state, health, cpu, memory, restarts, uptime] = r.cells.map(text);
    return { name, problem, cls: r.cls, image, state, health, cpu, memory, restarts, uptime };
  });
  const dump = JSON.stringify(table.map((r) => [r.name, r.problem, r.state, r.health]));
  const exported = exportedStates(HOST_A);
  assert.deepEqual(new Set(table.map((r) => r.name)), new Set(exported.keys()), 'the containers of the scrape shown');
  for (const r of table) assert.equal(r.state!.split(' ')[0], exported.get(r.name), `${r.name}: state as exported`);

  const firstOk = table.findIndex((r) => r.problem === '');
  assert.ok(firstOk > 0 && table.slice(firstOk).every((r) => r.problem === ''), `problems first: ${dump}`);
  const row = (name: string) => table.find((r) => r.name === name)!;
  assert.equal(table[0]!.name, 'e2e-unhealthy', `the unhealthy container first: ${dump}`);
  assert.deepEqual([row('e2e-unhealthy').problem, row('e2e-unhealthy').state, row('e2e-unhealthy').health], ['unhealthy', 'running', 'unhealthy']);
  assert.deepEqual([row('e2e-exit3').problem, row('e2e-exit3').state], ['exited non-zero', 'exited (3)']);
  assert.deepEqual([row('e2e-oomkilled').problem, row('e2e-oomkilled').state], ['oom-killed', 'exited (137)']);
  assert.ok(table.indexOf(row('e2e-restarting')) < firstOk, `the restarting container among the problems: ${dump}`);
  assert.equal(row('e2e-idle').problem, '');
  assert.equal(row('e2e-healthy').health, 'healthy');

  // e2e-cpu spins; e2e-throttled spins under --cpus 0.1; e2e-mem has --memory 64m.
  const cores = (r: { cpu?: string }) => Number(/^(\d+\.\d+) cores/.exec(r.cpu ?? '')?.[1]);
  // (a spinning loop got 0.09-0.2 cores here with a load average of 16 on 2 cores)
  assert.ok(cores(row('e2e-cpu')) > 0.01 && cores(row('e2e-cpu')) > cores(row('e2e-idle')), `e2e-cpu: ${row('e2e-cpu').cpu}; e2e-idle: ${row('e2e-idle').cpu}`);
  assert.match(row('e2e-cpu').cpu!, /of the host's \d+ CPUs/);
  assert.match(row('e2e-throttled').cpu!, /of its 0\.1 CPUs limit/);
  assert.ok(cores(row('e2e-throttled')) < 0.2, `throttled to 0.1 CPUs: ${row('e2e-throttled').cpu}`);
  assert.match(row('e2e-mem').memory!, /^\d+(\.\d+)? MiB \d+% of its 64\.0 MiB limit$/);
  assert.match(row('e2e-idle').uptime!, /^\d+[smh]/);
  assert.match(row('e2e-exit3').uptime!, /^stopped .* ago$/);

  await screenshot(`${exp.url}/hosts/${HOST_A}`, `host-${HOST_A}.png`, 1000);
});

test('an unknown host has no page', async () => {
  assert.equal((await exp.get('/hosts/nope')).status, 404);
});
