// An ssh:// host exported like a local one: the whole exporter through a real OpenSSH sshd.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { createExporter, type Exporter } from '../../src/app.ts';
import { startFakeEngine, type FakeEngine } from '../support/fake-engine.ts';
import { haveOpenSsh, makeKey, startSshd, type Sshd } from '../support/sshd.ts';
import { testConfig } from '../support/config.ts';

assert.ok(haveOpenSsh(), 'OpenSSH is not installed: apt-get install -y openssh-server openssh-client');

let dir: string;
let sshd: Sshd;
let engine: FakeEngine;
let exporter: Exporter;
let url: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dfe-ssh-exporter-'));
  const key = await makeKey(dir, 'id_client');
  [sshd, engine] = await Promise.all([
    startSshd(),
    startFakeEngine({ socketPath: join(dir, 'docker.sock'), containers: Array.from({ length: 50 }, (_, i) => ({ name: `c${i}`, state: 'running' as const })) }),
  ]);
  await sshd.authorize(key.pub);
  const knownHosts = join(dir, 'known_hosts');
  await writeFile(knownHosts, sshd.knownHostsLines().join('\n') + '\n');
  const config = testConfig([{
      name: 'remote', url: `ssh://${sshd.user}@127.0.0.1:${sshd.port}`, labels: {},
      endpoint: { kind: 'ssh', user: sshd.user, host: '127.0.0.1', port: sshd.port, ssh: { socketPath: engine.socketPath!, identityFile: key.path, knownHosts, insecureIgnoreHostKey: false, keepaliveIntervalMs: 5000, connectTimeoutMs: 3000 } },
    }], { collection: { timeoutMs: 3000, maxStalenessMs: 0 }, metrics: { containerLabels: [] }, pool: { threads: 1 } });
  exporter = createExporter(config, pino({ level: 'silent' }));
  url = `http://127.0.0.1:${await exporter.listen(0, '127.0.0.1')}/metrics`;
});

after(async () => {
  await exporter?.close();
  await sshd?.stop();
  await engine?.close();
  await rm(dir, { recursive: true, force: true });
});

const scrape = async () => (await fetch(url)).text();
const metric = (text: string, re: RegExp) => {
  const m = re.exec(text);
  return m ? Number(m[1]) : undefined;
};
const count = (text: string, re: RegExp) => text.match(re)?.length ?? 0;

test('50 containers over ONE ssh connection, probe after probe', { timeout: 30_000 }, async () => {
  for (let i = 0; i < 3; i++) {
    const text = await scrape();
    assert.equal(metric(text, /^docker_host_up\{host="remote"\} (\d+)$/m), 1);
    assert.equal(count(text, /^container_info\{host="remote",/gm), 50);
    assert.equal(count(text, /^container_cpu_usage_seconds_total\{host="remote",/gm), 50);
  }
  const text = await scrape();
  assert.equal(metric(text, /^docker_ssh_connected\{host="remote"\} (\d+)$/m), 1);
  assert.equal(metric(text, /^docker_ssh_connects_total\{host="remote"\} (\d+)$/m), 1);
  assert.equal(await sshd.acceptedLogins(), 1, 'sshd saw one login for four probes of 50 containers');
  assert.ok(engine.requests.byKind.stats >= 200);
});

test('sshd killed mid-probe: the host fails, then recovers without restarting the exporter', { timeout: 30_000 }, async () => {
  const slow = engine.addFault({ kind: 'stats', delayMs: 1000 });
  const during = scrape();
  await new Promise((r) => setTimeout(r, 300));
  await sshd.kill();
  let text = await during;
  assert.equal(count(text, /^container_info\{host="remote",/gm), 0, 'no half-updated data from the broken probe');
  slow();

  text = await scrape();
  assert.equal(metric(text, /^docker_host_up\{host="remote"\} (\d+)$/m), 0);
  assert.equal(metric(text, /^docker_ssh_connected\{host="remote"\} (\d+)$/m), 0);

  await sshd.restart();
  const deadline = Date.now() + 15_000;
  do {
    await new Promise((r) => setTimeout(r, 250));
    text = await scrape();
  } while (metric(text, /^docker_host_up\{host="remote"\} (\d+)$/m) !== 1 && Date.now() < deadline);
  assert.equal(metric(text, /^docker_host_up\{host="remote"\} (\d+)$/m), 1, 'recovered');
  assert.equal(count(text, /^container_info\{host="remote",/gm), 50);
  assert.equal(metric(text, /^docker_ssh_reconnects_total\{host="remote"\} (\d+)$/m), 1);
});
