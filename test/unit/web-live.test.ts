// The web config re-read when it (or a file it names) changes; a broken one fails closed and is
// logged once per change; TLS cannot be switched on or off without a restart.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import bcrypt from 'bcryptjs';
import { pino } from 'pino';
import { LiveWebConfig } from '../../src/web/live.ts';
import { makeCerts, type Certs } from '../support/certs.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'dfe-web-live-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let certs: Certs;
before(async () => {
  certs = await makeCerts(path.join(dir, 'certs'));
});

const logs: { level: number; msg: string; errors?: string[] }[] = [];
const log = pino({ level: 'info' }, { write: (l: string) => void logs.push(JSON.parse(l) as (typeof logs)[number]) });
const hash = (p: string) => bcrypt.hashSync(p, 4);

/** Writes `text` so that the change is seen even within one timestamp tick (new inode by rename). */
function write(file: string, text: string): void {
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
}

function open(file: string): LiveWebConfig {
  const r = LiveWebConfig.open(file, log);
  assert.ok(r.ok, r.ok ? '' : r.errors.join('; '));
  return r.live;
}

test('users and headers change without a restart; unchanged file: no reload', () => {
  const file = path.join(dir, 'plain.yml');
  write(file, `basic_auth_users:\n  alice: ${hash('a')}\n`);
  const live = open(file);
  assert.equal(live.tlsEnabled, false);
  const first = live.current();
  assert.ok(first.ok);
  assert.deepEqual([...first.state.config.users.keys()], ['alice']);
  for (let i = 0; i < 5; i++) live.current();
  assert.equal(live.reloads, 0);

  write(file, `basic_auth_users:\n  bob: ${hash('b')}\nhttp_server_config:\n  headers:\n    X-Frame-Options: deny\n`);
  const next = live.current();
  assert.ok(next.ok);
  assert.deepEqual([...next.state.config.users.keys()], ['bob']);
  assert.deepEqual(next.state.config.headers, [['X-Frame-Options', 'deny']]);
  assert.equal(live.reloads, 1);
});

test('a broken file fails closed, logged once per change, and recovers when fixed', () => {
  const file = path.join(dir, 'broken.yml');
  write(file, `basic_auth_users:\n  alice: ${hash('a')}\n`);
  const live = open(file);
  logs.length = 0;

  write(file, 'basic_auth_users:\n  alice: plaintext\n');
  for (let i = 0; i < 3; i++) {
    const c = live.current();
    assert.ok(!c.ok);
    assert.deepEqual(c.errors, ['basic_auth_users.alice: is not a bcrypt hash ($2y$10$ and 53 characters; make one with `htpasswd -nBC 10 "" | tr -d \':\\n\'`)']);
  }
  assert.equal(logs.filter((l) => l.level === 50).length, 1, 'logged once, not per request');
  assert.doesNotMatch(JSON.stringify(logs), /plaintext/, 'the value is never logged');

  write(file, 'nope: 1\n'); // another broken content: a change, logged again
  assert.ok(!live.current().ok);
  assert.equal(logs.filter((l) => l.level === 50).length, 2);

  rmSync(file); // gone: broken too
  const gone = live.current();
  assert.ok(!gone.ok);
  assert.deepEqual(gone.errors, ['cannot read the web config file (ENOENT)']);

  write(file, `basic_auth_users:\n  carol: ${hash('c')}\n`);
  const fixed = live.current();
  assert.ok(fixed.ok);
  assert.deepEqual([...fixed.state.config.users.keys()], ['carol']);
  assert.equal(logs.at(-1)?.msg, 'web config reloaded');
});

test('TLS: a replaced certificate file is picked up; a broken one keeps the last good one for handshakes', () => {
  const cert = path.join(dir, 'server.crt');
  const key = path.join(dir, 'server.key');
  copyFileSync(certs.paths.serverCert, cert);
  copyFileSync(certs.paths.serverKey, key);
  const file = path.join(dir, 'tls.yml');
  write(file, 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n');
  const live = open(file);
  assert.equal(live.tlsEnabled, true);
  const first = live.tlsForConnection();
  assert.ok(first);
  assert.equal(live.tlsForConnection(), first, 'nothing changed: the same settings object');

  // a change outside tls_server_config keeps the TLS settings (and the connections made under them)
  write(file, `tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\nbasic_auth_users:\n  a: ${hash('a')}\n`);
  assert.equal(live.tlsForConnection(), first);
  assert.equal(live.reloads, 1);

  write(cert, certs.clientCert); // a certificate that does not match the key: broken
  const during = live.tlsForConnection();
  assert.equal(during, first, 'new connections keep the last good certificate');
  const c = live.current();
  assert.ok(!c.ok);
  assert.match(c.errors.join(), /tls_server_config\.key_file: .*server\.key does not match the certificate/);

  write(cert, certs.serverCert); // fixed: new settings
  const after = live.tlsForConnection();
  assert.ok(after && after !== first);
  assert.ok(live.current().ok);
});

test('switching TLS on or off in the file takes a restart: broken until then', () => {
  const file = path.join(dir, 'switch.yml');
  write(file, '{}\n');
  const plain = open(file);
  write(file, `tls_server_config:\n  cert_file: ${certs.paths.serverCert}\n  key_file: ${certs.paths.serverKey}\n`);
  const c = plain.current();
  assert.ok(!c.ok);
  assert.deepEqual(c.errors, ['tls_server_config now enables TLS: turning TLS on takes a restart']);

  const tlsOn = open(file);
  write(file, '{}\n');
  const d = tlsOn.current();
  assert.ok(!d.ok);
  assert.deepEqual(d.errors, ['tls_server_config no longer enables TLS: turning TLS off takes a restart']);
});

test('a rate limit that did not change keeps its bucket across a reload', () => {
  const file = path.join(dir, 'rate.yml');
  write(file, 'rate_limit:\n  interval: 1h\n  burst: 2\n');
  const live = open(file);
  const take = () => {
    const c = live.current();
    assert.ok(c.ok && c.state.limiter);
    return c.state.limiter.take();
  };
  assert.deepEqual([take(), take(), take()], [true, true, false]);
  write(file, `rate_limit:\n  interval: 1h\n  burst: 2\nbasic_auth_users:\n  a: ${hash('a')}\n`);
  assert.equal(take(), false, 'no fresh burst from a reload');
  assert.equal(live.reloads, 1);
});

test('a web config that cannot even be stat()ed (ELOOP, ENOTDIR) fails closed: no throw, not on a new TLS connection either', () => {
  const sub = path.join(dir, 'unstattable');
  mkdirSync(sub);
  copyFileSync(certs.paths.serverCert, path.join(sub, 'server.crt'));
  copyFileSync(certs.paths.serverKey, path.join(sub, 'server.key'));
  const file = path.join(sub, 'web.yml');
  write(file, 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n');
  const live = open(file);
  const good = live.tlsForConnection();
  assert.ok(good);

  rmSync(file);
  symlinkSync(file, file); // a loop: stat() throws ELOOP, which throwIfNoEntry does not cover
  assert.equal(live.tlsForConnection(), good, 'the last good settings, and no throw from the connection handler');
  const c = live.current();
  assert.ok(!c.ok);
  assert.deepEqual(c.errors, ['cannot read the web config file (ELOOP)']);

  const other = path.join(dir, 'plain-file');
  writeFileSync(other, '');
  const below = path.join(other, 'web.yml'); // a path through a regular file: ENOTDIR
  writeFileSync(path.join(dir, 'p.yml'), '{}\n');
  const plain = open(path.join(dir, 'p.yml'));
  rmSync(path.join(dir, 'p.yml'));
  symlinkSync(below, path.join(dir, 'p.yml'));
  const p = plain.current();
  assert.ok(!p.ok);
  assert.deepEqual(p.errors, ['cannot read the web config file (ENOTDIR)']);
});

test('basic auth cannot be switched off by a live change: an emptied file, or one without users, fails closed', () => {
  const file = path.join(dir, 'auth-off.yml');
  write(file, `basic_auth_users:\n  alice: ${hash('a')}\n  bob: ${hash('b')}\n`);
  const live = open(file);
  logs.length = 0;

  write(file, `basic_auth_users:\n  bob: ${hash('b')}\n`); // one user fewer: fine
  assert.ok(live.current().ok);

  for (const text of ['', 'basic_auth_users:\n', 'http_server_config:\n  http2: true\n']) {
    write(file, text);
    const c = live.current();
    assert.ok(!c.ok, `accepted ${JSON.stringify(text)}`);
    assert.deepEqual(c.errors, ['basic_auth_users lists no user any more: turning basic auth off takes a restart']);
  }
  assert.equal(logs.filter((l) => l.level === 50).length, 1, 'an error, logged once');

  write(file, `basic_auth_users:\n  carol: ${hash('c')}\n`);
  const back = live.current();
  assert.ok(back.ok);
  assert.deepEqual([...back.state.config.users.keys()], ['carol']);

  // the other way (no auth -> auth) closes the endpoints and is taken live
  const open2 = path.join(dir, 'auth-on.yml');
  write(open2, '{}\n');
  const live2 = open(open2);
  write(open2, `basic_auth_users:\n  dave: ${hash('d')}\n`);
  assert.ok(live2.current().ok);
});
