// The transport map: a transport is one file plus one line. A transport registered from test/
// is a URL scheme the config accepts, with its own block, and the fleet reaches daemons by it.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { pino } from 'pino';
import { createExporter } from '../../src/app.ts';
import { defaultHost } from '../../src/config/defaults.ts';
import { contextId, readDockerContexts } from '../../src/config/docker-contexts.ts';
import { loadConfig } from '../../src/config/load.ts';
import { registerTransport } from '../../src/transport/index.ts';
import { startFakeEngine } from '../support/fake-engine.ts';
import { created, fakeTransport } from '../support/fake-transport.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dfe-transport-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const load = (yaml: string) => {
  const file = path.join(tmp, `c${++n}.yml`);
  fs.writeFileSync(file, yaml);
  return loadConfig({ file, env: {} });
};

test('the config accepts its scheme and reads its block; other hosts may not carry that block', () => {
  const r = load('hosts:\n  - name: f\n    url: fake:///run/x.sock\n    fake: { greeting: hi }\n  - name: g\n    url: fake:///run/y.sock\n');
  assert.ok(r.ok, JSON.stringify(r));
  assert.deepEqual(r.config.hosts.map((h) => h.endpoint), [
    { kind: 'fake', socketPath: '/run/x.sock', fake: { greeting: 'hi' } },
    { kind: 'fake', socketPath: '/run/y.sock' },
  ]);
  const bad = load('hosts:\n  - name: f\n    url: fake:///run/x.sock\n    fake: { greeting: good morning, x: 1 }\n  - name: u\n    url: unix:///x.sock\n    fake: {}\n  - name: z\n    url: zip://h\n');
  assert.ok(!bad.ok);
  assert.deepEqual(bad.errors.map((e) => e.slice(e.indexOf('hosts['))), [
    'hosts[0].fake.x (host "f"): unknown key (expected one of: greeting)',
    'hosts[0].fake.greeting (host "f"): must be at most 10 characters',
    'hosts[1].fake (host "u"): only valid with fake:// URLs (this host\'s url is unix://)',
    'hosts[2].url (host "z"): unsupported scheme "zip": use unix://, tcp://, ssh:// or fake://',
  ]);
});

test('a scheme registered twice is refused', () => {
  assert.throws(() => registerTransport(fakeTransport), /transport "fake:\/\/" is registered twice/);
});

test('the exporter reaches a daemon through it', async () => {
  const engine = await startFakeEngine({ socketPath: path.join(tmp, 'engine.sock'), containers: [{ name: 'web', state: 'running' }] });
  const r = load(`hosts:\n  - name: f\n    url: fake://${engine.socketPath}\npool: { threads: 0 }\n`);
  assert.ok(r.ok, JSON.stringify(r));
  const exporter = createExporter({ ...r.config, web: { ...r.config.web, listenAddresses: ['127.0.0.1:0'] } }, pino({ level: 'silent' }));
  try {
    const port = await exporter.listen(0, '127.0.0.1');
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    assert.match(text, /^docker_host_up\{host="f"\} 1$/m);
    assert.match(text, /^docker_container_running_state\{host="f",name="web"\} 1$/m);
    // its connection's series under its own names, never as docker_ssh_*
    assert.match(text, /^# HELP docker_fake_connected Whether the fake link to the host is connected \(fake:\/\/ hosts only\)\.$/m);
    assert.match(text, /^docker_fake_connects_total\{host="f"\} 7$/m);
    assert.doesNotMatch(text, /^docker_ssh_/m);
    assert.deepEqual(created.map((c) => c.name), ['f']);
  } finally {
    await exporter.close();
    await engine.close();
  }
});

test('DOCKER_HOST may name it: the default host is read by its descriptor, not taken for ssh://', () => {
  const r = defaultHost({ DOCKER_HOST: 'fake:///run/d.sock', FAKE_GREETING: 'hey', HOME: tmp });
  assert.ok(r.ok, JSON.stringify(r));
  assert.deepEqual(r.host.endpoint, { kind: 'fake', socketPath: '/run/d.sock', fake: { greeting: 'hey' } });
});

test('a docker context of its scheme gets its block from the descriptor', () => {
  const dir = fs.mkdtempSync(path.join(tmp, 'store-'));
  for (const name of ['lab', 'lab2']) {
    const meta = path.join(dir, 'contexts', 'meta', contextId(name));
    fs.mkdirSync(meta, { recursive: true });
    fs.writeFileSync(path.join(meta, 'meta.json'), JSON.stringify({ Name: name, Endpoints: { docker: { Host: 'fake:///run/lab.sock' } } }));
  }
  const read = (blocks?: Record<string, Record<string, unknown>>) => readDockerContexts({ dir, include: ['lab'], exclude: [], homeDir: tmp, ...(blocks ? { blocks } : {}) });
  assert.deepEqual(read().hosts.map((h) => h.item), [{ name: 'lab', url: 'fake:///run/lab.sock', fake: { greeting: 'lab' } }]);
  assert.deepEqual(read({ fake: { greeting: 'hi' } }).hosts.map((h) => h.item), [{ name: 'lab', url: 'fake:///run/lab.sock', fake: { greeting: 'hi' } }]);
});
