import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadConfig, type LoadResult } from '../../src/config/load.ts';
import { defaultPoolThreads } from '../../src/config/defaults.ts';
import { parseDockerUrl } from '../../src/config/hosts.ts';
import type { ExporterConfig } from '../../src/config/types.ts';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const fixtures = path.join(repo, 'test/fixtures/config');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dfe-config-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

// Files every test config may point at: real TLS material (loaded at config time; test-only,
// long-lived, from test/fixtures/config/tls) and ssh files (placeholders, never parsed there).
// Secret files are private, as they should be: the loader warns about open ones.
const fixtureTls = (f: string): string => fs.readFileSync(path.join(fixtures, 'tls', f), 'utf8');
const files = {
  ca: path.join(tmp, 'ca.pem'),
  cert: path.join(tmp, 'cert.pem'),
  key: path.join(tmp, 'key.pem'),
  identity: path.join(tmp, 'id_ed25519'),
  knownHosts: path.join(tmp, 'known_hosts'),
  passphrase: path.join(tmp, 'passphrase'),
};
for (const f of Object.values(files)) fs.writeFileSync(f, 'placeholder\n', { mode: 0o600 });
for (const f of ['ca', 'cert', 'key'] as const) fs.writeFileSync(files[f], fixtureTls(`${f}.pem`));
// git keeps no modes but the executable bit: make the fixture secrets private as a user would
for (const f of ['tls/key.pem', 'ssh/id_ed25519', 'ssh/passphrase']) fs.chmodSync(path.join(fixtures, f), 0o600);
const missing = path.join(tmp, 'no-such-file.pem');
const FINGERPRINT = 'SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s';

let counter = 0;
function writeConfig(text: string, ext = '.yml'): string {
  const file = path.join(tmp, `config-${++counter}${ext}`);
  fs.writeFileSync(file, text);
  return file;
}

function load(yaml: string, env: NodeJS.ProcessEnv = {}): LoadResult {
  return loadConfig({ file: writeConfig(yaml), env });
}

function errorsOf(r: LoadResult): string[] {
  assert.equal(r.ok, false, `expected errors, got ${JSON.stringify(r)}`);
  return r.ok ? [] : r.errors;
}

function configOf(r: LoadResult): { config: ExporterConfig; warnings: string[] } {
  assert.ok(r.ok, `expected a config, got ${JSON.stringify(r)}`);
  return r;
}

/** Exactly one error, that contains every fragment. */
function oneError(r: LoadResult, ...fragments: string[]): string {
  const errors = errorsOf(r);
  assert.equal(errors.length, 1, `expected one error, got:\n${errors.join('\n')}`);
  for (const f of fragments) assert.ok(errors[0]!.includes(f), `"${errors[0]}" lacks "${f}"`);
  return errors[0]!;
}

const hostYaml = (host: string): string => `hosts:\n${host}`;
const local = '  - name: local\n    url: unix:///var/run/docker.sock\n';
const tlsHost = (extra = '') => `  - name: build-01
    url: tcp://10.0.0.21:2376
    tls:
      ca: ${files.ca}
      cert: ${files.cert}
      key: ${files.key}
${extra}`;
const sshHost = (sshLines: string) => `  - name: web-01
    url: ssh://monitor@10.0.0.22
    ssh:
${sshLines}`;

const DEFAULTS = {
  collection: { timeoutMs: 8000, minIntervalMs: 0, maxStalenessMs: 60_000, concurrency: 256, diskIntervalMs: 300_000, diskMaxVolumes: 100, events: true },
  metrics: {
    families: ['docker_exporter', 'cadvisor', 'state', 'events'],
    containerLabels: ['com.docker.compose.project', 'com.docker.compose.service'],
    include: { names: [], labels: [] },
    exclude: { names: [], labels: [] },
  },
  web: { listenAddresses: [':9417'], maxRequests: 40, writeTimeoutMs: 120_000, telemetryPath: '/metrics', disableExporterMetrics: false },
  log: { level: 'info', format: 'logfmt' },
  pool: { threads: defaultPoolThreads(os.availableParallelism()) },
  shard: { count: 1, index: 0 },
} as const;

describe('config/example.yml', () => {
  const example = path.join(repo, 'config/example.yml');

  test('fails only on its TLS/SSH files, which do not exist on this machine', () => {
    const errors = errorsOf(loadConfig({ file: example, env: {} }));
    assert.equal(errors.length, 5, errors.join('\n'));
    for (const e of errors) {
      assert.match(e, /^.*config\/example\.yml: hosts\[[12]\]\.(tls|ssh)\.\w+ \(host "(build-01|web-01)"\): cannot read \/etc\/docker-fleet-exporter\/.+ \(ENOENT\)$/);
    }
  });

  test('with its files present, loads to the exact normalized config', () => {
    const text = fs.readFileSync(example, 'utf8').replaceAll('/etc/docker-fleet-exporter', tmp);
    fs.mkdirSync(path.join(tmp, 'tls'), { recursive: true });
    fs.mkdirSync(path.join(tmp, 'ssh'), { recursive: true });
    for (const f of ['ca.pem', 'cert.pem', 'key.pem']) fs.writeFileSync(path.join(tmp, 'tls', f), fixtureTls(f), { mode: 0o600 });
    for (const f of ['ssh/id_ed25519', 'ssh/known_hosts']) fs.writeFileSync(path.join(tmp, f), 'placeholder\n', { mode: 0o600 });
    const { config, warnings } = configOf(load(text, { SSH_AUTH_SOCK: '/run/agent.sock' }));
    assert.deepEqual(warnings, []);
    assert.deepEqual(config, {
      ...DEFAULTS,
      hosts: [
        { name: 'local', url: 'unix:///var/run/docker.sock', endpoint: { kind: 'unix', socketPath: '/var/run/docker.sock' }, labels: { dc: 'eu-1' } },
        {
          name: 'build-01',
          url: 'tcp://10.0.0.21:2376',
          endpoint: {
            kind: 'tcp',
            host: '10.0.0.21',
            port: 2376,
            tls: { ca: `${tmp}/tls/ca.pem`, cert: `${tmp}/tls/cert.pem`, key: `${tmp}/tls/key.pem`, insecureSkipVerify: false },
          },
          labels: { dc: 'eu-1', role: 'ci' },
        },
        {
          name: 'web-01',
          url: 'ssh://monitor@10.0.0.22:22',
          endpoint: {
            kind: 'ssh',
            user: 'monitor',
            host: '10.0.0.22',
            port: 22,
            ssh: {
              socketPath: '/var/run/docker.sock',
              identityFile: `${tmp}/ssh/id_ed25519`,
              knownHosts: `${tmp}/ssh/known_hosts`,
              insecureIgnoreHostKey: false,
              keepaliveIntervalMs: 15_000,
              connectTimeoutMs: 5000,
            },
          },
          labels: { dc: 'us-2' },
        },
      ],
    });
  });
});

describe('loading: positive cases', () => {
  test('relative tls/ssh paths resolve against the config file directory', () => {
    const { config } = configOf(loadConfig({ file: path.join(fixtures, 'relative.yml'), env: {} }));
    const [build, web] = config.hosts;
    assert.deepEqual(build!.endpoint, {
      kind: 'tcp',
      host: 'build-01.example',
      port: 2376,
      tls: {
        ca: path.join(fixtures, 'tls/ca.pem'),
        cert: path.join(fixtures, 'tls/cert.pem'),
        key: path.join(fixtures, 'tls/key.pem'),
        insecureSkipVerify: false,
      },
    });
    assert.deepEqual(web!.endpoint, {
      kind: 'ssh',
      user: 'monitor',
      host: 'web-01.example',
      port: 22,
      ssh: {
        socketPath: '/var/run/docker.sock',
        identityFile: path.join(fixtures, 'ssh/id_ed25519'),
        passphraseFile: path.join(fixtures, 'ssh/passphrase'),
        knownHosts: path.join(fixtures, 'ssh/known_hosts'),
        agent: path.join(fixtures, 'agent.sock'),
        insecureIgnoreHostKey: false,
        keepaliveIntervalMs: 15_000,
        connectTimeoutMs: 5000,
      },
    });
  });

  test('a relative config file path works too (paths relative to its directory, not the cwd)', () => {
    const rel = path.relative(process.cwd(), path.join(fixtures, 'relative.yml'));
    const { config } = configOf(loadConfig({ file: rel, env: {} }));
    const ep = config.hosts[0]!.endpoint;
    assert.equal(ep.kind === 'tcp' ? ep.tls?.ca : undefined, path.join(fixtures, 'tls/ca.pem'));
  });

  test('"~/" in a path is the HOME directory', () => {
    const home = fs.mkdtempSync(path.join(tmp, 'home-'));
    fs.writeFileSync(path.join(home, 'kh'), 'placeholder\n');
    const { config } = configOf(load(hostYaml(sshHost(`      agent: /run/a.sock\n      known_hosts: ~/kh\n`)), { HOME: home }));
    const ep = config.hosts[0]!.endpoint;
    assert.equal(ep.kind === 'ssh' ? ep.ssh.knownHosts : undefined, path.join(home, 'kh'));
  });

  test('a JSON file', () => {
    const { config, warnings } = configOf(loadConfig({ file: path.join(fixtures, 'fleet.json'), env: {} }));
    assert.deepEqual(warnings, []);
    assert.deepEqual(config.collection, { timeoutMs: 5000, minIntervalMs: 0, maxStalenessMs: 60_000, concurrency: 32, diskIntervalMs: 300_000, diskMaxVolumes: 100, events: true });
    assert.deepEqual(config.metrics.families, ['state']);
    assert.deepEqual(config.pool, { threads: 0 });
    assert.deepEqual(config.hosts.map((h) => h.name), ['local', 'lab']);
    assert.deepEqual(config.hosts[0]!.labels, { dc: 'eu-1' });
    const lab = config.hosts[1]!.endpoint;
    assert.equal(lab.kind, 'tcp');
    // IPv6 without brackets (as node's http wants it); no port written + tls block = 2376.
    assert.deepEqual(lab.kind === 'tcp' ? [lab.host, lab.port] : [], ['fd00::2', 2376]);
  });

  test('every setting is normalized (ms durations, camelCase, ssh options)', () => {
    const yaml = `collection:
  timeout: 1m30s
  min_interval: 500ms
  max_staleness: 2m
  concurrency: 16
  disk_interval: 0s
  disk_max_volumes: 7
  events: false
metrics:
  families: [cadvisor, state, cadvisor]
  container_labels: [team]
  include: { names: ["web-*"], labels: [tier=frontend] }
  exclude: { names: ["*-debug"], labels: [skip] }
pool:
  threads: 3
hosts:
${sshHost(`      socket_path: /run/user/1000/docker.sock
      identity_file: ${files.identity}
      passphrase_env: WEB01_PASS
      host_key_fingerprint: ${FINGERPRINT}
      keepalive_interval: 0s
      connect_timeout: 2s
`)}    events: true
`;
    const { config, warnings } = configOf(load(yaml, { WEB01_PASS: 'x' }));
    assert.deepEqual(warnings, []);
    assert.deepEqual(config.collection, { timeoutMs: 90_000, minIntervalMs: 500, maxStalenessMs: 120_000, concurrency: 16, diskIntervalMs: 0, diskMaxVolumes: 7, events: false });
    assert.deepEqual(config.metrics, {
      families: ['cadvisor', 'state'],
      containerLabels: ['team'],
      include: { names: ['web-*'], labels: ['tier=frontend'] },
      exclude: { names: ['*-debug'], labels: ['skip'] },
    });
    assert.deepEqual(config.pool, { threads: 3 });
    assert.deepEqual(config.hosts[0]!.endpoint, {
      kind: 'ssh',
      user: 'monitor',
      host: '10.0.0.22',
      port: 22,
      ssh: {
        socketPath: '/run/user/1000/docker.sock',
        identityFile: files.identity,
        passphraseEnv: 'WEB01_PASS',
        hostKeyFingerprint: FINGERPRINT,
        insecureIgnoreHostKey: false,
        keepaliveIntervalMs: 0,
        connectTimeoutMs: 2000,
      },
    });
    assert.equal(config.hosts[0]!.events, true, 'hosts[].events overrides collection.events');
  });

  test('tcp ports: 2375 without tls, 2376 with tls, as written otherwise', () => {
    const yaml = hostYaml(`  - name: a
    url: tcp://a.example
  - name: b
    url: tcp://b.example:12375
${tlsHost().replace('build-01', 'c').replace('10.0.0.21:2376', 'c.example')}`);
    const { config, warnings } = configOf(load(yaml));
    assert.deepEqual(config.hosts.map((h) => (h.endpoint.kind === 'tcp' ? h.endpoint.port : 0)), [2375, 12375, 2376]);
    // plain tcp is allowed, with a warning per host
    assert.equal(warnings.length, 2);
    assert.match(warnings[0]!, /hosts\[0\]\.url \(host "a"\): tcp:\/\/ without a tls block/);
    assert.match(warnings[1]!, /hosts\[1\]\.url \(host "b"\)/);
  });

  test('ssh agent defaults to SSH_AUTH_SOCK when no identity file is given', () => {
    const { config } = configOf(load(hostYaml(sshHost(`      known_hosts: ${files.knownHosts}\n`)), { SSH_AUTH_SOCK: '/run/agent.sock' }));
    const ep = config.hosts[0]!.endpoint;
    assert.equal(ep.kind === 'ssh' ? ep.ssh.agent : undefined, '/run/agent.sock');
  });

  test('insecure flags are accepted with a warning that names the host', () => {
    const yaml = hostYaml(`  - name: build-01
    url: tcp://10.0.0.21:2376
    tls:
      cert: ${files.cert}
      key: ${files.key}
      insecure_skip_verify: true
${sshHost(`      identity_file: ${files.identity}\n      insecure_ignore_host_key: true\n`)}`);
    const { config, warnings } = configOf(load(yaml));
    assert.equal(warnings.length, 2);
    assert.match(warnings[0]!, /hosts\[0\]\.tls\.insecure_skip_verify \(host "build-01"\): .*not verified/);
    assert.match(warnings[1]!, /hosts\[1\]\.ssh\.insecure_ignore_host_key \(host "web-01"\): .*not verified/);
    const tcp = config.hosts[0]!.endpoint;
    assert.equal(tcp.kind === 'tcp' ? tcp.tls?.insecureSkipVerify : undefined, true);
  });

  test('listen address and log level are carried into the config, and checked', () => {
    const { config } = configOf(
      loadConfig({
        file: path.join(fixtures, 'fleet.json'),
        env: {},
        listenAddresses: ['127.0.0.1:9000', '[::1]:9001'],
        logLevel: 'debug',
        logFormat: 'json',
        maxRequests: 0,
        writeTimeoutMs: 5000,
        telemetryPath: '/m',
        disableExporterMetrics: true,
      }),
    );
    assert.deepEqual(config.web, { listenAddresses: ['127.0.0.1:9000', '[::1]:9001'], maxRequests: 0, writeTimeoutMs: 5000, telemetryPath: '/m', disableExporterMetrics: true });
    assert.deepEqual(config.log, { level: 'debug', format: 'json' });
    const errors = errorsOf(loadConfig({ env: {}, listenAddresses: [':1', '9000'], logLevel: 'loud' as 'info', telemetryPath: 'metrics' }));
    assert.equal(errors.length, 3);
    assert.match(errors[0]!, /^web\.listen-address: "9000"/);
    assert.match(errors[1]!, /^web\.telemetry-path: "metrics" must be a path/);
    assert.match(errors[2]!, /^log\.level: "loud" is not one of/);
  });
});

describe('no config file: the local daemon from DOCKER_HOST', () => {
  const localHost = (r: LoadResult) => {
    const { config } = configOf(r);
    assert.equal(config.hosts.length, 1);
    assert.equal(config.hosts[0]!.name, 'local');
    return config.hosts[0]!;
  };

  test('no environment at all: unix:///var/run/docker.sock and the schema defaults', () => {
    const r = loadConfig({ env: {} });
    const { config, warnings } = configOf(r);
    assert.deepEqual(warnings, []);
    assert.deepEqual(config, {
      ...DEFAULTS,
      hosts: [{ name: 'local', url: 'unix:///var/run/docker.sock', endpoint: { kind: 'unix', socketPath: '/var/run/docker.sock' }, labels: {} }],
    });
  });

  test('DOCKER_HOST=unix://...', () => {
    const h = localHost(loadConfig({ env: { DOCKER_HOST: 'unix:///run/user/1000/docker.sock' } }));
    assert.deepEqual(h.endpoint, { kind: 'unix', socketPath: '/run/user/1000/docker.sock' });
    assert.equal(h.url, 'unix:///run/user/1000/docker.sock');
  });

  test('DOCKER_HOST=tcp://... without TLS warns', () => {
    const r = loadConfig({ env: { DOCKER_HOST: 'tcp://10.0.0.5:2375' } });
    assert.deepEqual(localHost(r).endpoint, { kind: 'tcp', host: '10.0.0.5', port: 2375 });
    assert.match(configOf(r).warnings[0]!, /^DOCKER_HOST: tcp:\/\/ without DOCKER_TLS_VERIFY/);
  });

  test('DOCKER_HOST=tcp://... with DOCKER_TLS_VERIFY and DOCKER_CERT_PATH', () => {
    const certDir = fs.mkdtempSync(path.join(tmp, 'certs-'));
    for (const f of ['ca.pem', 'cert.pem', 'key.pem']) fs.writeFileSync(path.join(certDir, f), fixtureTls(f), { mode: 0o600 });
    const r = loadConfig({ env: { DOCKER_HOST: 'tcp://docker.example', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certDir } });
    assert.deepEqual(localHost(r).endpoint, {
      kind: 'tcp',
      host: 'docker.example',
      port: 2376,
      tls: { ca: `${certDir}/ca.pem`, cert: `${certDir}/cert.pem`, key: `${certDir}/key.pem`, insecureSkipVerify: false },
    });
    assert.deepEqual(configOf(r).warnings, []);
  });

  test('DOCKER_TLS_VERIFY without DOCKER_CERT_PATH uses ~/.docker, and names what is missing', () => {
    const home = fs.mkdtempSync(path.join(tmp, 'home-'));
    const errors = errorsOf(loadConfig({ env: { DOCKER_HOST: 'tcp://docker.example:2376', DOCKER_TLS_VERIFY: '1', HOME: home } }));
    assert.equal(errors.length, 3);
    assert.match(errors[0]!, /DOCKER_CERT_PATH.*cannot read .*\/\.docker\/ca\.pem \(ENOENT\)/);
  });

  test('unreadable DOCKER_CERT_PATH files name the variable and the path', () => {
    const errors = errorsOf(loadConfig({ env: { DOCKER_HOST: 'tcp://h:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: path.join(tmp, 'nope') } }));
    assert.deepEqual(errors, ['ca.pem', 'cert.pem', 'key.pem'].map((f) => `DOCKER_CERT_PATH: cannot read ${tmp}/nope/${f} (ENOENT)`));
  });

  test('DOCKER_HOST=ssh://... uses SSH_AUTH_SOCK and ~/.ssh/known_hosts', () => {
    const home = fs.mkdtempSync(path.join(tmp, 'home-'));
    fs.mkdirSync(path.join(home, '.ssh'));
    fs.writeFileSync(path.join(home, '.ssh/known_hosts'), 'placeholder\n');
    const h = localHost(loadConfig({ env: { DOCKER_HOST: 'ssh://me@box.example:2222', SSH_AUTH_SOCK: '/run/agent.sock', HOME: home } }));
    assert.deepEqual(h.endpoint, {
      kind: 'ssh',
      user: 'me',
      host: 'box.example',
      port: 2222,
      ssh: {
        socketPath: '/var/run/docker.sock',
        agent: '/run/agent.sock',
        knownHosts: path.join(home, '.ssh/known_hosts'),
        insecureIgnoreHostKey: false,
        keepaliveIntervalMs: 15_000,
        connectTimeoutMs: 5000,
      },
    });
  });

  test('DOCKER_HOST=ssh://... without an agent or known_hosts', () => {
    const home = fs.mkdtempSync(path.join(tmp, 'home-'));
    const errors = errorsOf(loadConfig({ env: { DOCKER_HOST: 'ssh://me@box', HOME: home } }));
    assert.equal(errors.length, 2);
    assert.match(errors[0]!, /^DOCKER_HOST: .*SSH_AUTH_SOCK is not set/);
    assert.match(errors[1]!, /known_hosts.*cannot read .*\.ssh\/known_hosts \(ENOENT\)/);
  });

  test('a bad DOCKER_HOST is named, and its password is not echoed', () => {
    assert.match(oneError(loadConfig({ env: { DOCKER_HOST: 'http://h:2375' } })), /^DOCKER_HOST: unsupported scheme "http"/);
    const e = oneError(loadConfig({ env: { DOCKER_HOST: 'ssh://me:s3cr3tpw@box' } }), 'DOCKER_HOST', 'password');
    assert.ok(!e.includes('s3cr3tpw'));
  });
});

describe('rejections name the file, the key and the host', () => {
  test('unknown top-level key', () => {
    const file = writeConfig(`colection:\n  timeout: 5s\n${hostYaml(local)}`);
    const e = oneError(loadConfig({ file, env: {} }), file, 'colection', 'unknown key');
    assert.match(e, /expected one of: collection, metrics, pool, hosts/);
  });

  test('unknown nested key, reported at its first unknown part', () => {
    const e = oneError(load(`collection:\n  timout:\n    deep: { er: 1 }\n${hostYaml(local)}`), 'collection.timout:', 'unknown key');
    assert.match(e, /expected one of: timeout, min_interval, max_staleness, concurrency/);
    oneError(load(`metrics:\n  include:\n    name: [x]\n${hostYaml(local)}`), 'metrics.include.name:', 'unknown key');
  });

  test('unknown key in a host', () => {
    oneError(load(hostYaml(`${local}    lables: { dc: x }\n`)), 'hosts[0].lables (host "local"): unknown key');
  });

  test('unknown key in tls and in ssh', () => {
    oneError(load(hostYaml(tlsHost('      verify: true\n'))), 'hosts[0].tls.verify (host "build-01"): unknown key');
    oneError(
      load(hostYaml(sshHost(`      identity_file: ${files.identity}\n      known_hosts: ${files.knownHosts}\n      port: 22\n`))),
      'hosts[0].ssh.port (host "web-01"): unknown key',
    );
  });

  test('duplicate host names name both positions', () => {
    oneError(load(hostYaml(`${local}  - name: other\n    url: unix:///x.sock\n${local}`)), 'hosts[2].name (host "local")', 'duplicate', 'hosts[0]');
  });

  test('empty, missing or non-list hosts', () => {
    oneError(load('hosts: []\n'), 'hosts: at least one host is required');
    oneError(load('collection:\n  timeout: 5s\n'), 'hosts: missing');
    oneError(load(''), 'hosts: missing');
    oneError(load('hosts:\n  name: local\n  url: unix:///x.sock\n'), 'hosts: must be a list of hosts, got a mapping');
    oneError(load('hosts: local\n'), 'hosts: must be a list of hosts, got a string');
    oneError(load('hosts:\n  - local\n'), 'hosts[0]: must be a mapping with name and url');
  });

  test('host names and urls are required', () => {
    const errors = errorsOf(load('hosts:\n  - labels: { dc: x }\n  - name: "bad name!"\n    url: unix:///x.sock\n'));
    assert.deepEqual(errors.map((e) => e.replace(/^[^:]+: /, '').replace(/: .*/, '')), ['hosts[0].name', 'hosts[0].url', 'hosts[1].name']);
  });

  test('bad URL schemes', () => {
    oneError(load(hostYaml('  - name: a\n    url: http://10.0.0.1:2375\n')), 'hosts[0].url (host "a")', 'unsupported scheme "http"', 'tcp://');
    oneError(load(hostYaml('  - name: a\n    url: npipe:////./pipe/docker_engine\n')), 'hosts[0].url (host "a")', 'unsupported scheme "npipe"');
    oneError(load(hostYaml('  - name: a\n    url: /var/run/docker.sock\n')), 'hosts[0].url (host "a")', 'not a URL');
    oneError(load(hostYaml('  - name: a\n    url: unix://docker.sock\n')), 'hosts[0].url', 'absolute socket path');
  });

  test('bad hosts and ports in URLs', () => {
    oneError(load(hostYaml('  - name: a\n    url: tcp://:2375\n')), 'hosts[0].url', 'missing host');
    oneError(load(hostYaml('  - name: a\n    url: tcp://h:99999\n')), 'hosts[0].url', 'bad port "99999"');
    oneError(load(hostYaml('  - name: a\n    url: "tcp://h:"\n')), 'hosts[0].url', 'bad port ""');
    oneError(load(hostYaml('  - name: a\n    url: tcp://h:0\n')), 'hosts[0].url', 'bad port "0"');
    oneError(load(hostYaml('  - name: a\n    url: tcp://h:23x5\n')), 'hosts[0].url', 'bad port "23x5"');
    oneError(load(hostYaml('  - name: a\n    url: tcp://::1:2375\n')), 'hosts[0].url', 'IPv6 addresses need brackets');
    oneError(load(hostYaml('  - name: a\n    url: tcp://h:2375/v1.41\n')), 'hosts[0].url', 'no path');
    oneError(load(hostYaml('  - name: a\n    url: tcp://root@h:2375\n')), 'hosts[0].url', 'no user');
    oneError(load(hostYaml('  - name: a\n    url: ssh://h\n    ssh: { agent: /a, insecure_ignore_host_key: true }\n')), 'hosts[0].url', 'needs a user');
    oneError(load(hostYaml('  - name: a\n    url: ssh://u@h/var/run/docker.sock\n    ssh: { agent: /a, insecure_ignore_host_key: true }\n')), 'hosts[0].url', 'socket_path');
  });

  test('a password in a URL is rejected without being echoed', () => {
    for (const url of ['ssh://monitor:hunter2pw@10.0.0.22', 'tcp://admin:hunter2pw@10.0.0.21:2376', 'http://u:hunter2pw@x', 'ssh://monitor:hunter2/pw@h']) {
      const e = oneError(load(hostYaml(`  - name: a\n    url: "${url}"\n`)), 'hosts[0].url (host "a")', 'password');
      assert.ok(!e.includes('hunter2'), e);
    }
  });

  test('bad durations name the key and the value', () => {
    oneError(load(`collection:\n  timeout: 8 seconds\n${hostYaml(local)}`), 'collection.timeout: "8 seconds" is not a duration');
    oneError(load(`collection:\n  max_staleness: 60\n${hostYaml(local)}`), 'collection.max_staleness: must be a duration such as "8s", got a number');
    oneError(load(`collection:\n  timeout: 0s\n${hostYaml(local)}`), 'collection.timeout: must be longer than 0s');
    oneError(
      load(hostYaml(sshHost(`      agent: /a\n      insecure_ignore_host_key: true\n      keepalive_interval: 15\n`))),
      'hosts[0].ssh.keepalive_interval (host "web-01"): must be a duration',
    );
  });

  test('numbers are not coerced from strings, and lists must be lists', () => {
    oneError(load(`collection:\n  concurrency: "12abc"\n${hostYaml(local)}`), 'collection.concurrency: must be an integer, got a string');
    oneError(load(`collection:\n  concurrency: 0\n${hostYaml(local)}`), 'collection.concurrency: must be 1 or more, got 0');
    oneError(load(`collection:\n  disk_interval: 5 minutes\n${hostYaml(local)}`), 'collection.disk_interval: "5 minutes" is not a duration');
    oneError(load(`collection:\n  disk_max_volumes: -1\n${hostYaml(local)}`), 'collection.disk_max_volumes: must be 0 or more, got -1');
    oneError(load(`pool:\n  threads: -1\n${hostYaml(local)}`), 'pool.threads: must be 0 or more');
    oneError(load(`metrics:\n  families: cadvisor\n${hostYaml(local)}`), 'metrics.families: must be a list, got a string');
    oneError(load(`metrics:\n  families: [cadvisor, cAdvisor]\n${hostYaml(local)}`), 'metrics.families: [1] must be one of docker_exporter, cadvisor, state, events, got "cAdvisor"');
    oneError(load(`collection:\n  events: "no"\n${hostYaml(local)}`), 'collection.events: must be true or false, got a string');
    oneError(load(hostYaml(`${local}    events: 0\n`)), 'hosts[0].events (host "local"): must be true or false, got a number');
    oneError(load(`metrics:\n  exclude:\n    labels: ["=x"]\n${hostYaml(local)}`), 'metrics.exclude.labels: [0]');
  });

  test('sections must be mappings; mappings where a value belongs do not crash the loader', () => {
    oneError(load(`collection: 5\n${hostYaml(local)}`), 'collection: must be a mapping, got a number');
    oneError(load(`collection:\n  timeout:\n    a: { b: 1 }\n${hostYaml(local)}`), 'collection.timeout: must be a duration such as "8s", got a mapping');
    oneError(load(`toString:\n  a: { b: 1 }\n${hostYaml(local)}`), 'toString: unknown key');
    oneError(load(`__proto__:\n  polluted: { b: 1 }\n${hostYaml(local)}`), '__proto__: unknown key');
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
    // a section left empty in YAML (all children commented out) is the defaults
    configOf(load(`pool:\n${hostYaml(local)}`));
  });

  test('bad label names, reserved labels, non-string values', () => {
    oneError(load(hostYaml(`${local}    labels: { "data-center": eu }\n`)), 'hosts[0].labels.data-center (host "local")', 'not a valid label name');
    oneError(load(hostYaml(`${local}    labels: { 1dc: eu }\n`)), 'hosts[0].labels.1dc (host "local")', 'not a valid label name');
    oneError(load(hostYaml(`${local}    labels: { image: x }\n`)), 'hosts[0].labels.image (host "local")', 'reserved');
    oneError(load(hostYaml(`${local}    labels: { host: x }\n`)), 'hosts[0].labels.host (host "local")', 'reserved');
    // the disk metrics' labels (docker_host_disk_usage_bytes{type}, docker_volume_usage_bytes{volume})
    oneError(load(hostYaml(`${local}    labels: { type: x }\n`)), 'hosts[0].labels.type (host "local")', 'reserved');
    oneError(load(hostYaml(`${local}    labels: { volume: x }\n`)), 'hosts[0].labels.volume (host "local")', 'reserved');
    oneError(load(hostYaml(`${local}    labels: { __meta: x }\n`)), 'hosts[0].labels.__meta (host "local")', '"__"');
    oneError(load(hostYaml(`${local}    labels: { rack: 12 }\n`)), 'hosts[0].labels.rack (host "local")', 'must be a string, got a number');
  });

  test('tls only on tcp:// URLs, ssh only on ssh:// URLs', () => {
    oneError(load(hostYaml(`${local}    tls: { ca: ${files.ca} }\n`)), 'hosts[0].tls (host "local")', 'only valid with tcp://', 'unix://');
    oneError(
      load(hostYaml(`  - name: a\n    url: tcp://h:2375\n    ssh: { identity_file: ${files.identity} }\n`)),
      'hosts[0].ssh (host "a")',
      'only valid with ssh://',
      'tcp://',
    );
  });

  test('an unreadable TLS file names the host, the key and the path', () => {
    const e = oneError(load(hostYaml(tlsHost().replace(files.key, missing))));
    assert.match(e, /config-\d+\.yml: hosts\[0\]\.tls\.key \(host "build-01"\): cannot read .*no-such-file\.pem \(ENOENT\)$/);
    oneError(load(hostYaml(tlsHost().replace(files.ca, tmp))), 'hosts[0].tls.ca (host "build-01")', '(a directory, not a regular file)');
  });

  test('tls: cert without key, key without cert, no ca without insecure_skip_verify', () => {
    oneError(load(hostYaml(tlsHost().replace(`      key: ${files.key}\n`, ''))), 'hosts[0].tls.key (host "build-01"): missing', 'go together');
    oneError(load(hostYaml(tlsHost().replace(`      cert: ${files.cert}\n`, ''))), 'hosts[0].tls.cert (host "build-01"): missing');
    oneError(load(hostYaml(tlsHost().replace(`      ca: ${files.ca}\n`, ''))), 'hosts[0].tls.ca (host "build-01"): missing', 'insecure_skip_verify');
    oneError(load(hostYaml(tlsHost('      insecure_skip_verify: "yes"\n'))), 'hosts[0].tls.insecure_skip_verify', 'true or false');
  });

  test('ssh: host key verification required unless insecure_ignore_host_key', () => {
    oneError(load(hostYaml(sshHost(`      identity_file: ${files.identity}\n`))), 'hosts[0].ssh.known_hosts (host "web-01"): missing', 'insecure_ignore_host_key');
    // an ssh:// host without any ssh block is checked the same way
    const errors = errorsOf(load(hostYaml('  - name: web-01\n    url: ssh://monitor@h\n')));
    assert.equal(errors.length, 2);
    assert.match(errors[0]!, /hosts\[0\]\.ssh\.identity_file \(host "web-01"\): .*SSH_AUTH_SOCK is not set/);
    assert.match(errors[1]!, /hosts\[0\]\.ssh\.known_hosts \(host "web-01"\): missing/);
  });

  test('ssh: unreadable identity_file, passphrase_file and known_hosts', () => {
    const errors = errorsOf(load(hostYaml(sshHost(`      identity_file: ${missing}\n      passphrase_file: ${missing}\n      known_hosts: ${missing}\n`))));
    assert.deepEqual(
      errors.map((e) => e.replace(/^.*?: /, '')),
      ['identity_file', 'passphrase_file', 'known_hosts'].map((k) => `hosts[0].ssh.${k} (host "web-01"): cannot read ${missing} (ENOENT)`),
    );
  });

  test('ssh: bad fingerprint format', () => {
    for (const fp of ['uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s', `${FINGERPRINT}=`, 'SHA256:abc', 'MD5:16:27:ac:a5:76:28:2d:36:63:1b:56:4d:eb:df:a6:48']) {
      oneError(
        load(hostYaml(sshHost(`      identity_file: ${files.identity}\n      host_key_fingerprint: "${fp}"\n`))),
        'hosts[0].ssh.host_key_fingerprint (host "web-01")',
        'SHA256:',
      );
    }
  });

  test('ssh: passphrase_env must name a set variable; passphrase_file and passphrase_env exclude each other', () => {
    const base = `      identity_file: ${files.identity}\n      known_hosts: ${files.knownHosts}\n`;
    oneError(load(hostYaml(sshHost(`${base}      passphrase_env: NOT_SET_ANYWHERE\n`))), 'hosts[0].ssh.passphrase_env (host "web-01")', 'NOT_SET_ANYWHERE is not set');
    oneError(load(hostYaml(sshHost(`${base}      passphrase_env: "bad name"\n`))), 'hosts[0].ssh.passphrase_env', 'not an environment variable name');
    oneError(
      load(hostYaml(sshHost(`${base}      passphrase_env: PASS\n      passphrase_file: ${files.passphrase}\n`)), { PASS: 'x' }),
      'hosts[0].ssh.passphrase_env',
      'exclude each other',
    );
    oneError(
      load(hostYaml(sshHost(`      agent: /a\n      known_hosts: ${files.knownHosts}\n      passphrase_file: ${files.passphrase}\n`))),
      'hosts[0].ssh.passphrase_file',
      'needs identity_file',
    );
  });

  test('a passphrase env value never appears in any error or warning', () => {
    const secret = 'Pa55-very-secret-value';
    const env = { WEB01_PASS: secret, OTHER: secret, SSH_AUTH_SOCK: secret };
    const bad = load(
      hostYaml(
        sshHost(`      identity_file: ${missing}\n      passphrase_env: WEB01_PASS\n      passphrase_file: ${files.passphrase}\n      insecure_ignore_host_key: true\n      bogus: 1\n`) +
          '  - name: web-01\n    url: ssh://u:pw@h\n',
      ),
      env,
    );
    const errors = errorsOf(bad);
    assert.ok(errors.length >= 4, errors.join('\n'));
    const good = configOf(
      load(hostYaml(sshHost(`      identity_file: ${files.identity}\n      passphrase_env: WEB01_PASS\n      insecure_ignore_host_key: true\n`)), env),
    );
    assert.equal(good.warnings.length, 1);
    const text = JSON.stringify([errors, good.warnings]);
    assert.ok(!text.includes(secret), text);
    // the normalized config names the variable, never its value
    assert.ok(!JSON.stringify(good.config).includes(secret));
  });

  test('errors never dump the hosts list', () => {
    const errors = errorsOf(load(hostYaml(`${local}  - name: b\n    url: tcp://h:2375\n    labels: { id: x }\n`)));
    assert.equal(errors.length, 1);
    assert.ok(!errors[0]!.includes('unix:///var/run/docker.sock'), errors[0]);
    assert.ok(!errors[0]!.includes('value was'), errors[0]);
  });

  test('all problems are reported at once', () => {
    const errors = errorsOf(
      load(`collection:\n  timeout: soon\nbogus: 1\nhosts:\n  - name: a\n    url: http://x\n  - name: b\n    url: unix:///x.sock\n    labels: { state: x }\n`),
    );
    assert.equal(errors.length, 4, errors.join('\n'));
    for (const k of ['collection.timeout', 'bogus', 'hosts[0].url', 'hosts[1].labels.state']) {
      assert.ok(errors.some((e) => e.includes(`${k}`)), `no error for ${k}: ${errors.join('\n')}`);
    }
  });
});

describe('TLS material is loaded at config time (issue 8)', () => {
  // Key material made here: node:crypto writes every form a user may hand over by mistake.
  const pair = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const secret = 'tls-Pa55-not-for-logs';
  const write = (name: string, data: string | Buffer, mode = 0o600): string => {
    const f = path.join(tmp, name);
    fs.writeFileSync(f, data, { mode });
    fs.chmodSync(f, mode);
    return f;
  };
  const keys = {
    garbage: write('tls-garbage.pem', 'this is not a key\n'),
    der: write('tls-key.der', pair.privateKey.export({ format: 'der', type: 'pkcs8' })),
    encrypted: write('tls-enc.pem', crypto.createPrivateKey(fixtureTls('key.pem')).export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: secret })),
    other: write('tls-other.pem', pair.privateKey.export({ format: 'pem', type: 'pkcs8' })),
  };
  const passFile = write('tls-pass', `${secret}\n`);
  const wrongPassFile = write('tls-wrong-pass', 'nope\n');
  const withKey = (key: string, extra = '') => hostYaml(tlsHost(extra).replace(files.key, key));

  test('a key that is garbage, DER, or another key than the certificate\'s is an error naming host, key and file', () => {
    for (const key of [keys.garbage, keys.der]) {
      const e = oneError(load(withKey(key)), 'hosts[0].tls.key (host "build-01")', key, 'not a PEM private key');
      assert.match(e, /DECODER routines::unsupported/);
    }
    oneError(load(withKey(keys.other)), 'hosts[0].tls.key (host "build-01")', keys.other, `does not match the certificate ${files.cert}`);
  });

  test('a certificate or CA file that holds no certificate is an error', () => {
    oneError(load(hostYaml(tlsHost().replace(files.cert, keys.garbage))), 'hosts[0].tls.cert (host "build-01")', keys.garbage, 'not a PEM certificate');
    oneError(load(hostYaml(tlsHost().replace(files.ca, files.key))), 'hosts[0].tls.ca (host "build-01")', files.key, 'holds no PEM certificate');
  });

  test('an encrypted key needs tls.passphrase_file or tls.passphrase_env; a wrong one is named, never shown', () => {
    oneError(load(withKey(keys.encrypted)), 'hosts[0].tls.key (host "build-01")', keys.encrypted, 'is encrypted', 'passphrase_file');
    const wrongFile = oneError(load(withKey(keys.encrypted, `      passphrase_file: ${wrongPassFile}\n`)), 'hosts[0].tls.passphrase_file (host "build-01")', wrongPassFile, keys.encrypted, 'wrong passphrase');
    const wrongEnv = oneError(load(withKey(keys.encrypted, '      passphrase_env: TLS_PASS\n'), { TLS_PASS: 'nope' }), 'hosts[0].tls.passphrase_env', 'TLS_PASS', 'wrong passphrase');
    assert.ok(!`${wrongFile}${wrongEnv}`.includes('nope'));

    for (const [extra, env] of [[`      passphrase_file: ${passFile}\n`, {}], ['      passphrase_env: TLS_PASS\n', { TLS_PASS: secret }]] as const) {
      const { config, warnings } = configOf(load(withKey(keys.encrypted, extra), env));
      assert.deepEqual(warnings, []);
      const ep = config.hosts[0]!.endpoint;
      assert.equal(ep.kind, 'tcp');
      const tls = ep.kind === 'tcp' ? ep.tls : undefined;
      assert.deepEqual(tls?.passphraseFile ?? tls?.passphraseEnv, extra.includes('file') ? passFile : 'TLS_PASS');
      assert.ok(!JSON.stringify(config).includes(secret));
    }
  });

  test('tls passphrase keys follow the ssh rules: one of them, with a key, a set variable', () => {
    oneError(load(withKey(keys.encrypted, '      passphrase_env: NOT_SET_ANYWHERE\n')), 'hosts[0].tls.passphrase_env (host "build-01")', 'NOT_SET_ANYWHERE is not set');
    oneError(load(withKey(keys.encrypted, '      passphrase_env: "bad name"\n')), 'hosts[0].tls.passphrase_env', 'not an environment variable name');
    oneError(load(withKey(keys.encrypted, `      passphrase_env: P\n      passphrase_file: ${passFile}\n`), { P: secret }), 'hosts[0].tls.passphrase_env', 'exclude each other');
    const noKey = `  - name: b\n    url: tcp://h:2376\n    tls: { ca: ${files.ca}, passphrase_file: ${passFile} }\n`;
    oneError(load(hostYaml(noKey)), 'hosts[0].tls.passphrase_file', 'needs key');
    oneError(load(withKey(keys.encrypted, `      passphrase_file: ${missing}\n`)), 'hosts[0].tls.passphrase_file', 'cannot read');
  });

  test('DOCKER_CERT_PATH material is checked the same way', () => {
    const certDir = fs.mkdtempSync(path.join(tmp, 'certs-'));
    fs.writeFileSync(path.join(certDir, 'ca.pem'), fixtureTls('ca.pem'));
    fs.writeFileSync(path.join(certDir, 'cert.pem'), fixtureTls('cert.pem'));
    fs.writeFileSync(path.join(certDir, 'key.pem'), 'garbage\n', { mode: 0o600 });
    const e = oneError(loadConfig({ env: { DOCKER_HOST: 'tcp://h', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certDir } }), 'DOCKER_CERT_PATH', `${certDir}/key.pem`);
    assert.match(e, /DECODER routines::unsupported/);
  });
});

describe('secret files readable by group or others: a warning, as ssh gives', () => {
  test('tls.key, ssh.identity_file and passphrase files', () => {
    const open = (name: string, data: string): string => {
      const f = path.join(tmp, name);
      fs.writeFileSync(f, data);
      fs.chmodSync(f, 0o644);
      return f;
    };
    const key = open('open-key.pem', fixtureTls('key.pem'));
    const pass = open('open-pass', 'x\n');
    const id = open('open-id', 'placeholder\n');
    const { warnings } = configOf(load(hostYaml(tlsHost().replace(files.key, key) + sshHost(`      identity_file: ${id}\n      passphrase_file: ${pass}\n      known_hosts: ${files.knownHosts}\n`))));
    assert.equal(warnings.length, 3, warnings.join('\n'));
    assert.match(warnings[0]!, new RegExp(`hosts\\[0\\]\\.tls\\.key \\(host "build-01"\\): UNPROTECTED PRIVATE KEY FILE: ${key} is accessible by group or others \\(mode 0644\\)`));
    assert.match(warnings[1]!, /hosts\[1\]\.ssh\.identity_file \(host "web-01"\): UNPROTECTED PRIVATE KEY FILE/);
    assert.match(warnings[2]!, /hosts\[1\]\.ssh\.passphrase_file \(host "web-01"\): UNPROTECTED PASSPHRASE FILE/);
    // private files: no warning (the other tests load 0600 files without one)
    assert.deepEqual(configOf(load(hostYaml(tlsHost()))).warnings, []);
  });
});

describe('file problems', () => {
  test('missing file', () => {
    const file = path.join(tmp, 'absent.yml');
    assert.deepEqual(errorsOf(loadConfig({ file, env: {} })), [`${file}: cannot read the config file (ENOENT)`]);
  });

  test('YAML syntax errors name the file and the line', () => {
    const file = writeConfig('hosts:\n  - name: a\n    url: [unix:///x\n');
    oneError(loadConfig({ file, env: {} }), file, 'line ');
  });

  test('duplicate YAML keys are an error, not a silent override', () => {
    oneError(load(`collection:\n  timeout: 5s\n  timeout: 9s\n${hostYaml(local)}`), 'line 3', 'unique');
  });

  test('a YAML alias bomb is a config error naming the file, not a stack trace', () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      levels.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${prev}`).join(', ')}]`);
    }
    const file = writeConfig(`${levels.join('\n')}\n${hostYaml(local)}`);
    const e = oneError(loadConfig({ file, env: {} }), file);
    assert.match(e, /alias/i);
  });

  test('invalid JSON, a non-mapping top level, an unknown extension', () => {
    oneError(loadConfig({ file: writeConfig('{"hosts": [', '.json'), env: {} }), '.json: invalid JSON');
    oneError(load('- a\n- b\n'), 'the top level must be a mapping of settings, got a list');
    oneError(loadConfig({ file: writeConfig('hosts = []', '.toml'), env: {} }), 'unsupported file type ".toml"');
  });
});

describe('parseDockerUrl', () => {
  test('forms and defaults', () => {
    assert.deepEqual(parseDockerUrl('unix:///var/run/docker.sock', { tls: false }), { ok: true, value: { kind: 'unix', socketPath: '/var/run/docker.sock' } });
    assert.deepEqual(parseDockerUrl('TCP://h', { tls: false }), { ok: true, value: { kind: 'tcp', host: 'h', port: 2375 } });
    assert.deepEqual(parseDockerUrl('tcp://h/', { tls: true }), { ok: true, value: { kind: 'tcp', host: 'h', port: 2376 } });
    assert.deepEqual(parseDockerUrl('tcp://[::1]:1234', { tls: true }), { ok: true, value: { kind: 'tcp', host: '::1', port: 1234 } });
    assert.deepEqual(parseDockerUrl('ssh://u@h', { tls: false }), { ok: true, value: { kind: 'ssh', user: 'u', host: 'h', port: 22 } });
    assert.equal(parseDockerUrl('tcp://[zz]:1', { tls: false }).ok, false);
    assert.equal(parseDockerUrl('tcp://h:1?x=1', { tls: false }).ok, false);
    assert.equal(parseDockerUrl('ssh://@h', { tls: false }).ok, false);
  });
});
