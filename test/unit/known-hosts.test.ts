import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { SshOptions } from '../../src/transport/ssh/options.ts';
import { loadHostKeyPolicy, sha256Fingerprint } from '../../src/transport/ssh/host-key.ts';
import { checkHostKey, knownHostsName, knownKeyTypes, parseKnownHosts } from '../../src/transport/ssh/known-hosts.ts';

// Fixed vectors made with OpenSSH 9.2: keys by `ssh-keygen -t ...`, fingerprints by
// `ssh-keygen -lf`, hashed names by `ssh-keygen -H` (so the hashing is checked against ssh's own).
const ED1 = 'AAAAC3NzaC1lZDI1NTE5AAAAIBSZH6Mt7OY8JaaiFYQE5fAJsJqlHgRXn1biJEMzmqvw';
const ED1_FP = 'SHA256:+BSKB+EBZh+1ODIF/I+PI1z/Tw74kkXXsgDSktU9+fg';
const EC2 =
  'AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEKg83Ihnh5CvYFsXLVEZawcbVhIs8Xo2iJkDO2EkGK2bCzhMFOhEmL2JLuom5WStjCPqQ1J/6kkrIuLlpukd3E=';
const EC2_FP = 'SHA256:aVw3WpEi9lq+QKRhHFtuDFXiLVUh3TzvxxMRPVR44hY';
const ED3 = 'AAAAC3NzaC1lZDI1NTE5AAAAIAqOyxiRIwBO3Vw0gyhecjoiyxhjzbLR76RgzqD9V/O9';
const ED3_FP = 'SHA256:2F3IxLZywwtJSVZ4niamY4mZTxqt6nD+VfdJ7gmkGVA';
const RSA4 =
  'AAAAB3NzaC1yc2EAAAADAQABAAAAgQDnE8jDxz7YYQ1Cf9rdKuJEW7akMNuMhC+zbdz6hxQeDwa+Vmcg9OawzlXf2XaNd8dxVnUh79JejG0KjGQ4uMeGyc47ol3ceC9hfo1Fs5/4x6CiXUeMaE1PfO5DCGY5jHtHvxDsisn89MNQ5HcoZOKnwNUiIZaIDPq26RnU195Oww==';
const RSA4_FP = 'SHA256:mmyhrj/1QWGEhKJjPGbB4nIGjNHJopDn8Z7PXp31kmk';
// `ssh-keygen -H` of "web-01.example ssh-ed25519 ED1" and "[127.0.0.1]:2222 ecdsa-sha2-nistp256 EC2".
const HASHED_WEB01 = '|1|a5w9pW/InLXDcamt1qDk0Y4j/lk=|04+dg5M58H06Nc3lKNEHDKA2sHY=';
const HASHED_LOCAL_2222 = '|1|TFQy1bCZhZf8/zh7khaRLMKRJOY=|3fD4enzg5YYTvjGPiZCEHs+2xME=';

const key = (b64: string) => Buffer.from(b64, 'base64');

describe('sha256Fingerprint', () => {
  test('matches ssh-keygen -lf for ed25519, ecdsa and rsa keys', () => {
    assert.equal(sha256Fingerprint(key(ED1)), ED1_FP);
    assert.equal(sha256Fingerprint(key(EC2)), EC2_FP);
    assert.equal(sha256Fingerprint(key(ED3)), ED3_FP);
    assert.equal(sha256Fingerprint(key(RSA4)), RSA4_FP);
  });
});

describe('knownHostsName', () => {
  test('bare host on port 22, [host]:port elsewhere, lower-cased', () => {
    assert.equal(knownHostsName('Web-01.Example', 22), 'web-01.example');
    assert.equal(knownHostsName('127.0.0.1', 2222), '[127.0.0.1]:2222');
  });
});

describe('parseKnownHosts + checkHostKey', () => {
  test('plain entry with several names and a comment', () => {
    const kh = parseKnownHosts(`# fleet\nweb-01.example,10.0.0.22 ssh-ed25519 ${ED1} root@web-01\n`);
    assert.deepEqual(kh.skipped, []);
    assert.deepEqual(checkHostKey(kh, 'web-01.example', key(ED1)), { ok: true, line: 2 });
    assert.deepEqual(checkHostKey(kh, '10.0.0.22', key(ED1)), { ok: true, line: 2 });
    assert.deepEqual(checkHostKey(kh, 'web-02.example', key(ED1)), { ok: false, why: 'unknown' });
  });

  test('[host]:port entries match only that port', () => {
    const kh = parseKnownHosts(`[127.0.0.1]:2222 ssh-ed25519 ${ED1}\n`);
    assert.equal(checkHostKey(kh, knownHostsName('127.0.0.1', 2222), key(ED1)).ok, true);
    assert.deepEqual(checkHostKey(kh, knownHostsName('127.0.0.1', 22), key(ED1)), { ok: false, why: 'unknown' });
    assert.deepEqual(checkHostKey(kh, knownHostsName('127.0.0.1', 2223), key(ED1)), { ok: false, why: 'unknown' });
  });

  test('hashed entries written by ssh-keygen -H', () => {
    const kh = parseKnownHosts(`${HASHED_WEB01} ssh-ed25519 ${ED1}\n${HASHED_LOCAL_2222} ecdsa-sha2-nistp256 ${EC2}\n`);
    assert.deepEqual(kh.skipped, []);
    assert.equal(checkHostKey(kh, 'web-01.example', key(ED1)).ok, true);
    assert.equal(checkHostKey(kh, knownHostsName('127.0.0.1', 2222), key(EC2)).ok, true);
    // The hash binds the name: the same key under another name is unknown.
    assert.deepEqual(checkHostKey(kh, 'web-02.example', key(ED1)), { ok: false, why: 'unknown' });
    assert.deepEqual(checkHostKey(kh, knownHostsName('127.0.0.1', 22), key(EC2)), { ok: false, why: 'unknown' });
  });

  test('several key types for one host: each accepted, a different key of a listed type is a mismatch', () => {
    const kh = parseKnownHosts(`h1 ssh-ed25519 ${ED1}\nh1 ecdsa-sha2-nistp256 ${EC2}\nh1 ssh-rsa ${RSA4}\n`);
    assert.deepEqual(knownKeyTypes(kh, 'h1'), ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ssh-rsa']);
    assert.equal(checkHostKey(kh, 'h1', key(ED1)).ok, true);
    assert.equal(checkHostKey(kh, 'h1', key(EC2)).ok, true);
    assert.equal(checkHostKey(kh, 'h1', key(RSA4)).ok, true);
    const v = checkHostKey(kh, 'h1', key(ED3));
    assert.equal(v.ok, false);
    assert.equal(!v.ok && v.why, 'mismatch');
    assert.deepEqual(!v.ok && v.why === 'mismatch' ? v.expected.map(sha256Fingerprint) : [], [ED1_FP]);
  });

  test('wildcards and negation, as in OpenSSH', () => {
    const kh = parseKnownHosts(`*.example,!bad.example ssh-ed25519 ${ED1}\nweb-?? ssh-ed25519 ${ED3}\n`);
    assert.equal(checkHostKey(kh, 'web-01.example', key(ED1)).ok, true);
    assert.deepEqual(checkHostKey(kh, 'bad.example', key(ED1)), { ok: false, why: 'unknown' });
    assert.deepEqual(checkHostKey(kh, 'example', key(ED1)), { ok: false, why: 'unknown' });
    assert.equal(checkHostKey(kh, 'web-07', key(ED3)).ok, true);
    assert.deepEqual(checkHostKey(kh, 'web-007', key(ED3)), { ok: false, why: 'unknown' });
    // Dots are literal, not regex wildcards.
    assert.deepEqual(checkHostKey(parseKnownHosts(`a.b ssh-ed25519 ${ED1}`), 'axb', key(ED1)), { ok: false, why: 'unknown' });
  });

  test('@revoked wins over an accepting line; @cert-authority lines are not host keys', () => {
    const kh = parseKnownHosts(`h1 ssh-ed25519 ${ED1}\n@revoked * ssh-ed25519 ${ED1}\n@cert-authority h2 ssh-ed25519 ${ED3}\n`);
    assert.deepEqual(checkHostKey(kh, 'h1', key(ED1)), { ok: false, why: 'revoked', line: 2 });
    assert.deepEqual(checkHostKey(kh, 'h2', key(ED3)), { ok: false, why: 'unknown' });
    assert.deepEqual(knownKeyTypes(kh, 'h2'), []);
  });

  test('damaged lines are skipped with their line number, the rest still counts', () => {
    const kh = parseKnownHosts(
      [`h1 ssh-ed25519`, `h1 ssh-rsa ${ED1}`, `|1|short|hash ssh-ed25519 ${ED1}`, `@bogus h1 ssh-ed25519 ${ED1}`, `h1 ssh-ed25519 ${ED3}`].join('\n'),
    );
    assert.equal(kh.lines.length, 1);
    assert.deepEqual(
      kh.skipped.map((s) => s.split(':')[0]),
      ['line 1', 'line 2', 'line 3', 'line 4'],
    );
    assert.match(kh.skipped[1]!, /does not match key type ssh-rsa/);
    assert.equal(checkHostKey(kh, 'h1', key(ED3)).ok, true);
  });
});

describe('loadHostKeyPolicy', () => {
  let dir: string;
  const base: SshOptions = {
    socketPath: '/var/run/docker.sock',
    insecureIgnoreHostKey: false,
    keepaliveIntervalMs: 15_000,
    connectTimeoutMs: 5_000,
  };
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kh-test-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('host_key_fingerprint: accepts the key, names both fingerprints on a mismatch', async () => {
    const p = await loadHostKeyPolicy('10.0.0.22', 22, { ...base, hostKeyFingerprint: ED1_FP });
    assert.equal(p.check(key(ED1)), undefined);
    assert.equal(p.check(key(ED3)), `host key mismatch for 10.0.0.22:22: got ${ED3_FP}, expected ${ED1_FP}`);
    assert.equal(p.algorithms, undefined);
  });

  test('known_hosts: unknown, mismatch and accepted, with the file named', async () => {
    const path = join(dir, 'known_hosts');
    await writeFile(path, `${HASHED_LOCAL_2222} ecdsa-sha2-nistp256 ${EC2}\n[127.0.0.1]:2222 ssh-rsa ${RSA4}\n`);
    const p = await loadHostKeyPolicy('127.0.0.1', 2222, { ...base, knownHosts: path });
    assert.equal(p.check(key(EC2)), undefined);
    assert.equal(p.check(key(RSA4)), undefined);
    // Only the types known_hosts lists are asked for, RSA under its three signature names.
    assert.deepEqual(p.algorithms, ['ecdsa-sha2-nistp256', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
    assert.equal(p.check(key(ED1)), `host key of 127.0.0.1:2222 not in known_hosts ${path} (server presented ssh-ed25519 ${ED1_FP})`);

    const other = await loadHostKeyPolicy('127.0.0.1', 2200, { ...base, knownHosts: path });
    assert.match(other.check(key(EC2))!, /^host key of 127\.0\.0\.1:2200 not in known_hosts /);
    assert.equal(other.algorithms, undefined);

    await writeFile(path, `[127.0.0.1]:2222 ssh-ed25519 ${ED3}\n`);
    const p2 = await loadHostKeyPolicy('127.0.0.1', 2222, { ...base, knownHosts: path });
    assert.equal(p2.check(key(ED1)), `host key mismatch for 127.0.0.1:2222: got ssh-ed25519 ${ED1_FP}, expected ${ED3_FP} from known_hosts ${path}`);
  });

  test('an unreadable known_hosts is an error naming the file', async () => {
    const path = join(dir, 'missing');
    await assert.rejects(loadHostKeyPolicy('h', 22, { ...base, knownHosts: path }), { message: `cannot read known_hosts ${path}: ENOENT` });
  });

  test('insecure_ignore_host_key accepts anything and says so', async () => {
    const p = await loadHostKeyPolicy('h', 22, { ...base, insecureIgnoreHostKey: true, knownHosts: join(dir, 'missing') });
    assert.equal(p.insecure, true);
    assert.equal(p.check(key(ED1)), undefined);
  });
});
