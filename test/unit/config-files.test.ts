// Every file the configuration names is read the same safe way: a FIFO or device where a file
// belongs is a clear error naming it, at once (never a process blocked on it), and a file's
// bytes never come back in an error.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { loadConfig } from '../../src/config/load.ts';
import { loadHostKeyPolicy } from '../../src/transport/ssh/host-key.ts';
import { loadTlsContext } from '../../src/transport/tls-material.ts';
import { readWebConfig } from '../../src/web/config.ts';
import { fifoWithLateWriter } from '../support/fifo.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dfe-config-files-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
let n = 0;

/** A FIFO at a fresh path, written to 2 s later: a reader that blocks on it comes back then. */
function fifo(name: string): string {
  const file = path.join(dir, `${++n}-${name}`);
  after(fifoWithLateWriter(file).stop);
  return file;
}

/** `fn` runs, and must come back well before the FIFO's writer would have unblocked it. */
async function quickly<T>(fn: () => T | Promise<T>): Promise<T> {
  const t0 = performance.now();
  const out = await fn();
  assert.ok(performance.now() - t0 < 1000, `took ${Math.round(performance.now() - t0)} ms: blocked on a FIFO`);
  return out;
}

test('the config file, a FIFO: an error naming it, at once', async () => {
  const file = fifo('config.yml');
  const r = await quickly(() => loadConfig({ file, env: {} }));
  assert.deepEqual(r.ok ? [] : r.errors, [`${file}: cannot read the config file (a FIFO, not a regular file)`]);
});

test('a host\'s TLS CA, a FIFO: an error naming the host, the key and the file', async () => {
  const ca = fifo('ca.pem');
  const file = path.join(dir, 'tls.yml');
  fs.writeFileSync(file, `hosts:\n  - name: b\n    url: tcp://10.0.0.1:2376\n    tls:\n      ca: ${ca}\n`);
  const r = await quickly(() => loadConfig({ file, env: {} }));
  assert.ok(!r.ok);
  assert.ok(r.errors.some((e) => e.includes(`hosts[0].tls.ca (host "b"): cannot read ${ca} (a FIFO, not a regular file)`)), r.errors.join('\n'));
  const direct = await quickly(() => loadTlsContext({ ca, insecureSkipVerify: false }, {}));
  assert.ok(!direct.ok);
  assert.deepEqual(direct.problems, [{ key: 'ca', message: `cannot read ${ca} (a FIFO, not a regular file)` }]);
});

test('the web config and known_hosts, FIFOs or /dev/zero: errors naming them, at once', async () => {
  const web = fifo('web.yml');
  assert.deepEqual(await quickly(() => readWebConfig(web)), { ok: false, errors: ['cannot read the web config file (a FIFO, not a regular file)'] });
  const zero = path.join(dir, 'zero.yml');
  fs.symlinkSync('/dev/zero', zero);
  assert.deepEqual(await quickly(() => readWebConfig(zero)), { ok: false, errors: ['cannot read the web config file (a device, not a regular file)'] });
  const knownHosts = fifo('known_hosts');
  const ssh = { socketPath: '/var/run/docker.sock', insecureIgnoreHostKey: false, keepaliveIntervalMs: 15_000, connectTimeoutMs: 5_000, knownHosts };
  await quickly(() => assert.rejects(loadHostKeyPolicy('h', 22, ssh), { message: `cannot read known_hosts ${knownHosts}: a FIFO, not a regular file` }));
});

const SHADOW = path.join(dir, 'shadow');
fs.writeFileSync(SHADOW, 'root:$6$VErYsEcReT$hash:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n');
/** `name`, a symlink to a shadow-like file (what an operator's typo in a path can point at). */
function shadowAt(name: string): string {
  const file = path.join(dir, name);
  fs.symlinkSync(SHADOW, file);
  return file;
}

test('a JSON config that is not JSON never echoes its bytes', () => {
  const file = shadowAt('config.json');
  const r = loadConfig({ file, env: {} });
  assert.deepEqual(r.ok ? [] : r.errors, [`${file}: invalid JSON`]);
  fs.writeFileSync(path.join(dir, 'broken.json'), '{"hosts": [] x');
  const b = loadConfig({ file: path.join(dir, 'broken.json'), env: {} });
  assert.deepEqual(b.ok ? [] : b.errors, [`${path.join(dir, 'broken.json')}: invalid JSON at byte 13`]);
});

test('a YAML config or web config that is some other file (a shadow file) never echoes its lines as unknown keys', () => {
  const file = shadowAt('config-shadow.yml');
  const r = loadConfig({ file, env: {} });
  assert.ok(!r.ok);
  assert.equal(r.errors[0], `${file}: 2 keys that are not a key name (not shown: is this the right file?)`);
  const web = readWebConfig(file);
  assert.deepEqual(web, { ok: false, errors: ['2 keys that are not a key name (not shown: is this the right file?)'] });
  assert.doesNotMatch(JSON.stringify([r, web]), /root|daemon|\$6\$|VErY/);
  // a mistyped key is still named
  fs.writeFileSync(path.join(dir, 'typo.yml'), 'colection: {}\nhosts: [{name: a, url: "unix:///a.sock"}]\n');
  const typo = loadConfig({ file: path.join(dir, 'typo.yml'), env: {} });
  assert.match(typo.ok ? '' : typo.errors.join(), /colection: unknown key/);
});
