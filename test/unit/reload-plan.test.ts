import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import type { HostConfig } from '../../src/config/types.ts';
import type { SshOptions } from '../../src/transport/ssh/options.ts';
import { canonical, hostConnectionKey, isEmptyPlan, planReload } from '../../src/reload/plan.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dfe-plan-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const f = path.join(tmp, name);
  fs.writeFileSync(f, text);
  return f;
};

const ssh: SshOptions = {
  socketPath: '/var/run/docker.sock',
  identityFile: file('id', 'key one'),
  knownHosts: file('known_hosts', 'line one\n'),
  insecureIgnoreHostKey: false,
  keepaliveIntervalMs: 15_000,
  connectTimeoutMs: 5_000,
};
const tls = { ca: file('ca.pem', 'ca'), cert: file('cert.pem', 'cert'), key: file('key.pem', 'key'), insecureSkipVerify: false };

const unix = (name: string, labels: Record<string, string> = {}): HostConfig => ({
  name,
  url: `unix:///run/${name}.sock`,
  endpoint: { kind: 'unix', socketPath: `/run/${name}.sock` },
  labels,
});
const sshHost = (labels: Record<string, string> = {}, more: Partial<SshOptions> = {}): HostConfig => ({
  name: 'bastion',
  url: 'ssh://docker@10.0.0.9',
  endpoint: { kind: 'ssh', user: 'docker', host: '10.0.0.9', port: 22, ssh: { ...ssh, ...more } },
  labels,
});
const tlsHost = (): HostConfig => ({
  name: 'secure',
  url: 'tcp://10.0.0.5:2376',
  endpoint: { kind: 'tcp', host: '10.0.0.5', port: 2376, tls: { ...tls } },
  labels: {},
});

const key = (h: HostConfig) => hostConnectionKey(h, { concurrency: 256 });
const names = (hosts: HostConfig[]) => hosts.map((h) => h.name);
const changeNames = (changes: { before: HostConfig; after: HostConfig }[]) => changes.map((c) => c.after.name);

describe('reload plan', () => {
  test('added, removed, labels changed, connection changed, unchanged', () => {
    const before = [unix('a'), unix('b', { dc: 'eu' }), unix('c'), sshHost()];
    const moved: HostConfig = { ...unix('c'), url: 'unix:///run/other.sock', endpoint: { kind: 'unix', socketPath: '/run/other.sock' } };
    const afterHosts = [unix('new'), unix('b', { dc: 'us' }), moved, sshHost()];
    const plan = planReload(before, afterHosts, key);
    assert.deepEqual(names(plan.added), ['new']);
    assert.deepEqual(names(plan.removed), ['a']);
    assert.deepEqual(changeNames(plan.relabeled), ['b']);
    assert.deepEqual(plan.relabeled[0]!.after.labels, { dc: 'us' });
    assert.deepEqual(changeNames(plan.rebuilt), ['c']);
    assert.deepEqual(changeNames(plan.unchanged), ['bastion']);
    assert.equal(isEmptyPlan(plan), false);
  });

  test('the same config is an empty plan, whatever the key order', () => {
    const a = unix('a', { x: '1', y: '2' });
    const reordered = { labels: { y: '2', x: '1' }, endpoint: { socketPath: a.endpoint.kind === 'unix' ? a.endpoint.socketPath : '', kind: 'unix' as const }, url: a.url, name: 'a' };
    const plan = planReload([a, sshHost()], [reordered, sshHost()], key);
    assert.deepEqual(changeNames(plan.unchanged), ['a', 'bastion']);
    assert.equal(isEmptyPlan(plan), true);
  });

  test('an SSH host whose labels alone change keeps its session (relabeled, not rebuilt)', () => {
    const plan = planReload([sshHost({ role: 'old' })], [sshHost({ role: 'new' })], key);
    assert.deepEqual(changeNames(plan.relabeled), ['bastion']);
    assert.deepEqual(plan.rebuilt, []);
  });

  test('an SSH setting rebuilds the host; a line added to its known_hosts file does not', () => {
    assert.deepEqual(changeNames(planReload([sshHost()], [sshHost({}, { keepaliveIntervalMs: 5_000 })], key).rebuilt), ['bastion']);
    const before = key(sshHost());
    fs.appendFileSync(ssh.knownHosts!, 'line two for another host\n');
    fs.writeFileSync(ssh.identityFile!, 'key two'); // read again at each login
    assert.equal(key(sshHost()), before);
  });

  test('a TLS file renewed under the same path rebuilds the host', () => {
    const before = tlsHost();
    const keyBefore = key(before);
    fs.writeFileSync(tls.cert, 'cert renewed');
    const plan = planReload([before], [tlsHost()], (h) => (h === before ? keyBefore : key(h)));
    assert.deepEqual(changeNames(plan.rebuilt), ['secure']);
    // and an unchanged file is unchanged
    assert.equal(key(tlsHost()), key(tlsHost()));
  });

  test('what every transport is built with counts too (requests in flight per host)', () => {
    const h = unix('a');
    assert.notEqual(hostConnectionKey(h, { concurrency: 256 }), hostConnectionKey(h, { concurrency: 16 }));
  });

  test('canonical JSON sorts keys at every level', () => {
    assert.equal(canonical({ b: 1, a: { d: [2, { z: 1, y: 2 }], c: 3 } }), '{"a":{"c":3,"d":[2,{"y":2,"z":1}]},"b":1}');
  });
});
