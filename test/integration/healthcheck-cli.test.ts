// `docker-fleet-exporter healthcheck` through the real CLI, against the real server that the same
// variables configure (as the image runs both), and where nothing listens.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { makeCerts } from '../support/certs.ts';
import { runCli as run } from '../support/cli.ts';
import { freePort } from '../support/net.ts';
import { startFakeEngine, type FakeEngine } from '../support/fake-engine.ts';

const dir = mkdtempSync(join(tmpdir(), 'dfe-healthcheck-'));


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
  await listening(server);
});

async function listening(p: ReturnType<typeof run>): Promise<void> {
  for (let i = 0; i < 150 && !/ msg=listening /.test(p.err()); i++) await new Promise((r) => setTimeout(r, 100));
  assert.match(p.err(), / msg=listening /, `the server did not start: ${p.err()}`);
}

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
  assert.match(hc.err(), new RegExp(`^docker-fleet-exporter healthcheck: unhealthy: GET http://${elsewhere.replace(/\./g, '\\.')}/-/healthy: .*ECONNREFUSED[^\\n]*\\n$`));
});

test('a bad flag is unhealthy (1), not Docker\'s reserved 2', async () => {
  const hc = run(['healthcheck', '--nope'], env);
  assert.equal(await hc.exited, 1);
  assert.match(hc.err(), /--nope/);
});

test('a TLS endpoint with basic auth and two listen addresses: the check speaks TLS to the first, no password needed', async () => {
  const certs = await makeCerts(join(dir, 'certs'));
  const web = join(dir, 'web.yml');
  // any bcrypt hash: /-/healthy is never behind auth
  writeFileSync(web, `tls_server_config:\n  cert_file: ${certs.paths.serverCert}\n  key_file: ${certs.paths.serverKey}\nbasic_auth_users:\n  p: $2y$10$X0h1gDsPszWURQaxFh.zoubFi6DXncSjhoQNJgRrnGs7EsimhC7zG\n`);
  const first = `127.0.0.1:${await freePort()}`;
  const tlsEnv = { ...env, DOCKER_FLEET_EXPORTER_WEB_CONFIG_FILE: web, DOCKER_FLEET_EXPORTER_WEB_LISTEN_ADDRESS: `${first},127.0.0.1:${await freePort()}` };
  const tlsServer = run([], tlsEnv);
  try {
    await listening(tlsServer);
    const hc = run(['healthcheck'], tlsEnv);
    assert.equal(await hc.exited, 0, hc.err());
    // the same check over plain HTTP fails: the endpoint really is TLS-only
    const plain = run(['healthcheck'], { ...tlsEnv, DOCKER_FLEET_EXPORTER_WEB_CONFIG_FILE: '' });
    assert.equal(await plain.exited, 1);
    assert.match(plain.err(), new RegExp(`GET http://${first.replace(/\./g, '\\.')}/-/healthy: `));

    // client certificates required: the check presents the server's own certificate
    writeFileSync(web, `tls_server_config:\n  cert_file: ${certs.paths.serverCert}\n  key_file: ${certs.paths.serverKey}\n  client_auth_type: RequireAnyClientCert\n`);
    const mtls = run(['healthcheck'], tlsEnv);
    assert.equal(await mtls.exited, 0, mtls.err());
  } finally {
    tlsServer.child.kill('SIGTERM');
    await tlsServer.exited;
  }
});
