// The Dockerfile's install step, run by /bin/sh as the builder runs it, with a stand-in npm: a
// failed install must stop the build at that step even when npm exits 0 after failing (seen:
// "Exit handler never called!"), and EXTRA_CA_CERTS must reach npm as NODE_EXTRA_CA_CERTS.
// The real build (and npm ci through a TLS-intercepting proxy) is in test/e2e/image.test.ts.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dockerfile = fs.readFileSync(path.join(repo, 'Dockerfile'), 'utf8');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dfe-dockerfile-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** The shell command of the RUN instruction that runs `npm ci` (continuation lines joined). */
function installStep(): string {
  const instructions = dockerfile.replace(/\\\n/g, ' ').split('\n');
  const runs = instructions.filter((l) => /^RUN\s/.test(l) && /\bnpm ci\b/.test(l));
  assert.equal(runs.length, 1, 'one RUN with npm ci');
  return runs[0]!.replace(/^RUN\s+/, '');
}

const CA = '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----';

/**
 * Runs the install step in a fresh directory with `npm` replaced by a script that records
 * NODE_EXTRA_CA_CERTS and the file it names, then does `behaviour` (sh) and exits with `exit`.
 */
function runInstall(name: string, behaviour: string, exit: number, extraCa = '') {
  const dir = path.join(tmp, name);
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin, { recursive: true });
  fs.writeFileSync(
    path.join(bin, 'npm'),
    `#!/bin/sh\necho "$NODE_EXTRA_CA_CERTS" > ca-env\n[ -z "$NODE_EXTRA_CA_CERTS" ] || cat "$NODE_EXTRA_CA_CERTS" > ca-seen\n${behaviour}\nexit ${exit}\n`,
    { mode: 0o755 },
  );
  const r = spawnSync('/bin/sh', ['-c', installStep()], {
    cwd: dir,
    env: { PATH: `${bin}:/usr/bin:/bin`, EXTRA_CA_CERTS: extraCa },
    encoding: 'utf8',
  });
  const read = (f: string) => (fs.existsSync(path.join(dir, f)) ? fs.readFileSync(path.join(dir, f), 'utf8') : undefined);
  return { status: r.status, stderr: r.stderr, caEnv: read('ca-env')?.trim(), caSeen: read('ca-seen') };
}

const INSTALL_TSC = 'mkdir -p node_modules/.bin && touch node_modules/.bin/tsc && chmod +x node_modules/.bin/tsc';

describe('Dockerfile: the npm ci step', () => {
  test('an install that worked passes, without an extra CA', () => {
    const r = runInstall('ok', INSTALL_TSC, 0);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.caEnv, '', 'no NODE_EXTRA_CA_CERTS without EXTRA_CA_CERTS');
  });

  test('npm exiting 0 without installing fails this step, saying so', () => {
    const r = runInstall('silent-failure', 'echo "npm error Exit handler never called!" >&2', 0);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /npm ci installed no node_modules\/\.bin\/tsc/);
    assert.match(r.stderr, /EXTRA_CA_CERTS/, 'the message points at the proxy CA argument');
  });

  test('npm exiting non-zero fails this step', () => {
    const r = runInstall('loud-failure', 'echo "npm error code SELF_SIGNED_CERT_IN_CHAIN" >&2', 1);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /npm ci failed \(exit 1\)/);
  });

  test('EXTRA_CA_CERTS reaches npm as the file NODE_EXTRA_CA_CERTS names; it is removed after', () => {
    const r = runInstall('with-ca', INSTALL_TSC, 0, CA);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(r.caEnv, 'NODE_EXTRA_CA_CERTS set for npm');
    assert.equal(r.caSeen, `${CA}\n`);
    assert.equal(fs.existsSync(r.caEnv!), false, `${r.caEnv} left in the layer`);
  });

  test('EXTRA_CA_CERTS that is not PEM fails before npm runs', () => {
    const r = runInstall('bad-ca', INSTALL_TSC, 0, '/etc/ssl/certs/ca-certificates.crt');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /EXTRA_CA_CERTS holds no PEM certificate/);
    assert.equal(r.caEnv, undefined, 'npm did not run');
  });
});
