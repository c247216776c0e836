// The endpoint secured as the README says (--web.config.file): a real Prometheus scrapes it over
// TLS with basic auth; a wrong password is a 401 and the target down; with
// RequireAndVerifyClientCert a client without a certificate is refused; every change is made
// to the file on disk while the exporter runs. And gzip: curl --compressed and Prometheus get it.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import bcrypt from 'bcryptjs';
import { makeCerts, type Certs } from '../support/certs.ts';
import { hostA, startExporter, type Exporter } from './lib/exporter.ts';
import { HOST_A, loadFleet, RUN_DIR } from './lib/fleet.ts';
import { startPrometheus, type Prometheus } from './lib/prometheus.ts';

const run = promisify(execFile);
const fleet = loadFleet();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const dir = join(RUN_DIR, 'web-security');

interface Target {
  labels: Record<string, string>;
  health: string;
  lastError: string;
}

let certs: Certs;
let webFile: string;
let exp: Exporter;
let prom: Prometheus | undefined;
// cost 10, as `htpasswd -nBC 10` makes them (bcryptjs writes $2b$; htpasswd $2y$: the same)
const hash = (password: string) => bcrypt.hashSync(password, 10).replace(/^\$2b\$/, '$2y$');
const HASH_RIGHT = hash('scrape-pass');

/** Rewrites the web config as a config manager would (write aside, rename over). */
function writeWebConfig(extraTls = '', users = `  prometheus: ${HASH_RIGHT}\n`): void {
  const text =
    `tls_server_config:\n  cert_file: ${certs.paths.serverCert}\n  key_file: ${certs.paths.serverKey}\n${extraTls}` +
    `http_server_config:\n  headers:\n    X-Content-Type-Options: nosniff\n` +
    `basic_auth_users:\n${users}`;
  writeFileSync(`${webFile}.tmp`, text);
  renameSync(`${webFile}.tmp`, webFile);
}

const scrapeJob = (name: string, password: string, clientCert = false) => ({
  job_name: name,
  scheme: 'https',
  tls_config: { ca_file: certs.paths.ca, ...(clientCert ? { cert_file: certs.paths.clientCert, key_file: certs.paths.clientKey } : {}) },
  basic_auth: { username: 'prometheus', password },
  static_configs: [{ targets: [exp.address] }],
});

async function targets(): Promise<Record<string, Target>> {
  const list = (await prom!.api<{ activeTargets: Target[] }>('/api/v1/targets')).activeTargets;
  return Object.fromEntries(list.map((t) => [t.labels.job!, t]));
}

/** Waits until every job named has the health wanted, after at least one scrape made now. */
async function waitHealth(want: Record<string, 'up' | 'down'>, timeoutMs = 40_000): Promise<Record<string, Target>> {
  const deadline = Date.now() + timeoutMs;
  let now: Record<string, Target> = {};
  for (;;) {
    now = await targets();
    if (Object.entries(want).every(([job, h]) => now[job]?.health === h)) return now;
    assert.ok(Date.now() < deadline, `targets not ${JSON.stringify(want)} within ${timeoutMs} ms:\n${Object.values(now).map((t) => `${t.labels.job} ${t.health} ${t.lastError}`).join('\n')}`);
    await sleep(1_000);
  }
}

before(async () => {
  mkdirSync(dir, { recursive: true });
  certs = await makeCerts(join(dir, 'certs'));
  webFile = join(dir, 'web.yml');
  writeWebConfig();
  // min_interval: the two curl requests below are served the same probe
  exp = await startExporter('web-security', [hostA(fleet)], { collection: { timeout: '8s', min_interval: '30s' } }, { flags: ['--web.config.file', webFile], ca: certs.ca });
  prom = await startPrometheus('web-security', {
    global: { scrape_interval: '2s', scrape_timeout: '2s' },
    scrape_configs: [scrapeJob('secure', 'scrape-pass'), scrapeJob('wrong-password', 'not-the-password'), scrapeJob('secure-client-cert', 'scrape-pass', true)],
  });
});

after(async () => {
  await prom?.stop();
  if (exp && exp.child.exitCode === null) await exp.stop();
});

describe('Prometheus against the secured endpoint', { timeout: 180_000 }, () => {
  test('scheme https + tls_config.ca_file + basic_auth: up; a wrong password: 401 and down', async () => {
    const t = await waitHealth({ secure: 'up', 'wrong-password': 'down', 'secure-client-cert': 'up' });
    assert.match(t['wrong-password']!.lastError, /401/);
    await sleep(2_500);
    const up = await prom!.query('docker_host_up{job="secure"}');
    assert.deepEqual(up.map((r) => [r.metric.host, r.value[1]]), [[HOST_A, '1']]);
  });

  test('the exporter itself: 401 without credentials, /-/healthy open, the configured header', async () => {
    const none = await exp.get('/metrics');
    assert.equal(none.status, 401);
    assert.equal(none.headers['www-authenticate'], 'Basic');
    assert.equal(none.headers['x-content-type-options'], 'nosniff');
    assert.equal((await exp.get('/-/healthy')).status, 200);
  });

  test('the password changed on disk: the old one stops working, the new one works, no restart', async () => {
    const pid = exp.child.pid;
    writeWebConfig('', `  prometheus: ${hash('not-the-password')}\n`);
    await waitHealth({ secure: 'down', 'wrong-password': 'up' });
    writeWebConfig();
    await waitHealth({ secure: 'up', 'wrong-password': 'down' });
    assert.equal(exp.child.pid, pid);
    assert.equal(exp.child.exitCode, null, 'the same process throughout');
  });

  test('RequireAndVerifyClientCert turned on in the file: a client without a certificate is refused', async () => {
    writeWebConfig(`  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ${certs.paths.ca}\n`);
    const t = await waitHealth({ secure: 'down', 'secure-client-cert': 'up' });
    assert.match(t.secure!.lastError, /certificate required|bad certificate|handshake|tls|EOF|reset/i);
    // curl without a client certificate: refused in the handshake
    const refused = await run('curl', ['-sS', '-o', '/dev/null', '--cacert', certs.paths.ca, '-u', 'prometheus:scrape-pass', `${exp.url}/metrics`]).then(
      () => 'served',
      (e: { code?: number; stderr?: string }) => `curl exit ${e.code}: ${e.stderr ?? ''}`,
    );
    assert.match(refused, /^curl exit (35|56)/);
    const ok = await run('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '--cacert', certs.paths.ca, '--cert', certs.paths.clientCert, '--key', certs.paths.clientKey, '-u', 'prometheus:scrape-pass', `${exp.url}/metrics`]);
    assert.equal(ok.stdout, '200');
    writeWebConfig();
    await waitHealth({ secure: 'up' });
  });
});

describe('gzip', () => {
  test('curl --compressed gets gzip; decompressed, the body equals the plain one', async () => {
    const common = ['-sS', '--cacert', certs.paths.ca, '-u', 'prometheus:scrape-pass'];
    const url = `${exp.url}/probe?target=${HOST_A}`;
    const headers = join(dir, 'headers.txt');
    const zipped = await run('curl', [...common, '--compressed', '-D', headers, url], { maxBuffer: 1 << 26 });
    assert.match(readFileSync(headers, 'utf8'), /^content-encoding: gzip\r?$/im);
    const plain = await run('curl', [...common, '-D', headers, url], { maxBuffer: 1 << 26 });
    assert.doesNotMatch(readFileSync(headers, 'utf8'), /^content-encoding:/im);
    // one probe served both (min_interval 30s): only the ages of its snapshot and of the disk walk differ
    const sameProbe = (t: string) => t.replace(/^docker_host_(snapshot|disk_usage)_age_seconds\{.*$/gm, '');
    assert.ok(zipped.stdout.length > 10_000);
    assert.equal(sameProbe(zipped.stdout), sameProbe(plain.stdout));
  });

  test('Prometheus asks for gzip and gets it (seen through a recording proxy)', async () => {
    // a plain exporter, so that a proxy in front of it sees the headers
    const plainExp = await startExporter('web-gzip', [hostA(fleet)]);
    const seen: { acceptEncoding?: string; contentEncoding?: string }[] = [];
    const [host, port] = plainExp.address.split(':') as [string, string];
    const proxy: Server = createServer((req, res) => {
      const up = request({ host, port: Number(port), path: req.url, method: req.method, headers: req.headers }, (upRes) => {
        seen.push({ acceptEncoding: req.headers['accept-encoding'], contentEncoding: upRes.headers['content-encoding'] as string | undefined });
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      });
      up.on('error', () => res.destroy());
      req.pipe(up);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const proxyAddress = `127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    const p = await startPrometheus('web-gzip', { global: { scrape_interval: '2s', scrape_timeout: '2s' }, scrape_configs: [{ job_name: 'gzip', static_configs: [{ targets: [proxyAddress] }] }] });
    try {
      const deadline = Date.now() + 40_000;
      for (;;) {
        const up = await p.query('docker_host_up{job="gzip"}');
        if (up.length === 1 && up[0]!.value[1] === '1') break;
        assert.ok(Date.now() < deadline, `Prometheus did not get the metrics through the proxy: ${JSON.stringify(seen)}`);
        await sleep(1_000);
      }
      assert.ok(seen.length > 0);
      assert.ok(seen.every((s) => /\bgzip\b/.test(s.acceptEncoding ?? '') && s.contentEncoding === 'gzip'), JSON.stringify(seen));
    } finally {
      await p.stop();
      proxy.close();
      await plainExp.stop();
    }
  });
});
