// The command line as a user meets it: flags, config errors before listening, signals.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { makeCerts } from '../support/certs.ts';
import { runCli as run } from '../support/cli.ts';
import { startFakeEngine } from '../support/fake-engine.ts';

const dir = mkdtempSync(join(tmpdir(), 'dfe-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('a bad config exits 1 before listening, naming file, key and host, never the secret', async () => {
  const file = join(dir, 'bad.yml');
  writeFileSync(file, 'hosts:\n  - name: b\n    url: tcp://127.0.0.1:2376\n    tls: {ca: /nope/ca.pem, cert: /nope/cert.pem, key: /nope/key.pem}\n  - name: s\n    url: ssh://me:hunter2@host\n');
  const p = run([`--config.file=${file}`, '--web.listen-address=127.0.0.1:0']);
  assert.equal(await p.exited, 1);
  assert.match(p.err(), new RegExp(`${file.replace(/[.]/g, '\\.')}: hosts\\[0\\]\\.tls\\.key \\(host "b"\\): cannot read /nope/key\\.pem`));
  assert.match(p.err(), /hosts\[1\]\.url \(host "s"\)/);
  assert.doesNotMatch(p.err(), /hunter2/);
  assert.doesNotMatch(p.err(), /listening/);
});

test('a TLS key that is not a key exits 1 before listening, naming host, key and file', async () => {
  const certs = await makeCerts(join(dir, 'certs'));
  const key = join(dir, 'garbage-key.pem');
  writeFileSync(key, 'not a key\n', { mode: 0o600 });
  const file = join(dir, 'badkey.yml');
  writeFileSync(file, `hosts:\n  - name: b\n    url: tcp://127.0.0.1:2376\n    tls: {ca: ${certs.paths.ca}, cert: ${certs.paths.clientCert}, key: ${key}}\n`);
  const p = run([`--config.file=${file}`, '--web.listen-address=127.0.0.1:0']);
  // before the fix it listened, and crashed only at the first probe: do not wait for ever
  const killer = setTimeout(() => p.child.kill('SIGKILL'), 15_000);
  const code = await p.exited;
  clearTimeout(killer);
  assert.equal(code, 1, p.err());
  assert.match(p.err(), /hosts\[0\]\.tls\.key \(host "b"\): .*garbage-key\.pem is not a PEM private key: DECODER routines::unsupported/);
  assert.doesNotMatch(p.err(), /listening/);
});

test('--help, --version, and an unknown flag', async () => {
  const help = run(['--help']);
  assert.equal(await help.exited, 0);
  assert.match(help.out(), /--config\.file/);
  const version = run(['--version']);
  assert.equal(await version.exited, 0);
  assert.match(version.out(), /^docker-fleet-exporter \d+\.\d+\.\d+/);
  const bad = run(['--nope']);
  assert.equal(await bad.exited, 2);
  assert.match(bad.err(), /--nope/);
});

test('serves a config-file fleet, reloads it on SIGHUP, then exits 0 on SIGTERM', async (t) => {
  const engine = await startFakeEngine({ socketPath: join(dir, 'd.sock'), containers: [{ name: 'c', state: 'running' }] });
  const file = join(dir, 'ok.yml');
  writeFileSync(file, `hosts:\n  - name: one\n    url: unix://${engine.socketPath}\n    labels: {dc: x}\n`);
  const p = run([`--config.file=${file}`, '--web.listen-address=127.0.0.1:0', '--log.level=info']);
  t.after(() => p.child.kill('SIGKILL')); // a failed assertion must not leave it serving
  let port = 0;
  for (let i = 0; i < 100 && !port; i++) {
    await new Promise((r) => setTimeout(r, 100));
    const m = / msg=listening .*\bport=(\d+)/.exec(p.err());
    if (m) port = Number(m[1]);
  }
  assert.ok(port > 0, `did not start: ${p.err()}`);
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  assert.match(text, /^docker_container_running_state\{host="one",dc="x",name="c"\} 1$/m);
  writeFileSync(file, `hosts:\n  - name: one\n    url: unix://${engine.socketPath}\n    labels: {dc: y}\n  - name: two\n    url: unix://${engine.socketPath}\n`);
  p.child.kill('SIGHUP'); // its default action ended the process, silently
  for (let i = 0; i < 50 && !p.err().includes('configuration reloaded'); i++) await new Promise((r) => setTimeout(r, 100));
  // logfmt by default, as the Prometheus exporters log (lists as quoted JSON)
  assert.match(p.err(), /^time=\S+ level=info msg="configuration reloaded" trigger=SIGHUP added="\[\\"two\\"\]" removed=\[\] rebuilt=\[\] relabeled="\[\\"one\\"\]" hosts=2$/m);
  const after = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  assert.match(after, /^docker_container_running_state\{host="one",dc="y",name="c"\} 1$/m);
  assert.match(after, /^docker_container_running_state\{host="two",name="c"\} 1$/m);
  assert.doesNotMatch(after, /dc="x"/);
  p.child.kill('SIGTERM');
  assert.equal(await p.exited, 0);
  await engine.close();
});

test('--config.check: exit 0 and a summary for a valid config, 1 and every problem for a bad one; nothing listens', async () => {
  const good = join(dir, 'check-ok.yml');
  writeFileSync(good, 'hosts:\n  - {name: a, url: "unix:///run/a.sock"}\n  - {name: b, url: "unix:///run/b.sock"}\n  - {name: c, url: "tcp://10.0.0.1:2375"}\n');
  // a port taken: were it to listen, it would fail
  const ok = run(['--config.check', `--config.file=${good}`, '--shard.count=2', '--shard.index=1']);
  assert.equal(await ok.exited, 0, ok.err());
  assert.match(ok.out(), /check-ok\.yml: valid: 3 hosts; shard 1 of 2 serves \d of them\n$/);
  assert.match(ok.err(), /warning: .*hosts\[2\]\.url \(host "c"\): tcp:\/\/ without a tls block/);
  assert.doesNotMatch(ok.err(), /listening/);

  const bad = join(dir, 'check-bad.yml');
  writeFileSync(bad, 'collection: {timeout: soon}\nhosts:\n  - {name: a, url: "tcp://"}\n');
  const no = run(['--config.check', `--config.file=${bad}`]);
  assert.equal(await no.exited, 1);
  assert.match(no.err(), /collection\.timeout: "soon" is not a duration/);
  assert.match(no.err(), /hosts\[0\]\.url \(host "a"\)/);
  assert.equal(no.out(), '');
});
