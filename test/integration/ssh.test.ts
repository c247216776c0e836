// The ssh transport against a real OpenSSH sshd (Debian openssh-server + openssh-client)
// on 127.0.0.1, forwarding direct-streamlocal channels to the fake Engine API socket.
import assert from 'node:assert/strict';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import type { SshOptions } from '../../src/transport/ssh/options.ts';
import { SSH_METRICS, type SshEndpoint } from '../../src/transport/ssh/options.ts';
import { createSshTransport } from '../../src/transport/ssh/tunnel.ts';
import type { Transport } from '../../src/transport/types.ts';
import { startFakeEngine, type FakeEngine } from '../support/fake-engine.ts';
import { freePort } from '../support/net.ts';
import { haveOpenSsh, makeKey, startSshd, type KeyPair, type Sshd } from '../support/sshd.ts';

const run = promisify(execFile);

// Not skipped when missing: CI installs openssh-server, and a silent skip would count as a pass.
assert.ok(haveOpenSsh(), 'OpenSSH is not installed: apt-get install -y openssh-server openssh-client');

interface Get {
  status: number;
  body: string;
}

/** How the Engine API client calls a transport. */
function get(t: Transport, path: string, signal?: AbortSignal): Promise<Get> {
  return new Promise((resolve, reject) => {
    const req = request({ ...t.requestOptions, agent: t.agent, path, signal }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

function memoryLog() {
  const lines: string[] = [];
  const log = pino({ level: 'debug', base: undefined }, { write: (s: string) => void lines.push(s) });
  return { log, lines, text: () => lines.join('') };
}

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const FAST_BACKOFF = { initialMs: 100, maxMs: 400 };
// A hung request (a bug) must fail its test, not stall the run.
const T = { timeout: 15_000 };

describe('ssh transport (real sshd)', () => {
  let dir: string;
  let sshd: Sshd;
  let engine: FakeEngine;
  let clientKey: KeyPair;
  let knownHosts: string;
  const open: Transport[] = [];

  const endpoint = (ssh: Partial<SshOptions>, port = sshd.port): SshEndpoint => ({
    kind: 'ssh',
    user: sshd.user,
    host: '127.0.0.1',
    port,
    ssh: {
      socketPath: engine.socketPath!,
      insecureIgnoreHostKey: false,
      keepaliveIntervalMs: 5_000,
      connectTimeoutMs: 3_000,
      ...ssh,
    },
  });

  const transport = (ssh: Partial<SshOptions>, opts: { maxInFlight?: number; port?: number } = {}) => {
    const logs = memoryLog();
    const t = createSshTransport({ name: 'web-01', endpoint: endpoint(ssh, opts.port) }, logs.log, {
      maxInFlight: opts.maxInFlight ?? 64,
      backoff: FAST_BACKOFF,
    });
    open.push(t);
    return { t, logs };
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ssh-transport-test-'));
    [sshd, engine, clientKey] = await Promise.all([
      startSshd({ hostKeyTypes: ['ed25519', 'ecdsa'] }),
      startFakeEngine({
        socketPath: join(dir, 'docker.sock'),
        containers: Array.from({ length: 50 }, (_, i) => ({ name: `c${String(i).padStart(2, '0')}` })),
      }),
      makeKey(dir, 'id_client'),
    ]);
    await sshd.authorize(clientKey.pub);
    knownHosts = join(dir, 'known_hosts');
    await writeFile(knownHosts, sshd.knownHostsLines().join('\n') + '\n');
  });

  after(async () => {
    await Promise.all(open.map((t) => t.close()));
    await sshd?.stop();
    await engine?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('key auth: a request reaches the remote socket; stats say connected', T, async () => {
    const { t } = transport({ identityFile: clientKey.path, knownHosts });
    assert.equal(t.stats!().connected, false, 'lazy: no connection before the first request');
    const res = await get(t, '/_ping');
    assert.deepEqual(res, { status: 200, body: 'OK' });
    assert.deepEqual(t.stats!(), { names: SSH_METRICS, connected: true, connects: 1, reconnects: 0, failures: 0, lastError: undefined });
  });

  test('a 50-container probe uses ONE ssh connection; the next probe reuses the channels', T, async () => {
    const { t } = transport({ identityFile: clientKey.path, knownHosts });
    const loginsBefore = await sshd.acceptedLogins();
    engine.resetCounters();
    // Like the daemon's 1 s sampling tick, shorter: the 50 stats calls overlap.
    const remove = engine.addFault({ kind: 'stats', delayMs: 50 });
    after(remove);
    // Cold start: requests that arrive while the connection is being made wait for it.
    const cold = await Promise.all(Array.from({ length: 10 }, () => get(t, '/_ping')));
    assert.ok(cold.every((r) => r.status === 200));
    const probe = async () => {
      const list = JSON.parse((await get(t, '/containers/json?all=1')).body) as { Id: string }[];
      assert.equal(list.length, 50);
      const stats = await Promise.all(list.map((c) => get(t, `/containers/${c.Id}/stats?stream=false&one-shot=true`)));
      assert.ok(stats.every((s) => s.status === 200 && s.body.includes('"cpu_stats"')));
    };
    await probe();
    assert.equal(engine.requests.byKind.stats, 50);
    assert.ok(engine.maxInFlight > 1, 'stats requests ran in parallel');
    const channelsAfterFirst = engine.connections;
    await probe();
    remove();
    assert.equal(engine.requests.byKind.stats, 100);
    assert.equal(engine.requests.total, 10 + 2 * 51);
    assert.equal(await sshd.acceptedLogins(), loginsBefore + 1, 'sshd accepted exactly one login');
    assert.equal(t.stats!().connects, 1);
    // Every remote connection to the socket is one channel; kept-alive channels are reused.
    assert.ok(channelsAfterFirst <= 51, `at most one channel per request, got ${channelsAfterFirst}`);
    assert.equal(engine.connections, channelsAfterFirst, 'the second probe opened no new channel');
  });

  test('channels in flight are bounded by maxInFlight, and queued requests still complete', T, async () => {
    const { t } = transport({ identityFile: clientKey.path, knownHosts }, { maxInFlight: 4 });
    await get(t, '/_ping');
    engine.resetCounters();
    const remove = engine.addFault({ kind: 'stats', delayMs: 60 });
    try {
      // Slow and fast requests mixed, so channels free up while others still wait for one.
      const paths = Array.from({ length: 40 }, (_, i) => (i % 2 ? '/_ping' : `/containers/c${String(i).padStart(2, '0')}/stats?stream=false`));
      const all = await Promise.all(paths.map((p) => get(t, p)));
      assert.ok(all.every((r) => r.status === 200));
      assert.equal(engine.requests.total, 40);
      assert.equal(engine.maxInFlight, 4, 'the bound was reached and never exceeded');
      assert.ok(engine.connections <= 40);
    } finally {
      remove();
    }
  });

  test('aborted requests give their slot back', T, async () => {
    const { t } = transport({ identityFile: clientKey.path, knownHosts }, { maxInFlight: 2 });
    const remove = engine.addFault({ kind: 'stats', hang: true });
    try {
      const hung = [0, 1].map(() => get(t, '/containers/c00/stats?stream=false', AbortSignal.timeout(150)));
      for (const h of hung) await assert.rejects(h, { name: 'AbortError' });
    } finally {
      remove();
    }
    const res = await get(t, '/_ping', AbortSignal.timeout(2000));
    assert.equal(res.status, 200);
  });

  test('ssh-agent auth, by ssh.agent and by SSH_AUTH_SOCK', T, async () => {
    const agentKey = await makeKey(dir, 'id_agent');
    await sshd.authorize(agentKey.pub);
    const sock = join(dir, 'agent.sock');
    const agent: ChildProcess = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
    try {
      await waitFor('ssh-agent socket', () => existsSync(sock));
      await run('ssh-add', [agentKey.path], { env: { ...process.env, SSH_AUTH_SOCK: sock } });

      const { t } = transport({ agent: sock, knownHosts });
      assert.equal((await get(t, '/_ping')).status, 200);

      const saved = process.env.SSH_AUTH_SOCK;
      process.env.SSH_AUTH_SOCK = sock;
      try {
        const { t: t2 } = transport({ knownHosts });
        assert.equal((await get(t2, '/_ping')).status, 200);
      } finally {
        if (saved === undefined) delete process.env.SSH_AUTH_SOCK;
        else process.env.SSH_AUTH_SOCK = saved;
      }
    } finally {
      agent.kill('SIGTERM');
    }
  });

  test('encrypted key: passphrase from a file and from an env var; a wrong one is named without the secret', T, async () => {
    const secret = 'c0rrect-h0rse-Battery';
    // Few KDF rounds: ssh2 decrypts in JavaScript, ~1 s at the default 16.
    const enc = await makeKey(dir, 'id_encrypted', 'ecdsa', secret, 2);
    await sshd.authorize(enc.pub);
    const passFile = join(dir, 'passphrase');
    await writeFile(passFile, secret + '\n', { mode: 0o600 });

    const { t: fromFile, logs: l1 } = transport({ identityFile: enc.path, passphraseFile: passFile, knownHosts });
    assert.equal((await get(fromFile, '/_ping')).status, 200);

    process.env.TEST_SSH_PASSPHRASE = secret;
    try {
      const { t: fromEnv, logs: l2 } = transport({ identityFile: enc.path, passphraseEnv: 'TEST_SSH_PASSPHRASE', knownHosts });
      assert.equal((await get(fromEnv, '/_ping')).status, 200);
      assert.ok(!l1.text().includes(secret) && !l2.text().includes(secret));
    } finally {
      delete process.env.TEST_SSH_PASSPHRASE;
    }

    const wrong = 'not-the-passphrase-42';
    const wrongFile = join(dir, 'wrong-passphrase');
    await writeFile(wrongFile, wrong);
    const seen = await sshd.connectionsSeen();
    const { t: bad, logs } = transport({ identityFile: enc.path, passphraseFile: wrongFile, knownHosts });
    const err = await get(bad, '/_ping').then(
      () => assert.fail('a wrong passphrase must fail'),
      (e: Error) => e,
    );
    assert.equal(err.message, `ssh web-01: cannot decrypt identity_file ${enc.path} (wrong passphrase?)`);
    const s = bad.stats!();
    assert.equal(s.connected, false);
    assert.equal(s.failures, 1);
    assert.equal(s.lastError, `cannot decrypt identity_file ${enc.path} (wrong passphrase?)`);
    assert.match(logs.text(), /cannot decrypt identity_file/);
    for (const text of [err.message, s.lastError, logs.text()]) assert.ok(!text.includes(wrong) && !text.includes(secret));
    assert.equal(await sshd.connectionsSeen(), seen, 'nothing was sent to sshd');

    const { t: none } = transport({ identityFile: enc.path, knownHosts });
    await assert.rejects(get(none, '/_ping'), { message: `ssh web-01: identity_file ${enc.path} is encrypted: set ssh.passphrase_file or ssh.passphrase_env` });
  });

  test('wrong host key: refused before authentication, nothing reaches the engine', T, async () => {
    const other = await makeKey(dir, 'not_the_host_key');
    const wrongKnown = join(dir, 'known_hosts.wrong');
    await writeFile(wrongKnown, `[127.0.0.1]:${sshd.port} ${other.pub}\n`);
    const logins = await sshd.acceptedLogins();
    engine.resetCounters();

    const { t } = transport({ identityFile: clientKey.path, knownHosts: wrongKnown });
    const edFp = sshd.hostKeys.find((k) => k.pub.startsWith('ssh-ed25519'))!.fingerprint;
    await assert.rejects(get(t, '/_ping'), {
      message: `ssh web-01: host key mismatch for 127.0.0.1:${sshd.port}: got ssh-ed25519 ${edFp}, expected ${other.fingerprint} from known_hosts ${wrongKnown}`,
    });
    assert.equal(t.stats!().connected, false);

    const { t: byFp } = transport({ identityFile: clientKey.path, hostKeyFingerprint: other.fingerprint });
    await assert.rejects(get(byFp, '/_ping'), { message: new RegExp(`host key mismatch for 127\\.0\\.0\\.1:${sshd.port}: got SHA256:\\S+, expected ${escape(other.fingerprint)}$`) });

    const emptyKnown = join(dir, 'known_hosts.empty');
    await writeFile(emptyKnown, `[127.0.0.1]:1 ${other.pub}\n`);
    const { t: unknown } = transport({ identityFile: clientKey.path, knownHosts: emptyKnown });
    await assert.rejects(get(unknown, '/_ping'), { message: new RegExp(`^ssh web-01: host key of 127\\.0\\.0\\.1:${sshd.port} not in known_hosts ${escape(emptyKnown)} `) });

    // known_hosts lists only a key type the server does not have (it has ed25519 and ecdsa).
    const rsa = await makeKey(dir, 'rsa_host', 'rsa');
    const rsaKnown = join(dir, 'known_hosts.rsa');
    await writeFile(rsaKnown, `[127.0.0.1]:${sshd.port} ${rsa.pub}\n`);
    const { t: noCommon } = transport({ identityFile: clientKey.path, knownHosts: rsaKnown });
    await assert.rejects(get(noCommon, '/_ping'), {
      message: `ssh web-01: host key of 127.0.0.1:${sshd.port} not in known_hosts ${rsaKnown}: the server offers none of the key types listed there (ssh-rsa)`,
    });

    assert.equal(await sshd.acceptedLogins(), logins, 'no login happened');
    assert.equal(engine.requests.total, 0, 'the engine saw nothing');
    assert.equal(engine.connections, 0);
  });

  test('known_hosts lines that cannot be read are logged with the file and the line, once per change', T, async () => {
    const kh = join(dir, 'known_hosts.damaged');
    const damaged = (n: number) => `${'damaged\n'.repeat(n)}[127.0.0.1]:1 ${sshd.knownHostsLines()[0]!.split(' ').slice(1).join(' ')}\n`;
    await writeFile(kh, damaged(1)); // the server's key listed for another port: every attempt fails
    const { t, logs } = transport({ identityFile: clientKey.path, knownHosts: kh });
    const skippedLogs = () => logs.lines.map((l) => JSON.parse(l) as { msg: string; file?: string; skipped?: string[] }).filter((l) => /known_hosts lines/.test(l.msg));
    await assert.rejects(get(t, '/_ping'), /not in known_hosts/);
    await waitFor('three attempts', () => t.stats!().failures >= 3);
    assert.deepEqual(skippedLogs().map((l) => [l.file, l.skipped]), [[kh, ['line 1: expected "hostnames keytype base64-key"']]]);
    await writeFile(kh, damaged(2));
    await waitFor('an attempt that read the new file', () => skippedLogs().length === 2);
    assert.deepEqual(skippedLogs()[1]!.skipped, ['line 1: expected "hostnames keytype base64-key"', 'line 2: expected "hostnames keytype base64-key"']);
  });

  test('host key by fingerprint, by hashed known_hosts, and by a known_hosts listing only the second key type', T, async () => {
    for (const key of sshd.hostKeys) {
      const { t } = transport({ identityFile: clientKey.path, hostKeyFingerprint: key.fingerprint.replace(/^SHA256:/, 'SHA256:') });
      // The server has two host keys: a fingerprint of either works only when the handshake
      // asks for that key; ed25519 is what ssh2 asks for first.
      if (key.pub.startsWith('ssh-ed25519')) assert.equal((await get(t, '/_ping')).status, 200);
      else await assert.rejects(get(t, '/_ping'), { message: /host key mismatch/ });
    }

    const hashed = join(dir, 'known_hosts.hashed');
    await writeFile(hashed, sshd.knownHostsLines().join('\n') + '\n');
    await run('ssh-keygen', ['-H', '-f', hashed]);
    const { t: h } = transport({ identityFile: clientKey.path, knownHosts: hashed });
    assert.equal((await get(h, '/_ping')).status, 200);

    // Only the ECDSA key is known: the handshake must ask the server for that one (as ssh does).
    const ecdsaOnly = join(dir, 'known_hosts.ecdsa');
    await writeFile(ecdsaOnly, sshd.knownHostsLines().filter((l) => l.includes('ecdsa-sha2')).join('\n') + '\n');
    const { t: e } = transport({ identityFile: clientKey.path, knownHosts: ecdsaOnly });
    assert.equal((await get(e, '/_ping')).status, 200);
  });

  test('insecure_ignore_host_key connects and warns loudly, once', T, async () => {
    const { t, logs } = transport({ identityFile: clientKey.path, insecureIgnoreHostKey: true });
    assert.equal((await get(t, '/_ping')).status, 200);
    assert.equal((await get(t, '/_ping')).status, 200);
    const warnings = logs.lines.filter((l) => l.includes('NOT verified'));
    assert.equal(warnings.length, 1);
    assert.equal(JSON.parse(warnings[0]!).level, 40);
  });

  test('a client key sshd does not know is refused', T, async () => {
    const stranger = await makeKey(dir, 'id_stranger');
    engine.resetCounters();
    const { t } = transport({ identityFile: stranger.path, knownHosts });
    await assert.rejects(get(t, '/_ping'), {
      message: `ssh web-01: authentication failed for ${sshd.user}@127.0.0.1:${sshd.port} (offered identity_file ${stranger.path})`,
    });
    assert.equal(engine.requests.total, 0);
    assert.equal(t.stats!().failures, 1);
  });

  test('a missing remote socket fails the request, not the connection', T, async () => {
    const { t } = transport({ identityFile: clientKey.path, knownHosts, socketPath: join(dir, 'nothing.sock') });
    await assert.rejects(get(t, '/_ping'), { message: new RegExp(`^ssh web-01: cannot open a channel to ${escape(join(dir, 'nothing.sock'))}: `) });
    assert.equal(t.stats!().connected, true);
  });

  test('sshd killed mid-probe: requests fail fast, host shows down, then recovers without a new transport', T, async () => {
    const { t } = transport({ identityFile: clientKey.path, knownHosts });
    assert.equal((await get(t, '/_ping')).status, 200);
    const remove = engine.addFault({ kind: 'stats', hang: true });
    try {
      engine.resetCounters();
      const inFlight = Array.from({ length: 10 }, (_, i) => get(t, `/containers/c0${i}/stats?stream=false`));
      const settled = Promise.allSettled(inFlight);
      await waitFor('requests at the engine', () => engine.inFlight === 10);
      const killedAt = Date.now();
      await sshd.kill();
      const results = await settled;
      const tookMs = Date.now() - killedAt;
      assert.ok(tookMs < 1000, `in-flight requests failed within ${tookMs}ms`);
      for (const r of results) {
        assert.equal(r.status, 'rejected');
        assert.match((r as PromiseRejectedResult).reason.message, /^ssh web-01: connection lost: /);
      }
    } finally {
      remove();
    }
    assert.equal(t.stats!().connected, false);
    // Down: fails fast (either waiting for the retry, or the retry itself is refused).
    const t0 = Date.now();
    await assert.rejects(get(t, '/_ping'), { message: /^ssh web-01: (connection lost: |connect ECONNREFUSED)/ });
    assert.ok(Date.now() - t0 < 500);

    await sshd.restart();
    await waitFor('reconnection', () => t.stats!().connected, 3000);
    assert.equal((await get(t, '/_ping')).status, 200);
    const s = t.stats!();
    assert.equal(s.connects, 2);
    assert.equal(s.reconnects, 1);
    // The drop (or a refused retry while sshd was down) is remembered.
    assert.match(s.lastError ?? '', /ECONNREFUSED|closed|reset|lost|EOF|ended/i);
  });

  test('close() stops reconnecting and fails later requests', T, async () => {
    const { t } = transport({ identityFile: clientKey.path, knownHosts });
    assert.equal((await get(t, '/_ping')).status, 200);
    const logins = await sshd.acceptedLogins();
    await t.close();
    assert.equal(t.stats!().connected, false);
    await assert.rejects(get(t, '/_ping'));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(await sshd.acceptedLogins(), logins, 'no reconnection after close');
  });
});

describe('ssh transport faults sshd cannot produce', () => {
  let server: Server;
  let port: number;
  const sockets = new Set<Socket>();
  before(async () => {
    port = await freePort();
    // Accepts TCP and never speaks SSH: a hung or firewalled-after-accept daemon.
    server = createServer((s) => {
      sockets.add(s);
      s.on('error', () => {});
    });
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  });
  after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  });

  test('no handshake within connect_timeout: a clear error, then backoff; close() ends it', T, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ssh-silent-'));
    try {
      const key = await makeKey(dir, 'k');
      const logs = memoryLog();
      const t = createSshTransport(
        {
          name: 'silent',
          endpoint: {
            kind: 'ssh',
            user: 'u',
            host: '127.0.0.1',
            port,
            ssh: { socketPath: '/var/run/docker.sock', identityFile: key.path, insecureIgnoreHostKey: false, hostKeyFingerprint: 'SHA256:x', keepaliveIntervalMs: 1000, connectTimeoutMs: 200 },
          },
        },
        logs.log,
        { maxInFlight: 4, backoff: { initialMs: 5_000, maxMs: 5_000 } },
      );
      const t0 = Date.now();
      const error = `ssh silent: no SSH handshake with u@127.0.0.1:${port} within connect_timeout 200ms`;
      await assert.rejects(get(t, '/_ping'), { message: error });
      assert.ok(Date.now() - t0 < 1500);
      // While waiting to retry: the same text, with no countdown in it (a countdown would make
      // the host's error new at every scrape, so it would be logged at every scrape).
      await assert.rejects(get(t, '/_ping'), { message: error });
      await new Promise((r) => setTimeout(r, 1100));
      await assert.rejects(get(t, '/_ping'), { message: error });
      assert.equal(t.stats!().failures, 1);
      // when the next attempt is due is in the transport's own log line
      assert.match(logs.text(), /"retryInMs":5000,"msg":"ssh: connect failed"/);
      await t.close();
      await assert.rejects(get(t, '/_ping'), { message: 'ssh silent: transport closed' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
