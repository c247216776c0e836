// dockerode per host: built from the host's endpoint and agent only (DOCKER_* variables in the
// environment go nowhere), over a unix socket and mutual TLS, with capped bodies and deadlines.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { inspect } from 'node:util';
import Docker from 'dockerode';
import { createDockerode, DaemonClient } from '../../src/docker/daemon-client.ts';
import { makeCerts, type Certs } from '../support/certs.ts';
import { startFakeEngine, type FakeEngine } from '../support/fake-engine.ts';

const dir = mkdtempSync(join(tmpdir(), 'dfe-daemon-client-'));

/** Runs fn with these variables set, then restores the environment. */
async function withEnv<T>(vars: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

describe('DaemonClient (dockerode)', () => {
  let unix: FakeEngine;
  let tls: FakeEngine;
  let certs: Certs;

  before(async () => {
    certs = await makeCerts(join(dir, 'certs'));
    unix = await startFakeEngine({ socketPath: join(dir, 'docker.sock') });
    tls = await startFakeEngine({ tls: { key: certs.serverKey, cert: certs.serverCert, ca: certs.ca, requestCert: true } });
  });
  after(async () => {
    await Promise.all([unix.close(), tls.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  const hostile = { DOCKER_HOST: 'tcp://127.0.0.1:1', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: join(dir, 'no-such-dir') };

  test('docker-modem on its own is redirected by DOCKER_HOST and broken by DOCKER_CERT_PATH (why createDockerode exists)', async () => {
    await withEnv({ DOCKER_HOST: 'tcp://127.0.0.1:1' }, async () => {
      const naive = new Docker({ socketPath: unix.socketPath! });
      await assert.rejects(naive.version(), /ECONNREFUSED 127\.0\.0\.1:1/);
    });
    await withEnv(hostile, async () => {
      assert.throws(() => new Docker({ socketPath: unix.socketPath! }), /ENOENT/);
    });
  });

  test('with DOCKER_HOST, DOCKER_TLS_VERIFY and DOCKER_CERT_PATH set, a client built for a unix socket still talks to that socket', async () => {
    await withEnv(hostile, async () => {
      const agent = new Agent({ keepAlive: true });
      const before = unix.requests.byKind.version;
      const client = new DaemonClient(createDockerode({ protocol: 'http:', socketPath: unix.socketPath! }, agent));
      const v = (await client.version(2000)) as { ApiVersion: string };
      assert.equal(v.ApiVersion, unix.apiVersion);
      assert.equal(unix.requests.byKind.version, before + 1, 'the request reached the configured socket');
      assert.equal(process.env.DOCKER_HOST, hostile.DOCKER_HOST, 'the environment is left as it was');
      assert.equal(process.env.DOCKER_CERT_PATH, hostile.DOCKER_CERT_PATH);
      agent.destroy();
    });
  });

  test('over TCP with mutual TLS, on the host agent: version, info and events', async () => {
    await withEnv(hostile, async () => {
      const agent = new HttpsAgent({ keepAlive: true, ca: certs.ca, cert: certs.clientCert, key: certs.clientKey });
      const client = new DaemonClient(createDockerode({ protocol: 'https:', host: '127.0.0.1', port: tls.port! }, agent));
      assert.equal(((await client.version(2000)) as { Version: string }).Version, tls.daemon.serverVersion);
      assert.equal(((await client.info(tls.apiVersion, 2000)) as { NCPU: number }).NCPU, tls.daemon.ncpu);
      const keepAlive: unknown[][] = [];
      const original = Socket.prototype.setKeepAlive;
      Socket.prototype.setKeepAlive = function (this: Socket, ...args: Parameters<Socket['setKeepAlive']>) {
        keepAlive.push(args);
        return original.apply(this, args);
      };
      let stream;
      try {
        stream = await client.open(undefined, new AbortController().signal);
      } finally {
        Socket.prototype.setKeepAlive = original;
      }
      assert.deepEqual(keepAlive, [[true, 15_000]], 'the idle stream has TCP keep-alive');
      const line = new Promise<string>((resolve) => stream.once('data', (b: Buffer) => resolve(b.toString())));
      tls.events.emit({ id: 'a'.repeat(64), name: 'web', action: 'start' });
      assert.match(await line, /"Action":"start"/);
      stream.destroy();
      assert.equal(tls.requests.log.find((r) => r.kind === 'info')!.path, `/v${tls.apiVersion}/info`);
      client.close();
      agent.destroy();
    });
  });

  test('bodies are capped at 1 MiB, error bodies included; a daemon that never answers times out', async () => {
    const agent = new Agent({ keepAlive: true });
    const client = new DaemonClient(createDockerode({ protocol: 'http:', socketPath: unix.socketPath! }, agent));
    const big = JSON.stringify({ message: 'x'.repeat(2 * 1024 * 1024) });
    const remove = [
      unix.addFault({ kind: 'info', body: big }),
      unix.addFault({ kind: 'events', status: 403, body: big }),
      unix.addFault({ kind: 'version', hang: true }),
    ];
    try {
      await assert.rejects(client.info(unix.apiVersion, 2000), /^EngineError: GET \/v1\.43\/info: body larger than its 1 MiB cap$/);
      await assert.rejects(client.open(undefined, new AbortController().signal), /^EngineError: GET \/events: body larger than its 1 MiB cap$/);
      await assert.rejects(client.version(150), /^EngineError: GET \/version: timed out after 150ms$/);
    } finally {
      for (const r of remove) r();
      client.close();
      agent.destroy();
    }
  });

  test('dockerode\'s own info() and getEvents() take a body of any size whole (why DaemonClient dials its modem)', async () => {
    const docker = createDockerode({ protocol: 'http:', socketPath: unix.socketPath! }, new Agent({ keepAlive: false }));
    const big = JSON.stringify({ message: 'x'.repeat(2 * 1024 * 1024) });
    const remove = [unix.addFault({ kind: 'info', body: big }), unix.addFault({ kind: 'events', status: 403, body: big })];
    try {
      // a 200 body: buffered and JSON.parsed, past any cap
      const info = (await docker.info()) as { message: string };
      assert.equal(info.message.length, 2 * 1024 * 1024);
      // a status it does not list: the error body is read whole to build the message
      await assert.rejects(docker.getEvents({}), (err: Error) => err.message.length > 2 * 1024 * 1024);
    } finally {
      for (const r of remove) r();
    }
  });

  test('close() aborts what is in flight, as shutdown does', async () => {
    const agent = new Agent({ keepAlive: true });
    const client = new DaemonClient(createDockerode({ protocol: 'http:', socketPath: unix.socketPath! }, agent));
    const remove = unix.addFault({ kind: 'version', hang: true });
    try {
      const pending = client.version(10_000);
      setTimeout(() => client.close(), 50);
      await assert.rejects(pending, /^EngineError: GET \/version: aborted \(shutting down\)$/);
    } finally {
      remove();
      agent.destroy();
    }
  });
});

test("docker-modem's debug formatting of every dial does not walk the agent's sockets", async () => {
  // docker-modem calls util.inspect(options, { showHidden: true, depth: null }) on every request
  const sockDir = mkdtempSync(join(tmpdir(), 'dfe-inspect-'));
  const engine = await startFakeEngine({ socketPath: join(sockDir, 'docker.sock') });
  const agent = new Agent({ keepAlive: true });
  try {
    const docker = createDockerode({ protocol: 'http:', socketPath: join(sockDir, 'docker.sock') }, agent);
    await docker.version();
    const text = inspect({ path: '/version', agent }, { showHidden: true, depth: null });
    assert.ok(text.length < 200, `${text.length} characters: ${text.slice(0, 120)}`);
  } finally {
    agent.destroy();
    await engine.close();
    rmSync(sockDir, { recursive: true, force: true });
  }
});
