// The endpoint with --web.config.file: TLS and its client policies, basic auth, headers, the rate
// limit, changes on disk taking effect without a restart, a broken file failing closed; gzip;
// the lifecycle endpoints; --web.telemetry-path and --web.disable-exporter-metrics.
import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import bcrypt from 'bcryptjs';
import { pino } from 'pino';
import { createExporter, type Exporter } from '../../src/app.ts';
import type { ExporterConfig } from '../../src/config/types.ts';
import { LiveWebConfig } from '../../src/web/live.ts';
import { makeCerts, type Certs } from '../support/certs.ts';
import { startFakeEngine, type FakeEngine } from '../support/fake-engine.ts';

const dir = mkdtempSync(join(tmpdir(), 'dfe-web-security-'));
const logs: { level: number; msg: string }[] = [];
const log = pino({ level: 'info' }, { write: (line: string) => logs.push(JSON.parse(line) as { level: number; msg: string }) });
let engine: FakeEngine;
let certs: Certs;
const running: Exporter[] = [];
// cost 4: fast; the code path is the same at cost 10
const HASH = { secret: bcrypt.hashSync('secret', 4), rotated: bcrypt.hashSync('rotated', 4) };

before(async () => {
  certs = await makeCerts(join(dir, 'certs'));
  engine = await startFakeEngine({ socketPath: join(dir, 'e.sock'), containers: [{ name: 'c', state: 'running' }] });
  engine.statsTickMs = 0;
});
after(async () => {
  await Promise.all(running.map((e) => e.close()));
  await engine.close();
  rmSync(dir, { recursive: true, force: true });
});

function config(web: Partial<ExporterConfig['web']> = {}, minIntervalMs = 0): ExporterConfig {
  return {
    hosts: [{ name: 'h', url: engine.url, endpoint: { kind: 'unix', socketPath: engine.socketPath! }, labels: {} }],
    collection: { timeoutMs: 3000, minIntervalMs, maxStalenessMs: 60_000, concurrency: 64 },
    metrics: { families: ['docker_exporter', 'cadvisor', 'state'], containerLabels: [], include: { names: [], labels: [] }, exclude: { names: [], labels: [] } },
    web: { listenAddresses: ['127.0.0.1:0'], ...web },
    log: { level: 'info' },
    pool: { threads: 0 },
  };
}

let files = 0;
/** Writes a web config (atomically, as a config manager does) and returns its path. */
function webFile(text: string, file = join(dir, `web-${++files}.yml`)): string {
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
  return file;
}

async function start(webYaml: string | undefined, cfg = config()): Promise<{ port: number; file?: string; exporter: Exporter }> {
  let web: LiveWebConfig | undefined;
  let file: string | undefined;
  if (webYaml !== undefined) {
    file = webFile(webYaml);
    const opened = LiveWebConfig.open(file, log);
    assert.ok(opened.ok, opened.ok ? '' : opened.errors.join('; '));
    web = opened.live;
  }
  const exporter = createExporter(cfg, log, web === undefined ? {} : { web });
  running.push(exporter);
  const port = await exporter.listen(0, '127.0.0.1');
  return { port, exporter, ...(file === undefined ? {} : { file }) };
}

interface Got {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}
interface Req {
  path?: string;
  method?: string;
  auth?: string;
  headers?: Record<string, string>;
  tls?: { ca?: string; cert?: string; key?: string };
}

/** One request on its own connection; `status: 0` = the connection failed (refused handshake). */
function fetchRaw(port: number, r: Req = {}): Promise<Got & { error?: string }> {
  const opts = {
    host: '127.0.0.1',
    port,
    path: r.path ?? '/metrics',
    method: r.method ?? 'GET',
    agent: false as const,
    headers: { ...(r.auth === undefined ? {} : { authorization: `Basic ${Buffer.from(r.auth).toString('base64')}` }), ...r.headers },
  };
  return new Promise((resolve) => {
    const done = (res: import('node:http').IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', (e) => resolve({ status: 0, headers: {}, body: Buffer.alloc(0), error: e.message }));
    };
    const req = r.tls === undefined ? httpRequest(opts, done) : httpsRequest({ ...opts, ...r.tls }, done);
    req.on('error', (e) => resolve({ status: 0, headers: {}, body: Buffer.alloc(0), error: e.message }));
    req.end();
  });
}

describe('TLS with basic auth', () => {
  let port: number;
  let file: string;
  const tls = () => ({ ca: certs.ca });
  before(async () => {
    const s = await start(
      `tls_server_config:\n  cert_file: ${certs.paths.serverCert}\n  key_file: ${certs.paths.serverKey}\n` +
        `http_server_config:\n  headers:\n    X-Frame-Options: deny\n    Strict-Transport-Security: max-age=3600\n` +
        `basic_auth_users:\n  prometheus: ${HASH.secret}\n`,
    );
    port = s.port;
    file = s.file!;
  });

  test('the right user and password over TLS: 200 with the metrics and the configured headers', async () => {
    const r = await fetchRaw(port, { tls: tls(), auth: 'prometheus:secret' });
    assert.equal(r.status, 200, r.error);
    assert.match(r.body.toString(), /^docker_container_running_state\{host="h",name="c"\} 1$/m);
    assert.equal(r.headers['x-frame-options'], 'deny');
    assert.equal(r.headers['strict-transport-security'], 'max-age=3600');
  });

  test('a wrong password, an unknown user, no credentials: 401 with WWW-Authenticate, no metrics', async () => {
    for (const auth of ['prometheus:wrong', 'grafana:secret', undefined]) {
      const r = await fetchRaw(port, { tls: tls(), ...(auth === undefined ? {} : { auth }) });
      assert.equal(r.status, 401, String(auth));
      assert.equal(r.headers['www-authenticate'], 'Basic');
      assert.equal(r.headers['x-frame-options'], 'deny', 'headers on every answer, as the toolkit sets them');
      assert.doesNotMatch(r.body.toString(), /docker_/);
    }
  });

  test('every endpoint but /-/healthy (and its alias /healthz) is behind auth', async () => {
    for (const path of ['/metrics', '/probe?target=h', '/', '/-/ready']) {
      assert.equal((await fetchRaw(port, { tls: tls(), path })).status, 401, path);
      assert.equal((await fetchRaw(port, { tls: tls(), path, auth: 'prometheus:secret' })).status, 200, path);
    }
    for (const path of ['/-/healthy', '/healthz']) {
      for (const method of ['GET', 'HEAD']) assert.equal((await fetchRaw(port, { tls: tls(), path, method })).status, 200, `${method} ${path}`);
    }
  });

  test('plain HTTP on the TLS port gets no answer; a client not trusting the server certificate fails', async () => {
    assert.equal((await fetchRaw(port, { auth: 'prometheus:secret' })).status, 0);
    const r = await fetchRaw(port, { tls: { ca: certs.otherCa }, auth: 'prometheus:secret' });
    assert.equal(r.status, 0);
    assert.match(r.error ?? '', /certificate/);
  });

  test('the password changed on disk takes effect without a restart; a broken file fails closed, then recovers', async () => {
    webFile(`tls_server_config:\n  cert_file: ${certs.paths.serverCert}\n  key_file: ${certs.paths.serverKey}\nbasic_auth_users:\n  prometheus: ${HASH.rotated}\n`, file);
    assert.equal((await fetchRaw(port, { tls: tls(), auth: 'prometheus:secret' })).status, 401, 'the old password is refused at once');
    assert.equal((await fetchRaw(port, { tls: tls(), auth: 'prometheus:rotated' })).status, 200);

    logs.length = 0;
    webFile('basic_auth_users:\n  prometheus: rotated\n', file);
    for (let i = 0; i < 3; i++) {
      const r = await fetchRaw(port, { tls: tls(), auth: 'prometheus:rotated' });
      assert.equal(r.status, 500, 'closed, never open');
      assert.doesNotMatch(r.body.toString(), /bcrypt|basic_auth_users|rotated/, 'the client learns nothing about the file');
    }
    assert.equal((await fetchRaw(port, { tls: tls(), path: '/-/healthy' })).status, 200, 'still alive');
    const errors = logs.filter((l) => l.level === 50);
    assert.equal(errors.length, 1, 'logged once for the change, not per request');
    assert.doesNotMatch(JSON.stringify(errors), /prometheus: rotated|"rotated"/, 'the value is never logged');

    webFile(`tls_server_config:\n  cert_file: ${certs.paths.serverCert}\n  key_file: ${certs.paths.serverKey}\nbasic_auth_users:\n  prometheus: ${HASH.secret}\n`, file);
    assert.equal((await fetchRaw(port, { tls: tls(), auth: 'prometheus:secret' })).status, 200);
  });
});

test('RequireAndVerifyClientCert: no client certificate or an untrusted one is refused; a trusted one is served', async () => {
  const { port } = await start(
    `tls_server_config:\n  cert_file: ${certs.paths.serverCert}\n  key_file: ${certs.paths.serverKey}\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ${certs.paths.ca}\n`,
  );
  const none = await fetchRaw(port, { tls: { ca: certs.ca } });
  assert.equal(none.status, 0);
  assert.match(none.error ?? '', /certificate required|socket hang up|ECONNRESET/);
  assert.equal((await fetchRaw(port, { tls: { ca: certs.ca, cert: certs.otherClientCert, key: certs.otherClientKey } })).status, 0);
  assert.equal((await fetchRaw(port, { tls: { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey } })).status, 200);
});

test('a keep-alive connection from before a TLS policy change is not served after it', async () => {
  const tlsYaml = `tls_server_config:\n  cert_file: ${certs.paths.serverCert}\n  key_file: ${certs.paths.serverKey}\n`;
  const { port, file } = await start(tlsYaml);
  const agent = new HttpsAgent({ keepAlive: true, maxSockets: 1, ca: certs.ca });
  const viaAgent = () =>
    new Promise<{ status: number; reused: boolean } | { error: string }>((resolve) => {
      const req = httpsRequest({ host: '127.0.0.1', port, path: '/-/healthy', agent }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, reused: req.reusedSocket }));
      });
      req.on('error', (e) => resolve({ error: e.message }));
      req.end();
    });
  try {
    assert.deepEqual(await viaAgent(), { status: 200, reused: false });
    assert.deepEqual(await viaAgent(), { status: 200, reused: true }, 'kept alive while nothing changed');
    webFile(`${tlsYaml}  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ${certs.paths.ca}\n`, file);
    const after = await viaAgent();
    assert.ok('error' in after, `the old connection was served: ${JSON.stringify(after)}`);
    assert.equal((await fetchRaw(port, { tls: { ca: certs.ca }, path: '/-/healthy' })).status, 0, 'a new one without a certificate is refused');
    assert.equal((await fetchRaw(port, { tls: { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey }, path: '/-/healthy' })).status, 200);
  } finally {
    agent.destroy();
  }
});

test('a TLS web config that cannot be stat()ed (ELOOP): a new connection keeps the last good certificate, requests 500, no crash', async () => {
  const { port, file } = await start(`tls_server_config:\n  cert_file: ${certs.paths.serverCert}\n  key_file: ${certs.paths.serverKey}\n`);
  const uncaught: unknown[] = [];
  const onUncaught = (err: unknown) => void uncaught.push(err);
  process.prependListener('uncaughtException', onUncaught);
  try {
    rmSync(file!);
    symlinkSync(file!, file!); // stat() throws ELOOP from the 'connection' handler
    const r = await fetchRaw(port, { tls: { ca: certs.ca } });
    assert.equal(r.status, 500, r.error);
    assert.match(r.body.toString(), /web config file is invalid/);
    assert.equal((await fetchRaw(port, { tls: { ca: certs.ca }, path: '/-/healthy' })).status, 200);
    assert.deepEqual(uncaught.map(String), []);
  } finally {
    process.removeListener('uncaughtException', onUncaught);
  }
});

test('basic auth emptied out of the web config on disk: /sd and POST /-/reload stay closed (500), never open', async () => {
  const { port, file } = await start(`basic_auth_users:\n  prometheus: ${HASH.secret}\n`);
  assert.equal((await fetchRaw(port, { path: '/sd' })).status, 401);
  webFile('', file); // a half-written or failed template
  for (const r of [{ path: '/sd' }, { path: '/-/reload', method: 'POST' }, { path: '/metrics' }]) {
    assert.equal((await fetchRaw(port, r)).status, 500, r.path);
  }
  assert.ok(logs.some((l) => l.level === 50 && /turning basic auth off takes a restart/.test(JSON.stringify(l))));
  webFile(`basic_auth_users:\n  prometheus: ${HASH.secret}\n`, file);
  assert.equal((await fetchRaw(port, { path: '/sd', auth: 'prometheus:secret' })).status, 200);
});

test('rate_limit: beyond the burst a 429, /-/healthy never limited', async () => {
  const { port } = await start('rate_limit:\n  interval: 1h\n  burst: 2\n');
  const statuses = [];
  for (let i = 0; i < 3; i++) statuses.push((await fetchRaw(port, { path: '/-/ready' })).status);
  assert.deepEqual(statuses, [200, 200, 429]);
  assert.equal((await fetchRaw(port, { path: '/-/healthy' })).status, 200);
});

describe('gzip', () => {
  let port: number;
  before(async () => {
    // one probe serves both requests (min_interval), so the two bodies hold the same values;
    // no process metrics, which move between two renders
    port = (await start(undefined, config({ disableExporterMetrics: true }, 60_000))).port;
  });

  test('Accept-Encoding: gzip gets gzip; decompressed it equals the plain body', async () => {
    for (const path of ['/metrics', '/probe?target=h']) {
      const zipped = await fetchRaw(port, { path, headers: { 'accept-encoding': 'gzip' } });
      const plain = await fetchRaw(port, { path });
      assert.equal(zipped.status, 200);
      assert.equal(zipped.headers['content-encoding'], 'gzip');
      assert.equal(zipped.headers.vary, 'Accept-Encoding');
      assert.equal(plain.headers['content-encoding'], undefined);
      assert.equal(plain.headers.vary, 'Accept-Encoding');
      assert.match(zipped.headers['content-type'] ?? '', /^text\/plain; version=0\.0\.4/);
      // the same probe rendered twice: only the snapshot's age (taken at render) moves
      const sameProbe = (text: string) => text.replace(/^docker_host_snapshot_age_seconds\{.*$/m, '');
      assert.equal(sameProbe(gunzipSync(zipped.body).toString()), sameProbe(plain.body.toString()), path);
      assert.match(plain.body.toString(), /docker_container_running_state/);
    }
  });

  test('HEAD with gzip: the headers, no body; other endpoints are not compressed', async () => {
    const head = await fetchRaw(port, { method: 'HEAD', headers: { 'accept-encoding': 'gzip' } });
    assert.equal(head.headers['content-encoding'], 'gzip');
    assert.equal(head.body.length, 0);
    assert.equal((await fetchRaw(port, { path: '/', headers: { 'accept-encoding': 'gzip' } })).headers['content-encoding'], undefined);
  });
});

test('--web.telemetry-path moves the all-hosts endpoint; --web.disable-exporter-metrics drops process_* and nodejs_*', async () => {
  const { port } = await start(undefined, config({ telemetryPath: '/fleet/metrics', disableExporterMetrics: true }));
  const moved = await fetchRaw(port, { path: '/fleet/metrics' });
  assert.equal(moved.status, 200);
  const text = moved.body.toString();
  assert.match(text, /^docker_container_running_state/m);
  assert.match(text, /^docker_fleet_exporter_build_info/m);
  assert.doesNotMatch(text, /^(process|nodejs)_/m);
  assert.equal((await fetchRaw(port, { path: '/metrics' })).status, 404);
  assert.match((await fetchRaw(port, { path: '/' })).body.toString(), /href="\/fleet\/metrics"/);

  const { port: p2 } = await start(undefined);
  assert.match((await fetchRaw(p2)).body.toString(), /^process_cpu_user_seconds_total/m, 'on by default');
});

test('several listen addresses serve the same exporter, each /-/ready once all are bound', async () => {
  const exporter = createExporter(config(), log);
  running.push(exporter);
  const bound = await exporter.listenAll([{ host: '127.0.0.1', port: 0 }, { host: '::1', port: 0 }]);
  for (const a of bound) {
    const r = await new Promise<number>((resolve) => {
      httpRequest({ host: a.address, port: a.port, path: '/-/ready', agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).end();
    });
    assert.equal(r, 200, `${a.address}:${a.port}`);
  }
});
