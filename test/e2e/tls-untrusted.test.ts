// Daemon B refuses a client certificate from a CA it does not trust: the exporter shows B down,
// keeps serving A, and never logs the key.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { after, before, describe, test } from 'node:test';
import { one, select, show } from './lib/exposition.ts';
import { hostA, hostB, startExporter, type Exporter } from './lib/exporter.ts';
import { HOST_A, HOST_B, loadFleet, type TlsPaths } from './lib/fleet.ts';

const fleet = loadFleet();

/** GET /_ping on B with these client files: 'ok' or the error's message. */
async function ping(tls: TlsPaths): Promise<string> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: fleet.b.tcp_host,
        port: fleet.b.tcp_port,
        path: '/_ping',
        ca: readFileSync(tls.ca),
        cert: readFileSync(tls.cert),
        key: readFileSync(tls.key),
        timeout: 5_000,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode === 200 ? 'ok' : `HTTP ${res.statusCode}`));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (err) => resolve(err.message));
    req.end();
  });
}

let exp: Exporter;

before(async () => {
  exp = await startExporter('untrusted', [hostA(fleet), hostB(fleet, fleet.b.untrusted_tls)]);
});

after(async () => {
  if (exp && exp.child.exitCode === null) await exp.stop();
});

describe('a client certificate from another CA', { timeout: 60_000 }, () => {
  test('fixture: B accepts the good client certificate and refuses the other', async () => {
    assert.equal(await ping(fleet.b.tls), 'ok');
    assert.notEqual(await ping(fleet.b.untrusted_tls), 'ok');
  });

  test('is refused by B: B down, A served', async () => {
    const e = await exp.scrape();
    assert.equal(one(e, 'docker_host_up', { host: HOST_B }), 0, 'B down');
    assert.equal(one(e, 'docker_host_up', { host: HOST_A }), 1, 'A up');
    const bContainers = e.samples.filter((s) => s.labels.host === HOST_B && s.labels.name !== undefined && /^(docker_container_|container_)/.test(s.name));
    assert.deepEqual(bContainers.slice(0, 5).map(show), [], 'no container series for B');
    assert.ok(select(e, 'docker_container_running_state', { host: HOST_A }).length >= 10, "A's containers served");
    // A second scrape: still down, and the process is still alive.
    const e2 = await exp.scrape();
    assert.equal(one(e2, 'docker_host_up', { host: HOST_B }), 0);
    assert.equal(exp.child.exitCode, null);
  });

  test('the client key never reaches the log', async () => {
    await exp.scrape();
    const key = readFileSync(fleet.b.untrusted_tls.key, 'utf8');
    const body = key.split('\n').filter((l) => l && !l.startsWith('-----')).join('');
    const log = readFileSync(exp.logFile, 'utf8');
    assert.ok(body.length > 40, 'fixture: key has a body');
    assert.ok(!log.includes(body.slice(0, 40)), 'key material in the exporter log');
    assert.ok(!log.includes('PRIVATE KEY'), 'a PEM private key in the exporter log');
  });
});
