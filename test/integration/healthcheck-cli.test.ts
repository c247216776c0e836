// `docker-fleet-exporter healthcheck` through the real CLI, against the real server that the same
// variables configure (as the image runs both), and where nothing listens.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startFakeEngine, type FakeEngine } from '../support/fake-engine.ts';

const dir = mkdtempSync(join(tmpdir(), 'dfe-healthcheck-'));

function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d));
  child.stderr.on('data', (d: Buffer) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, out: () => out, err: () => err };
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

let engine: FakeEngine;
let server: ReturnType<typeof run>;
let env: NodeJS.ProcessEnv;

before(async () => {
  engine = await startFakeEngine({ socketPath: join(dir, 'd.sock'), containers: [{ name: 'c', state: 'running' }] });
  const config = join(dir, 'fleet.yml');
  writeFileSync(config, `hosts:\n  - name: one\n    url: unix://${engine.socketPath}\n`);
  // The image's way: both the server and the check take their settings from the environment.
  env = { DOCKER_FLEET_EXPORTER_CONFIG_FILE: config, DOCKER_FLEET_EXPORTER_WEB_LISTEN_ADDRESS: `127.0.0.1:${await freePort()}` };
  server = run([], env);
  for (let i = 0; i < 150 && !/"listening"/.test(server.err()); i++) await new Promise((r) => setTimeout(r, 100));
  assert.match(server.err(), /"listening"/, `the server did not start: ${server.err()}`);
});

after(async () => {
  server?.child.kill('SIGTERM');
  await server?.exited;
  await engine?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('healthy: the server the same variables configure answers; exit 0, nothing printed', async () => {
  const hc = run(['healthcheck'], env);
  assert.equal(await hc.exited, 0, hc.err());
  assert.equal(hc.err(), '');
});

test('a flag moves the check as it moves the server: where nothing listens, exit 1 and why', async () => {
  const elsewhere = `127.0.0.1:${await freePort()}`;
  const hc = run(['healthcheck', `--web.listen-address=${elsewhere}`], env);
  assert.equal(await hc.exited, 1);
  assert.match(hc.err(), new RegExp(`^docker-fleet-exporter healthcheck: unhealthy: GET http://${elsewhere.replace(/\./g, '\\.')}/healthz: .*ECONNREFUSED[^\\n]*\\n$`));
});

test('a bad flag is unhealthy (1), not Docker\'s reserved 2', async () => {
  const hc = run(['healthcheck', '--nope'], env);
  assert.equal(await hc.exited, 1);
  assert.match(hc.err(), /--nope/);
});
