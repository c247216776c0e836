// The web config file (exporter-toolkit format): what is accepted, and every rejection naming its key.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseWebConfig, type WebConfigResult } from '../../src/web/config.ts';

const FILE = '/etc/dfe/web.yml';
const HASH = '$2y$10$X0h1gDsPszWURQaxFh.zoubFi6DXncSjhoQNJgRrnGs7EsimhC7zG';

function ok(yaml: string) {
  const r = parseWebConfig(yaml, FILE);
  assert.ok(r.ok, `expected a valid config, got: ${r.ok ? '' : r.errors.join('; ')}`);
  return r;
}

function errors(yaml: string): string[] {
  const r: WebConfigResult = parseWebConfig(yaml, FILE);
  assert.ok(!r.ok, 'expected errors');
  return r.errors;
}

function oneError(yaml: string, expected: string | RegExp): void {
  const e = errors(yaml);
  assert.equal(e.length, 1, `expected one error, got: ${e.join('; ')}`);
  if (typeof expected === 'string') assert.equal(e[0], expected);
  else assert.match(e[0]!, expected);
}

describe('accepted', () => {
  test('an empty file: plain HTTP, no users, the toolkit defaults', () => {
    for (const text of ['', '---\n', '{}\n', 'tls_server_config:\nbasic_auth_users:\n']) {
      const { config } = ok(text);
      assert.equal(config.tls, undefined);
      assert.equal(config.users.size, 0);
      assert.equal(config.http2, true);
      assert.deepEqual(config.headers, []);
      assert.equal(config.rateLimit, undefined);
    }
  });

  test('a complete TLS config; relative files resolve against the config file', () => {
    const { config, warnings } = ok(`
tls_server_config:
  cert_file: server.crt
  key_file: /abs/server.key
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: ca/clients.pem
  client_allowed_sans: [prometheus.example, 10.0.0.1]
  min_version: TLS13
  max_version: TLS13
  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256]
  prefer_server_cipher_suites: false
  curve_preferences: [X25519, CurveP256]
http_server_config:
  http2: false
  headers:
    X-Frame-Options: deny
    Strict-Transport-Security: max-age=31536000
    X-XSS-Protection: ""
basic_auth_users:
  prometheus: ${HASH}
rate_limit:
  interval: 1s
  burst: 20
`);
    assert.deepEqual(warnings, []);
    assert.deepEqual(config.tls, {
      cert: { file: '/etc/dfe/server.crt' },
      key: { file: '/abs/server.key' },
      clientCa: { file: '/etc/dfe/ca/clients.pem' },
      clientAuth: 'RequireAndVerifyClientCert',
      clientAllowedSans: ['prometheus.example', '10.0.0.1'],
      minVersion: 'TLS13',
      maxVersion: 'TLS13',
      ciphers: ['ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-CHACHA20-POLY1305'],
      preferServerCipherSuites: false,
      curves: ['X25519', 'P-256'],
    });
    assert.equal(config.http2, false);
    // a blank header is "unset", as the toolkit documents
    assert.deepEqual(config.headers, [['X-Frame-Options', 'deny'], ['Strict-Transport-Security', 'max-age=31536000']]);
    assert.deepEqual([...config.users], [['prometheus', HASH]]);
    assert.deepEqual(config.rateLimit, { intervalMs: 1000, burst: 20 });
  });

  test('inline PEM; TLS defaults TLS12..TLS13, NoClientCert, server cipher order', () => {
    const { config } = ok('tls_server_config:\n  cert: "-----BEGIN CERTIFICATE-----"\n  key: "-----BEGIN PRIVATE KEY-----"\n');
    assert.deepEqual(config.tls, {
      cert: { inline: '-----BEGIN CERTIFICATE-----' },
      key: { inline: '-----BEGIN PRIVATE KEY-----' },
      clientAuth: 'NoClientCert',
      minVersion: 'TLS12',
      maxVersion: 'TLS13',
      preferServerCipherSuites: true,
    });
  });

  test('all five client_auth_type values, and the toolkit\'s old RequireClientCert alias', () => {
    const base = 'tls_server_config:\n  cert_file: c\n  key_file: k\n  client_ca_file: ca\n  client_auth_type: ';
    for (const t of ['RequestClientCert', 'RequireAnyClientCert', 'VerifyClientCertIfGiven', 'RequireAndVerifyClientCert']) {
      assert.equal(ok(base + t).config.tls?.clientAuth, t);
    }
    assert.equal(ok(base + 'RequireClientCert').config.tls?.clientAuth, 'RequireAnyClientCert');
    assert.equal(ok('tls_server_config:\n  cert_file: c\n  key_file: k\n  client_auth_type: NoClientCert').config.tls?.clientAuth, 'NoClientCert');
  });

  test('warnings: TLS 1.3 suite names (not configurable, as in Go), unverified client certs, no client CA', () => {
    const r = ok('tls_server_config:\n  cert_file: c\n  key_file: k\n  cipher_suites: [TLS_AES_128_GCM_SHA256]\n');
    assert.equal(r.config.tls?.ciphers, undefined);
    assert.match(r.warnings.join('\n'), /cipher_suites: TLS_AES_128_GCM_SHA256 is a TLS 1\.3 suite/);
    assert.match(ok('tls_server_config:\n  cert_file: c\n  key_file: k\n  client_auth_type: RequireAnyClientCert').warnings.join(), /does not verify client certificates/);
    assert.match(ok('tls_server_config:\n  cert_file: c\n  key_file: k\n  client_auth_type: RequireAndVerifyClientCert').warnings.join(), /bundled root CAs/);
  });

  test('min_version TLS10/TLS11: accepted, with a warning that OpenSSL 3 refuses them', () => {
    const r = ok('tls_server_config:\n  cert_file: c\n  key_file: k\n  min_version: TLS10\n');
    assert.equal(r.config.tls?.minVersion, 'TLS10');
    assert.match(r.warnings.join(), /tls_server_config\.min_version: TLS10: Node's OpenSSL 3 refuses TLS 1\.0 and 1\.1 handshakes/);
  });

  test('TLS settings without a certificate or policy: TLS stays off, with a warning', () => {
    const r = ok('tls_server_config:\n  min_version: TLS13\n');
    assert.equal(r.config.tls, undefined);
    assert.match(r.warnings.join(), /tls_server_config\.min_version: ignored: TLS is off/);
  });

  test('rate_limit with interval 0 is off', () => {
    assert.equal(ok('rate_limit:\n  interval: 0s\n  burst: 0\n').config.rateLimit, undefined);
  });
});

describe('rejected, naming the key', () => {
  test('unknown keys at every level', () => {
    oneError('tls_config: {}\n', 'tls_config: unknown key (expected one of: tls_server_config, http_server_config, basic_auth_users, rate_limit)');
    oneError('tls_server_config:\n  cert_file: c\n  key_file: k\n  ca_file: x\n', /^tls_server_config\.ca_file: unknown key \(expected one of: cert, key, client_ca, cert_file, key_file, /);
    oneError('http_server_config:\n  http3: true\n', 'http_server_config.http3: unknown key (expected one of: http2, headers)');
    oneError('rate_limit:\n  every: 1s\n', 'rate_limit.every: unknown key (expected one of: interval, burst)');
    oneError('__proto__: {}\n', /^__proto__: unknown key/);
  });

  test('YAML errors carry the position; duplicate keys are errors', () => {
    oneError('basic_auth_users: [\n', /^line \d+, column \d+: /);
    oneError('basic_auth_users:\n  a: x\n  a: y\n', /^line 3, column 3: Map keys must be unique/);
    oneError('- a\n', 'the top level must be a mapping, got a list');
  });

  test('TLS: certificate and key both needed; inline and file not both', () => {
    oneError('tls_server_config:\n  cert_file: c\n', 'tls_server_config: missing one of key or key_file');
    oneError('tls_server_config:\n  key_file: k\n', 'tls_server_config: missing one of cert or cert_file');
    assert.deepEqual(errors('tls_server_config:\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca\n'), [
      'tls_server_config: missing one of cert or cert_file',
      'tls_server_config: missing one of key or key_file',
    ]);
    oneError('tls_server_config:\n  cert: x\n  cert_file: c\n  key_file: k\n', 'tls_server_config.cert_file: set cert or cert_file, not both');
  });

  test('TLS: client auth, versions, ciphers, curves', () => {
    const base = 'tls_server_config:\n  cert_file: c\n  key_file: k\n';
    oneError(`${base}  client_auth_type: RequireAndVerify\n`, 'tls_server_config.client_auth_type: "RequireAndVerify" is not one of NoClientCert, RequestClientCert, RequireAnyClientCert, VerifyClientCertIfGiven, RequireAndVerifyClientCert');
    oneError(`${base}  client_ca_file: ca\n`, /^tls_server_config\.client_auth_type: a client CA is set but client_auth_type is NoClientCert/);
    oneError(`${base}  client_auth_type: VerifyClientCertIfGiven\n  client_ca_file: ca\n  client_allowed_sans: [a]\n`, 'tls_server_config.client_allowed_sans: requires client_auth_type to be one of RequireAnyClientCert or RequireAndVerifyClientCert');
    oneError(`${base}  min_version: TLS1.2\n`, 'tls_server_config.min_version: unknown TLS version "TLS1.2" (expected one of: TLS10, TLS11, TLS12, TLS13)');
    oneError(`${base}  min_version: TLS13\n  max_version: TLS12\n`, 'tls_server_config.min_version: TLS13 is above max_version TLS12');
    // Go's insecure suites are unknown to the toolkit too
    oneError(`${base}  cipher_suites: [TLS_RSA_WITH_RC4_128_SHA]\n`, /^tls_server_config\.cipher_suites: unknown cipher "TLS_RSA_WITH_RC4_128_SHA"/);
    oneError(`${base}  cipher_suites: TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\n`, 'tls_server_config.cipher_suites: must be a list of strings, got a string');
    oneError(`${base}  curve_preferences: [CurveP224]\n`, 'tls_server_config.curve_preferences: unknown curve "CurveP224" (expected one of: CurveP256, CurveP384, CurveP521, X25519)');
    oneError(`${base}  prefer_server_cipher_suites: "yes"\n`, 'tls_server_config.prefer_server_cipher_suites: must be true or false, got a string');
    oneError('tls_server_config:\n  cert_file: 12\n  key_file: k\n', 'tls_server_config.cert_file: must be a string, got a number');
    oneError('tls_server_config: [a]\n', 'tls_server_config: must be a mapping, got a list');
  });

  test('headers: only the five the toolkit allows, with its values', () => {
    oneError('http_server_config:\n  headers:\n    Server: x\n', /^http_server_config\.headers\.Server: this header can not be configured \(expected one of: Strict-Transport-Security, /);
    oneError('http_server_config:\n  headers:\n    X-Frame-Options: DENY\n', 'http_server_config.headers.X-Frame-Options: "DENY" is not one of deny, sameorigin');
    oneError('http_server_config:\n  headers:\n    X-Content-Type-Options: sniff\n', 'http_server_config.headers.X-Content-Type-Options: "sniff" is not one of nosniff');
    oneError('http_server_config:\n  http2: 1\n', 'http_server_config.http2: must be true or false, got a number');
  });

  test('basic_auth_users: bcrypt hashes only, and the value never in the message', () => {
    const e = errors('basic_auth_users:\n  alice: hunter2\n  bob: 12345\n  carol: "$2y$03$X0h1gDsPszWURQaxFh.zoubFi6DXncSjhoQNJgRrnGs7EsimhC7zG"\n');
    assert.equal(e.length, 3);
    assert.match(e[0]!, /^basic_auth_users\.alice: is not a bcrypt hash/);
    assert.match(e[1]!, /^basic_auth_users\.bob: must be a bcrypt hash \(a string\), got a number/);
    assert.match(e[2]!, /^basic_auth_users\.carol: is not a bcrypt hash/); // cost 3 < bcrypt's minimum 4
    assert.doesNotMatch(e.join('\n'), /hunter2|12345/);
    oneError(`basic_auth_users:\n  "a:b": ${HASH}\n`, 'basic_auth_users.a:b: a user name cannot contain ":" (HTTP basic auth splits on it)');
    oneError('basic_auth_users: [alice]\n', 'basic_auth_users: must be a mapping, got a list');
  });

  test('basic_auth_users: a bcrypt cost above 12 is refused (31 would hold a core for days per wrong password)', () => {
    const body = HASH.slice(7);
    for (const cost of ['13', '31']) {
      oneError(`basic_auth_users:\n  alice: "$2y$${cost}$${body}"\n`, new RegExp(`^basic_auth_users\\.alice: bcrypt cost ${Number(cost)} is above 12: every check`));
    }
    const twelve = parseWebConfig(`basic_auth_users:\n  alice: "$2y$12$${body}"\n`, 'web.yml');
    assert.ok(twelve.ok);
    assert.deepEqual(twelve.warnings, []);
    const mixed = parseWebConfig(`basic_auth_users:\n  alice: "$2y$12$${body}"\n  bob: "$2y$10$${body}"\n`, 'web.yml');
    assert.ok(mixed.ok);
    assert.deepEqual(mixed.warnings, ["basic_auth_users: hashes of different bcrypt costs (10, 12): how long a check takes tells a user's cost, and so that a user of a lower cost exists; use one cost for all"]);
  });

  test('rate_limit', () => {
    oneError('rate_limit:\n  interval: fast\n  burst: 1\n', 'rate_limit.interval: must be a duration such as "1s", got "fast"');
    oneError('rate_limit:\n  interval: 1s\n  burst: -1\n', 'rate_limit.burst: must be a whole number, got a number');
    oneError('rate_limit:\n  interval: 1s\n', 'rate_limit.burst: must be 1 or more when interval is set (0 would refuse every request)');
  });

  test('every problem of a file at once', () => {
    assert.equal(errors('nope: 1\nhttp_server_config:\n  headers:\n    Server: x\nbasic_auth_users:\n  a: b\n').length, 3);
  });
});
