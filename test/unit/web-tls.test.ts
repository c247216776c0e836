// tls_server_config against real handshakes: the five client_auth_type policies, client_allowed_sans,
// versions, and the errors for unusable files.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import tls from 'node:tls';
import { parseWebConfig } from '../../src/web/config.ts';
import { buildTlsSettings, type TlsSettings } from '../../src/web/tls.ts';
import { makeCerts, type Certs } from '../support/certs.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'dfe-web-tls-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let certs: Certs;
/** a CA of its own and a client certificate from it with SANs (the support set's client has none) */
let sanCa: string;
let sanCert: string;
let sanKey: string;

before(async () => {
  certs = await makeCerts(path.join(dir, 'certs'));
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const key = (out: string) => run(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', out]);
  key('san-ca-key.pem');
  run(['req', '-x509', '-new', '-key', 'san-ca-key.pem', '-subj', '/CN=san test CA', '-days', '1', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign', '-out', 'san-ca.pem']);
  key('san-key.pem');
  run(['req', '-new', '-key', 'san-key.pem', '-subj', '/CN=prom', '-out', 'san.csr']);
  writeFileSync(path.join(dir, 'san.ext'), 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\nsubjectAltName=DNS:prometheus.example,IP:::1,URI:spiffe://x/prom\n');
  run(['x509', '-req', '-in', 'san.csr', '-CA', 'san-ca.pem', '-CAkey', 'san-ca-key.pem', '-set_serial', '7', '-days', '1', '-extfile', 'san.ext', '-out', 'san-cert.pem']);
  sanCa = path.join(dir, 'san-ca.pem');
  sanKey = path.join(dir, 'san-key.pem');
  sanCert = path.join(dir, 'san-cert.pem');
  writeFileSync(path.join(dir, 'both-cas.pem'), certs.ca + readFileSync(sanCa, 'utf8'));
});

function settings(yaml: string): TlsSettings {
  const file = path.join(dir, 'web.yml');
  const parsed = parseWebConfig(yaml, file);
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.errors.join('; '));
  assert.ok(parsed.config.tls);
  const built = buildTlsSettings(parsed.config.tls);
  assert.ok(built.ok, built.ok ? '' : built.errors.join('; '));
  return built.settings;
}

type Outcome = 'accepted' | 'refused';
type ClientCert = 'none' | 'trusted' | 'untrusted' | 'san';

/** One connection: accepted = the server's "hello" arrives; refused = the handshake or the connection fails first. */
async function connect(s: TlsSettings, client: ClientCert, opts: tls.ConnectionOptions = {}): Promise<{ outcome: Outcome; refusal?: string; protocol?: string | null }> {
  let refusal: string | undefined;
  const server = tls.createServer(s.options, (sock) => {
    refusal = s.refusal(sock);
    if (refusal !== undefined) sock.destroy();
    else sock.end('hello');
  });
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const cert = { none: {}, trusted: { cert: certs.clientCert, key: certs.clientKey }, untrusted: { cert: certs.otherClientCert, key: certs.otherClientKey }, san: { cert: readFileSync(sanCert), key: readFileSync(sanKey) } }[client];
  try {
    return await new Promise((resolve) => {
      let data = '';
      let protocol: string | null = null;
      const sock = tls.connect({ port, host: '127.0.0.1', ca: certs.ca, ...cert, ...opts }, () => (protocol = sock.getProtocol()));
      sock.on('data', (d: Buffer) => (data += d.toString()));
      sock.on('error', () => undefined);
      sock.on('close', () => resolve(data === 'hello' ? { outcome: 'accepted', protocol } : { outcome: 'refused', ...(refusal === undefined ? {} : { refusal }) }));
    });
  } finally {
    server.close();
  }
}

const base = () => `tls_server_config:\n  cert_file: ${certs.paths.serverCert}\n  key_file: ${certs.paths.serverKey}\n`;

describe('client_auth_type', () => {
  const expected: Record<string, Record<ClientCert, Outcome>> = {
    NoClientCert: { none: 'accepted', trusted: 'accepted', untrusted: 'accepted', san: 'accepted' },
    RequestClientCert: { none: 'accepted', trusted: 'accepted', untrusted: 'accepted', san: 'accepted' },
    RequireAnyClientCert: { none: 'refused', trusted: 'accepted', untrusted: 'accepted', san: 'accepted' },
    VerifyClientCertIfGiven: { none: 'accepted', trusted: 'accepted', untrusted: 'refused', san: 'refused' },
    RequireAndVerifyClientCert: { none: 'refused', trusted: 'accepted', untrusted: 'refused', san: 'refused' },
  };
  for (const [type, cases] of Object.entries(expected)) {
    test(type, async () => {
      const ca = type === 'NoClientCert' ? '' : `  client_ca_file: ${certs.paths.ca}\n`;
      const s = settings(`${base()}  client_auth_type: ${type}\n${ca}`);
      for (const [client, outcome] of Object.entries(cases)) {
        assert.equal((await connect(s, client as ClientCert)).outcome, outcome, `${type} with client certificate ${client}`);
      }
    });
  }
});

test('client_allowed_sans: a verified certificate must carry one of them (IPv6 compared by value)', async () => {
  const cfg = (sans: string) => settings(`${base()}  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ${path.join(dir, 'both-cas.pem')}\n  client_allowed_sans: ${sans}\n`);
  assert.equal((await connect(cfg('[prometheus.example]'), 'san')).outcome, 'accepted');
  assert.equal((await connect(cfg('["0:0:0:0:0:0:0:1"]'), 'san')).outcome, 'accepted');
  assert.equal((await connect(cfg('[spiffe://x/prom]'), 'san')).outcome, 'accepted');
  const other = await connect(cfg('[grafana.example]'), 'san');
  assert.deepEqual(other, { outcome: 'refused', refusal: 'client certificate has none of client_allowed_sans' });
  assert.equal((await connect(cfg('[prometheus.example]'), 'trusted')).outcome, 'refused', 'no SANs at all');
});

test('min_version / max_version are enforced', async () => {
  const only13 = settings(`${base()}  min_version: TLS13\n`);
  assert.deepEqual(await connect(only13, 'none'), { outcome: 'accepted', protocol: 'TLSv1.3' });
  assert.equal((await connect(only13, 'none', { maxVersion: 'TLSv1.2' })).outcome, 'refused');
  const only12 = settings(`${base()}  max_version: TLS12\n  cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384]\n  curve_preferences: [CurveP384, CurveP256]\n`);
  assert.deepEqual(await connect(only12, 'none'), { outcome: 'accepted', protocol: 'TLSv1.2' });
  // a client offering none of the configured suites is refused
  assert.equal((await connect(only12, 'none', { ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' })).outcome, 'refused');
});

test('unusable files are errors naming the key and the file, never their content', () => {
  const build = (yaml: string) => {
    const parsed = parseWebConfig(yaml, path.join(dir, 'web.yml'));
    assert.ok(parsed.ok && parsed.config.tls);
    const r = buildTlsSettings(parsed.config.tls);
    assert.ok(!r.ok);
    return r.errors;
  };
  const missing = path.join(dir, 'missing.pem');
  assert.deepEqual(build(`tls_server_config:\n  cert_file: ${missing}\n  key_file: ${certs.paths.serverKey}\n`), [`tls_server_config.cert_file: cannot read ${missing} (ENOENT)`]);
  const e = build(`tls_server_config:\n  cert_file: ${certs.paths.serverKey}\n  key_file: ${certs.paths.serverCert}\n`);
  assert.equal(e.length, 2);
  assert.match(e[0]!, new RegExp(`^tls_server_config\\.cert_file: ${certs.paths.serverKey} is not a PEM certificate`));
  assert.match(e[1]!, new RegExp(`^tls_server_config\\.key_file: ${certs.paths.serverCert} is not an unencrypted PEM private key`));
  assert.match(build(`tls_server_config:\n  cert_file: ${certs.paths.serverCert}\n  key_file: ${certs.paths.clientKey}\n`).join(), /^tls_server_config\.key_file: .* does not match the certificate/);
  assert.match(build(`tls_server_config:\n  cert_file: ${certs.paths.serverCert}\n  key_file: ${certs.paths.serverKey}\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ${certs.paths.serverKey}\n`).join(), /^tls_server_config\.client_ca_file: .* holds no PEM certificate/);
  const inline = build(`tls_server_config:\n  cert: ${JSON.stringify(certs.serverCert)}\n  key: "-----BEGIN PRIVATE KEY-----\\nAAAA\\n-----END PRIVATE KEY-----\\n"\n`);
  assert.match(inline.join(), /^tls_server_config\.key: the inline PEM is not an unencrypted PEM private key/);
  assert.doesNotMatch(inline.join(), /AAAA/);
});
