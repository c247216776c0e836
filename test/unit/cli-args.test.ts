import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { commandSettings, helpText, parseCliArgs } from '../../src/cli/flags.ts';
import { loadConfig } from '../../src/config/load.ts';
import { parseListenAddress } from '../../src/config/listen-address.ts';

/** What a command line sets, every default applied: the command's settings and the loaded web and log ones. */
function resolved(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const r = parseCliArgs(argv, env);
  assert.equal(r.kind, 'run', JSON.stringify(r));
  if (r.kind !== 'run') return undefined;
  const loaded = loadConfig({ env: {}, flags: r.flags });
  assert.ok(loaded.ok, JSON.stringify(loaded));
  const { configFile, configCheck, webConfigFile } = commandSettings(r.flags);
  return { configFile, configCheck, webConfigFile, web: loaded.config.web, log: loaded.config.log };
}

const DEFAULT_WEB = { listenAddresses: [':9417'], telemetryPath: '/metrics', disableExporterMetrics: false, maxRequests: 40, writeTimeoutMs: 120_000 };

describe('parseCliArgs', () => {
  test('defaults', () => {
    assert.deepEqual(parseCliArgs([], {}), { kind: 'run', flags: new Map() });
    assert.deepEqual(resolved([]), { configFile: undefined, configCheck: false, webConfigFile: undefined, web: DEFAULT_WEB, log: { level: 'info', format: 'logfmt' } });
  });

  test('flags, with and without "="', () => {
    const argv = ['--config.file=/etc/dfe.yml', '--web.listen-address', '127.0.0.1:9000', '--log.level=debug', '--web.max-requests=0', '--web.write-timeout', '1m30s'];
    argv.push('--web.listen-address=[::1]:9001', '--web.config.file', 'web.yml', '--web.telemetry-path=/fleet/metrics', '--web.disable-exporter-metrics', '--log.format=json', '--config.check');
    assert.deepEqual(resolved(argv), {
      configFile: '/etc/dfe.yml',
      configCheck: true,
      webConfigFile: 'web.yml',
      web: { listenAddresses: ['127.0.0.1:9000', '[::1]:9001'], telemetryPath: '/fleet/metrics', disableExporterMetrics: true, maxRequests: 0, writeTimeoutMs: 90_000 },
      log: { level: 'debug', format: 'json' },
    });
  });

  test('environment fallbacks', () => {
    const env = {
      DOCKER_FLEET_EXPORTER_CONFIG_FILE: 'fleet.yml',
      DOCKER_FLEET_EXPORTER_WEB_LISTEN_ADDRESS: '[::1]:9100',
      DOCKER_FLEET_EXPORTER_LOG_LEVEL: 'warn',
      DOCKER_FLEET_EXPORTER_WEB_MAX_REQUESTS: '7',
      DOCKER_FLEET_EXPORTER_WEB_WRITE_TIMEOUT: '30s',
      DOCKER_FLEET_EXPORTER_WEB_CONFIG_FILE: '/etc/web.yml',
      DOCKER_FLEET_EXPORTER_WEB_TELEMETRY_PATH: '/m',
      DOCKER_FLEET_EXPORTER_WEB_DISABLE_EXPORTER_METRICS: 'true',
      DOCKER_FLEET_EXPORTER_LOG_FORMAT: 'json',
    };
    assert.deepEqual(resolved([], env), {
      configFile: 'fleet.yml',
      configCheck: false,
      webConfigFile: '/etc/web.yml',
      web: { listenAddresses: ['[::1]:9100'], telemetryPath: '/m', disableExporterMetrics: true, maxRequests: 7, writeTimeoutMs: 30_000 },
      log: { level: 'warn', format: 'json' },
    });
    // several addresses from the environment: comma-separated
    assert.deepEqual(resolved([], { DOCKER_FLEET_EXPORTER_WEB_LISTEN_ADDRESS: '127.0.0.1:1, [::1]:2' })?.web.listenAddresses, ['127.0.0.1:1', '[::1]:2']);
  });

  test('flags win over the environment; empty variables count as unset', () => {
    const env = {
      DOCKER_FLEET_EXPORTER_CONFIG_FILE: 'env.yml',
      DOCKER_FLEET_EXPORTER_WEB_LISTEN_ADDRESS: '',
      DOCKER_FLEET_EXPORTER_LOG_LEVEL: 'bogus',
      DOCKER_FLEET_EXPORTER_WEB_MAX_REQUESTS: '',
      DOCKER_FLEET_EXPORTER_WEB_WRITE_TIMEOUT: 'soon',
    };
    assert.deepEqual(resolved(['--config.file', 'flag.yml', '--log.level', 'error', '--web.write-timeout=0'], env), {
      configFile: 'flag.yml',
      configCheck: false,
      webConfigFile: undefined,
      web: { ...DEFAULT_WEB, writeTimeoutMs: 0 },
      log: { level: 'error', format: 'logfmt' },
    });
  });

  test('--help, -h and --version', () => {
    assert.deepEqual(parseCliArgs(['--help'], {}), { kind: 'help', text: helpText });
    assert.deepEqual(parseCliArgs(['--log.level=debug', '-h'], {}), { kind: 'help', text: helpText });
    assert.deepEqual(parseCliArgs(['--version'], {}), { kind: 'version' });
    const mentions = ['--config.file', '--web.listen-address', '--log.level', 'DOCKER_FLEET_EXPORTER_CONFIG_FILE', 'DOCKER_FLEET_EXPORTER_LOG_LEVEL', ':9417'];
    mentions.push('--web.max-requests=40', 'DOCKER_FLEET_EXPORTER_WEB_MAX_REQUESTS', '--web.write-timeout=2m', 'DOCKER_FLEET_EXPORTER_WEB_WRITE_TIMEOUT');
    mentions.push('--web.config.file', '--web.telemetry-path="/metrics"', '--web.disable-exporter-metrics', '--log.format=logfmt', 'DOCKER_FLEET_EXPORTER_LOG_FORMAT');
    for (const flag of mentions) {
      assert.ok(helpText.includes(flag), `help lacks ${flag}`);
    }
  });

  const errorOf = (argv: string[], env: NodeJS.ProcessEnv = {}): string => {
    const r = parseCliArgs(argv, env);
    assert.equal(r.kind, 'error', JSON.stringify(r));
    return r.kind === 'error' ? r.message : '';
  };

  test('unknown flags, positionals, missing values', () => {
    assert.match(errorOf(['--config-file=x.yml']), /--config-file.*see --help/);
    assert.match(errorOf(['fleet.yml']), /Unexpected argument 'fleet\.yml'/);
    assert.match(errorOf(['--config.file']), /--config\.file/);
    assert.match(errorOf(['--help=yes']), /--help/);
  });

  test('bad values name the flag or variable they came from', () => {
    assert.equal(errorOf(['--log.level=verbose']), '--log.level: "verbose" is not one of debug, info, warn, error');
    assert.match(errorOf([], { DOCKER_FLEET_EXPORTER_LOG_LEVEL: 'INFO' }), /^DOCKER_FLEET_EXPORTER_LOG_LEVEL: "INFO"/);
    assert.match(errorOf(['--web.listen-address=9417']), /^--web\.listen-address: "9417"/);
    assert.match(errorOf([], { DOCKER_FLEET_EXPORTER_WEB_LISTEN_ADDRESS: 'localhost' }), /^DOCKER_FLEET_EXPORTER_WEB_LISTEN_ADDRESS: "localhost"/);
    assert.equal(errorOf(['--config.file=']), '--config.file: must not be empty');
    assert.equal(errorOf(['--web.max-requests=-1']), '--web.max-requests: must be 0 or more (0 = no limit), got -1');
    assert.equal(errorOf(['--web.max-requests=1e3']), '--web.max-requests: "1e3" is not a whole number');
    assert.match(errorOf([], { DOCKER_FLEET_EXPORTER_WEB_MAX_REQUESTS: 'many' }), /^DOCKER_FLEET_EXPORTER_WEB_MAX_REQUESTS: "many" is not a whole number/);
    assert.equal(errorOf(['--web.write-timeout=2min']), '--web.write-timeout: "2min" is not a duration (Prometheus style: "500ms", "8s", "1m30s")');
    assert.match(errorOf([], { DOCKER_FLEET_EXPORTER_WEB_WRITE_TIMEOUT: '10' }), /^DOCKER_FLEET_EXPORTER_WEB_WRITE_TIMEOUT: "10" is not a duration/);
    assert.equal(errorOf(['--web.write-timeout=30d']), '--web.write-timeout: "30d" is longer than 24d (the longest timer)');
    assert.match(errorOf(['--web.listen-address=:1', '--web.listen-address=nope']), /^--web\.listen-address: "nope"/);
    assert.match(errorOf([], { DOCKER_FLEET_EXPORTER_WEB_LISTEN_ADDRESS: ':1,9417' }), /^DOCKER_FLEET_EXPORTER_WEB_LISTEN_ADDRESS: "9417"/);
    assert.equal(errorOf(['--web.telemetry-path=metrics']), '--web.telemetry-path: "metrics" must be a path starting with "/" (no query, no spaces)');
    assert.equal(errorOf(['--web.telemetry-path=/probe']), '--web.telemetry-path: "/probe" is served by the exporter already (/probe, /sd, /-/healthy, /healthz, /-/ready, /-/reload, /, /hosts/<name>)');
    assert.equal(errorOf(['--log.format=text']), '--log.format: "text" is not one of logfmt, json');
    assert.equal(errorOf([], { DOCKER_FLEET_EXPORTER_WEB_DISABLE_EXPORTER_METRICS: 'yes' }), 'DOCKER_FLEET_EXPORTER_WEB_DISABLE_EXPORTER_METRICS: "yes" is not true or false');
    assert.equal(errorOf(['--web.config.file=']), '--web.config.file: must not be empty');
  });
});

describe('parseListenAddress', () => {
  test('accepted forms', () => {
    assert.deepEqual(parseListenAddress(':9417'), { ok: true, port: 9417 });
    assert.deepEqual(parseListenAddress('127.0.0.1:9417'), { ok: true, host: '127.0.0.1', port: 9417 });
    assert.deepEqual(parseListenAddress('localhost:80'), { ok: true, host: 'localhost', port: 80 });
    assert.deepEqual(parseListenAddress('[::1]:9417'), { ok: true, host: '::1', port: 9417 });
    assert.deepEqual(parseListenAddress('[::]:9417'), { ok: true, host: '::', port: 9417 });
    assert.deepEqual(parseListenAddress(':0'), { ok: true, port: 0 });
  });

  test('rejected forms', () => {
    for (const bad of ['9417', 'localhost', ':', ':65536', ':-1', ':94a7', '::1:9417', '[::1]', '[::1]9417', '[nope]:9417', '[::1:9417', 'bad host:1', '']) {
      const r = parseListenAddress(bad);
      assert.equal(r.ok, false, `accepted ${JSON.stringify(bad)}`);
      if (!r.ok) assert.ok(r.error.startsWith(JSON.stringify(bad)), r.error);
    }
  });
});
