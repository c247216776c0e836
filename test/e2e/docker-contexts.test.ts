// A Docker CLI context store made here with `docker context create` (the unix daemon, the TLS
// daemon with its certificates, the SSH host) becomes three working hosts; the ssh host's key is
// checked against ~/.ssh/known_hosts (HOME is a directory of the test's), and a reload re-reads
// the store.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, describe, test } from 'node:test';
import { listContainers } from './lib/engine.ts';
import { one, select, type Exposition } from './lib/exposition.ts';
import { scrapeUntil, startExporter, type Exporter } from './lib/exporter.ts';
import { loadFleet, RUN_DIR } from './lib/fleet.ts';

const run = promisify(execFile);
const fleet = loadFleet();
const store = join(RUN_DIR, 'docker-contexts', 'docker-config');
const home = join(RUN_DIR, 'docker-contexts', 'home');

async function dockerContext(...args: string[]): Promise<void> {
  const env: NodeJS.ProcessEnv = { ...process.env, DOCKER_CONFIG: store };
  for (const k of ['DOCKER_HOST', 'DOCKER_CONTEXT', 'DOCKER_TLS_VERIFY', 'DOCKER_CERT_PATH']) delete env[k];
  await run('docker', ['context', ...args], { env, timeout: 30_000 });
}

let exp: Exporter | undefined;
after(async () => {
  if (exp && exp.child.exitCode === null) await exp.stop();
});

const hostsOf = (e: Exposition) => select(e, 'docker_host_up').map((s) => s.labels.host!).sort();

describe('Docker contexts as a host source', { timeout: 120_000 }, () => {
  test('contexts made by the docker CLI become working hosts: unix, tcp with TLS, ssh', async () => {
    rmSync(join(RUN_DIR, 'docker-contexts'), { recursive: true, force: true });
    mkdirSync(store, { recursive: true });
    mkdirSync(join(home, '.ssh'), { recursive: true });
    copyFileSync(fleet.ssh.known_hosts, join(home, '.ssh', 'known_hosts'));
    const { tls } = fleet.b;
    await dockerContext('create', 'e2e-unix', '--docker', `host=unix://${fleet.a.socket}`);
    await dockerContext('create', 'e2e-tls', '--docker', `host=tcp://${fleet.b.tcp_host}:${fleet.b.tcp_port},ca=${tls.ca},cert=${tls.cert},key=${tls.key}`);
    await dockerContext('create', 'e2e-ssh', '--docker', `host=ssh://${fleet.ssh.user}@${fleet.ssh.host}:${fleet.ssh.port}`);
    await dockerContext('create', 'skipped-b', '--docker', `host=unix://${fleet.b.socket}`);

    exp = await startExporter(
      'contexts',
      [],
      {
        docker_contexts: {
          dir: store,
          exclude: ['skipped-*'],
          labels: { source: 'contexts' },
          ssh: { identity_file: fleet.ssh.identity_file, socket_path: fleet.ssh.socket_path },
        },
      },
      { env: { HOME: home } },
    );
    const { e, ok } = await scrapeUntil(exp, (x) => select(x, 'docker_host_up').length === 3 && select(x, 'docker_host_up').every((s) => s.value === 1), 30_000);
    assert.ok(ok, `three hosts up\n${JSON.stringify(select(e, 'docker_host_up'))}\n${exp.logTail(15)}`);
    assert.deepEqual(hostsOf(e), ['e2e-ssh', 'e2e-tls', 'e2e-unix']);
    for (const s of select(e, 'docker_host_up')) assert.equal(s.labels.source, 'contexts');
    const a = (await listContainers(fleet.a.socket)).length;
    const b = (await listContainers(fleet.b.socket)).length;
    assert.equal(one(e, 'docker_containers', { host: 'e2e-unix' }), a);
    assert.equal(one(e, 'docker_containers', { host: 'e2e-ssh' }), a);
    assert.equal(one(e, 'docker_containers', { host: 'e2e-tls' }), b);
    assert.equal(one(e, 'docker_ssh_connected', { host: 'e2e-ssh' }), 1);

    const sd = JSON.parse((await exp.get('/sd')).body) as { targets: string[]; labels: Record<string, string> }[];
    assert.deepEqual(sd.map((g) => [g.targets[0], g.labels['__meta_docker_fleet_source'], g.labels['__meta_docker_fleet_url_scheme']]), [
      ['e2e-ssh', 'docker_context', 'ssh'],
      ['e2e-tls', 'docker_context', 'tcp'],
      ['e2e-unix', 'docker_context', 'unix'],
    ]);
  });

  test('a reload re-reads the store', async () => {
    assert.ok(exp, 'exporter started by the previous test');
    await dockerContext('create', 'e2e-b-unix', '--docker', `host=unix://${fleet.b.socket}`);
    await dockerContext('rm', 'e2e-unix');
    exp.child.kill('SIGHUP');
    const { e, ok } = await scrapeUntil(exp, (x) => hostsOf(x).join() === 'e2e-b-unix,e2e-ssh,e2e-tls', 30_000);
    assert.ok(ok, `hosts after the reload: ${hostsOf(e).join(', ')}\n${exp.logTail(10)}`);
  });
});
