// Command-line flags, Prometheus exporter style (--config.file, --web.listen-address, --log.level,
// ...), each with an environment fallback. Flags win over the environment; an empty variable is unset.
import net from 'node:net';
import { parseArgs } from 'node:util';
import type { ExporterConfig } from './config/types.ts';
import { formatDuration, parseDuration } from './util/duration.ts';

export type LogLevel = ExporterConfig['log']['level'];
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];
export const LOG_FORMATS = ['logfmt', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];
export const DEFAULT_LISTEN_ADDRESS = ':9417';
export const DEFAULT_LOG_LEVEL: LogLevel = 'info';
export const DEFAULT_LOG_FORMAT: LogFormat = 'logfmt';
export const DEFAULT_TELEMETRY_PATH = '/metrics';
/** paths the exporter serves itself: the telemetry path cannot be one of them */
const RESERVED_PATHS = ['/', '/probe', '/-/healthy', '/-/ready', '/healthz'];
/** node_exporter's default */
export const DEFAULT_MAX_REQUESTS = 40;
/**
 * Longer than any sane scrape_timeout (Prometheus' default is 10s, and it gives up on a body by
 * then), short enough that a client that stopped reading frees its socket and the body it pins
 * within minutes. At 2m a client still gets a 75 MB body (200 hosts x 50 containers) at 640 KB/s.
 */
export const DEFAULT_WRITE_TIMEOUT_MS = 120_000;
const MAX_TIMER_MS = 2 ** 31 - 1;

export const ENV = {
  configFile: 'DOCKER_FLEET_EXPORTER_CONFIG_FILE',
  listenAddress: 'DOCKER_FLEET_EXPORTER_WEB_LISTEN_ADDRESS',
  logLevel: 'DOCKER_FLEET_EXPORTER_LOG_LEVEL',
  maxRequests: 'DOCKER_FLEET_EXPORTER_WEB_MAX_REQUESTS',
  writeTimeout: 'DOCKER_FLEET_EXPORTER_WEB_WRITE_TIMEOUT',
  webConfigFile: 'DOCKER_FLEET_EXPORTER_WEB_CONFIG_FILE',
  telemetryPath: 'DOCKER_FLEET_EXPORTER_WEB_TELEMETRY_PATH',
  disableExporterMetrics: 'DOCKER_FLEET_EXPORTER_WEB_DISABLE_EXPORTER_METRICS',
  logFormat: 'DOCKER_FLEET_EXPORTER_LOG_FORMAT',
} as const;

export type CliResult =
  | {
      kind: 'run';
      configFile?: string;
      /** at least one; the healthcheck uses the first */
      listenAddresses: string[];
      logLevel: LogLevel;
      logFormat: LogFormat;
      maxRequests: number;
      writeTimeoutMs: number;
      webConfigFile?: string;
      telemetryPath: string;
      disableExporterMetrics: boolean;
    }
  | { kind: 'help'; text: string }
  | { kind: 'version' }
  | { kind: 'error'; message: string };

export const helpText = `usage: docker-fleet-exporter [<flags>]
       docker-fleet-exporter healthcheck [<flags>]

Prometheus exporter for a fleet of Docker daemons (unix socket, TCP with mutual TLS, SSH).
healthcheck: exit 0 if the server these flags configure answers /-/healthy, else 1.

Flags:
  -h, --help                 Show this help and exit.
      --version              Show the version and exit.
      --config.file=PATH     Configuration file (.yml, .yaml or .json); see config/example.yml.
                             Without one, watches the daemon of DOCKER_HOST (default
                             unix:///var/run/docker.sock) as host "local".
                             ($${ENV.configFile})
      --web.listen-address="${DEFAULT_LISTEN_ADDRESS}"
                             Address to serve metrics on: ":port", "host:port" or "[v6]:port".
                             Repeatable, to listen on several. ($${ENV.listenAddress},
                             comma-separated)
      --web.config.file=PATH Web config file (exporter-toolkit format): TLS, basic auth,
                             headers, rate limit. Re-read when it changes.
                             ($${ENV.webConfigFile})
      --web.telemetry-path="${DEFAULT_TELEMETRY_PATH}"
                             Path serving every host's metrics. ($${ENV.telemetryPath})
      --web.disable-exporter-metrics
                             Leave out the process_* and nodejs_* metrics of the exporter
                             itself. ($${ENV.disableExporterMetrics}=true)
      --web.max-requests=${DEFAULT_MAX_REQUESTS}
                             Requests to /metrics and /probe served at once; more are answered
                             503 at once. 0 = no limit. (/ and /healthz are not limited.)
                             ($${ENV.maxRequests})
      --web.write-timeout=${formatDuration(DEFAULT_WRITE_TIMEOUT_MS)}
                             A client that has not taken a whole response this long after it
                             was started is disconnected. Prometheus-style duration; 0 = never.
                             ($${ENV.writeTimeout})
      --log.level=${DEFAULT_LOG_LEVEL}       Log level: ${LOG_LEVELS.join(', ')}.
                             ($${ENV.logLevel})
      --log.format=${DEFAULT_LOG_FORMAT}     Log format: ${LOG_FORMATS.join(', ')}. ($${ENV.logFormat})
`;

export type ListenAddress = { ok: true; host?: string; port: number } | { ok: false; error: string };

const HOSTNAME = /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/;

/** ":9417" (all interfaces), "127.0.0.1:9417", "localhost:9417" or "[::1]:9417". Port 0 = any free port. */
export function parseListenAddress(text: string): ListenAddress {
  const fail = (why: string): ListenAddress => ({ ok: false, error: `${JSON.stringify(text)}: ${why}` });
  let host: string | undefined;
  let portText: string;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) return fail('unterminated [');
    host = text.slice(1, close);
    if (!net.isIPv6(host)) return fail(`${JSON.stringify(host)} is not an IPv6 address`);
    if (text[close + 1] !== ':') return fail('expected ":port" after the ]');
    portText = text.slice(close + 2);
  } else {
    const colon = text.lastIndexOf(':');
    if (colon < 0) return fail('expected host:port or :port');
    const h = text.slice(0, colon);
    portText = text.slice(colon + 1);
    if (h.includes(':')) return fail('IPv6 addresses need brackets, e.g. [::1]:9417');
    if (h !== '') {
      if (!HOSTNAME.test(h)) return fail(`${JSON.stringify(h)} is not a host name or IPv4 address`);
      host = h;
    }
  }
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 0 && port <= 65535)) return fail('the port must be a number from 0 to 65535');
  return host === undefined ? { ok: true, port } : { ok: true, host, port };
}

function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

function isLogFormat(value: string): value is LogFormat {
  return (LOG_FORMATS as readonly string[]).includes(value);
}

const OPTIONS = {
  'config.file': { type: 'string' },
  'web.listen-address': { type: 'string', multiple: true },
  'web.config.file': { type: 'string' },
  'web.telemetry-path': { type: 'string' },
  'web.disable-exporter-metrics': { type: 'boolean' },
  'log.level': { type: 'string' },
  'log.format': { type: 'string' },
  'web.max-requests': { type: 'string' },
  'web.write-timeout': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const;

/** `argv` without the node and script entries (process.argv.slice(2)). */
export function parseCliArgs(argv: string[], env: NodeJS.ProcessEnv): CliResult {
  let flags: ReturnType<typeof parseArgs<{ args: string[]; options: typeof OPTIONS; strict: true; allowPositionals: false }>>;
  try {
    flags = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false });
  } catch (err) {
    // node's messages name the flag: "Unknown option '--foo'", "Unexpected argument 'x'"...
    return { kind: 'error', message: `${(err as Error).message} (see --help)` };
  }
  const { values } = flags;
  if (values.help === true) return { kind: 'help', text: helpText };
  if (values.version === true) return { kind: 'version' };

  // Which flag or variable a value came from, so that an error can name it.
  const pick = (flag: string, fromFlag: string | undefined, variable: string): { value: string; source: string } | undefined => {
    if (fromFlag !== undefined) return { value: fromFlag, source: `--${flag}` };
    const fromEnv = env[variable];
    return fromEnv !== undefined && fromEnv !== '' ? { value: fromEnv, source: variable } : undefined;
  };

  const configFile = pick('config.file', values['config.file'], ENV.configFile);
  if (configFile?.value === '') return { kind: 'error', message: `${configFile.source}: must not be empty` };

  const listenFlags = values['web.listen-address'];
  const listenEnv = env[ENV.listenAddress];
  const listen = listenFlags !== undefined
    ? { values: listenFlags, source: '--web.listen-address' }
    : listenEnv !== undefined && listenEnv !== ''
      ? { values: listenEnv.split(',').map((a) => a.trim()), source: ENV.listenAddress }
      : { values: [DEFAULT_LISTEN_ADDRESS], source: '--web.listen-address' };
  for (const address of listen.values) {
    const parsed = parseListenAddress(address);
    if (!parsed.ok) return { kind: 'error', message: `${listen.source}: ${parsed.error}` };
  }
  const listenAddresses = [...new Set(listen.values)];

  const webConfig = pick('web.config.file', values['web.config.file'], ENV.webConfigFile);
  if (webConfig?.value === '') return { kind: 'error', message: `${webConfig.source}: must not be empty` };

  const telemetry = pick('web.telemetry-path', values['web.telemetry-path'], ENV.telemetryPath);
  const telemetryPath = telemetry?.value ?? DEFAULT_TELEMETRY_PATH;
  if (!/^\/[^?#\s]*$/.test(telemetryPath)) {
    return { kind: 'error', message: `${telemetry?.source ?? '--web.telemetry-path'}: ${JSON.stringify(telemetryPath)} must be a path starting with "/" (no query, no spaces)` };
  }
  if (RESERVED_PATHS.includes(telemetryPath)) {
    return { kind: 'error', message: `${telemetry?.source ?? '--web.telemetry-path'}: ${JSON.stringify(telemetryPath)} is served by the exporter already (${RESERVED_PATHS.join(', ')})` };
  }

  let disableExporterMetrics = values['web.disable-exporter-metrics'] === true;
  const disableEnv = env[ENV.disableExporterMetrics];
  if (values['web.disable-exporter-metrics'] === undefined && disableEnv !== undefined && disableEnv !== '') {
    if (disableEnv !== 'true' && disableEnv !== 'false') return { kind: 'error', message: `${ENV.disableExporterMetrics}: ${JSON.stringify(disableEnv)} is not true or false` };
    disableExporterMetrics = disableEnv === 'true';
  }

  const format = pick('log.format', values['log.format'], ENV.logFormat);
  const logFormat = format?.value ?? DEFAULT_LOG_FORMAT;
  if (!isLogFormat(logFormat)) {
    return { kind: 'error', message: `${format?.source ?? '--log.format'}: ${JSON.stringify(logFormat)} is not one of ${LOG_FORMATS.join(', ')}` };
  }

  const level = pick('log.level', values['log.level'], ENV.logLevel);
  const logLevel = level?.value ?? DEFAULT_LOG_LEVEL;
  if (!isLogLevel(logLevel)) {
    return { kind: 'error', message: `${level?.source ?? '--log.level'}: ${JSON.stringify(logLevel)} is not one of ${LOG_LEVELS.join(', ')}` };
  }

  let maxRequests = DEFAULT_MAX_REQUESTS;
  const max = pick('web.max-requests', values['web.max-requests'], ENV.maxRequests);
  if (max !== undefined) {
    if (!/^\d{1,9}$/.test(max.value)) return { kind: 'error', message: `${max.source}: ${JSON.stringify(max.value)} is not a whole number (0 = no limit)` };
    maxRequests = Number(max.value);
  }

  let writeTimeoutMs = DEFAULT_WRITE_TIMEOUT_MS;
  const write = pick('web.write-timeout', values['web.write-timeout'], ENV.writeTimeout);
  if (write !== undefined) {
    const ms = parseDuration(write.value);
    if (ms === undefined) return { kind: 'error', message: `${write.source}: ${JSON.stringify(write.value)} is not a duration like 30s or 2m (0 = never)` };
    // node turns a longer timer into 1 ms
    if (ms > MAX_TIMER_MS) return { kind: 'error', message: `${write.source}: ${JSON.stringify(write.value)} is longer than 24d` };
    writeTimeoutMs = ms;
  }

  const result: CliResult = { kind: 'run', listenAddresses, logLevel, logFormat, maxRequests, writeTimeoutMs, telemetryPath, disableExporterMetrics };
  if (configFile !== undefined) result.configFile = configFile.value;
  if (webConfig !== undefined) result.webConfigFile = webConfig.value;
  return result;
}
