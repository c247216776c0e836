// Every setting of the config file and every flag, each declared once: its key, default, doc,
// check and internal value. A new setting is one line here (the hosts list is hosts.ts; a
// transport's block is its own file in transport/).
import os from 'node:os';
import { optionalFamilyNames } from '../metrics/families/index.ts';
import { bool, duration, integer, kindOf, list, nonEmptyString, section, type Field } from '../schema/fields.ts';
import { fail, ok, parseSwitch, type Flag, type FlagValues, type RepeatableFlag } from '../schema/flags.ts';
import { fixedRoutePaths, fixedRouteServing } from '../routes.ts';
import { formatDuration, MAX_TIMER_MS, parseDuration } from '../util/duration.ts';
import { LOG_FORMATS, type LogFormat } from '../util/logfmt.ts';
import { DOCKER_CONTEXTS } from './contexts.ts';
import { defaultPoolThreads } from './defaults.ts';
import { parseListenAddress } from './listen-address.ts';

function familyCheck(value: unknown): string | undefined {
  const names = optionalFamilyNames();
  if (typeof value === 'string' && names.includes(value)) return undefined;
  return `must be one of ${names.join(', ')}, got ${typeof value === 'string' ? JSON.stringify(value) : kindOf(value)}`;
}

/** Container label filters: "key" (present) or "key=value". */
function labelFilterCheck(value: unknown): string | undefined {
  return nonEmptyString(value) ?? ((value as string).startsWith('=') ? `${JSON.stringify(value)} has no label key before "="` : undefined);
}

const containerFilter = () =>
  section({
    names: list('names', 'Container name globs (* and ?).', [], nonEmptyString),
    labels: list('labels', 'Container labels: "key" or "key=value".', [], labelFilterCheck),
  });

/**
 * The file's top level; `hosts` is the hosts list's field (hosts.ts); the hosts of
 * `docker_contexts` are imported by contexts.ts. Made at each load: the families registered by
 * then are the allowed values.
 */
export function settings<H>(hosts: Field<H>) {
  return section({
    collection: section({
      timeoutMs: duration('timeout', 'Per-host probe deadline.', '8s', 'positive'),
      minIntervalMs: duration('min_interval', 'Serve a probe result younger than this.', '0s', 'zero'),
      maxStalenessMs: duration('max_staleness', 'Serve a late host its last snapshot while younger than this.', '60s', 'zero'),
      concurrency: integer('concurrency', 'Engine API requests in flight per host.', 256, 1),
      diskIntervalMs: duration('disk_interval', 'How often each host is asked for its disk usage (GET /system/df), in the background; 0s = never.', '5m', 'zero'),
      diskMaxVolumes: integer('disk_max_volumes', 'Volumes per host with docker_volume_usage_bytes: the largest of those the exported containers mount.', 100, 0),
      events: bool('events', "Follow each host's Docker event stream (GET /events) and count what happens between scrapes; hosts[].events overrides it per host.", true),
    }),
    metrics: section({
      families: list('families', 'Metric families to export.', optionalFamilyNames(), familyCheck, true),
      containerLabels: list('container_labels', 'Docker labels exported on container_info.', ['com.docker.compose.project', 'com.docker.compose.service'], nonEmptyString, true),
      include: containerFilter(),
      exclude: containerFilter(),
    }),
    pool: section({
      threads: integer('threads', 'Stats parsing threads; 0 = main thread. Default: 0 with 1-2 cores, else the core count.', defaultPoolThreads(os.availableParallelism()), 0),
    }),
    hosts,
    // a section is named as the file spells it
    docker_contexts: DOCKER_CONTEXTS,
    shard: section({
      count: integer('count', 'Replicas the hosts are split between (--shard.count overrides it).', 1, 1),
      index: integer('index', 'This replica, from 0 to count - 1 (--shard.index overrides it).', 0, 0),
    }),
  });
}

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const nonEmptyPath = (text: string) => (text === '' ? fail('must not be empty') : ok(text));

/**
 * Longer than any sane scrape_timeout (Prometheus' default is 10s, and it gives up on a body by
 * then), short enough that a client that stopped reading frees its socket and the body it pins
 * within minutes. At 2m a client still gets a 75 MB body (200 hosts x 50 containers) at 640 KB/s.
 */
const WRITE_TIMEOUT_MS = 120_000;

const wholeNumber = (min: number) => (text: string) =>
  /^\d{1,9}$/.test(text) && Number(text) >= min ? ok(Number(text)) : fail(`${JSON.stringify(text)} is not a whole number of ${min} or more`);

/** The flags, in --help's order; each reads its environment variable when not given. */
export const FLAGS = {
  configFile: {
    name: 'config.file',
    env: 'DOCKER_FLEET_EXPORTER_CONFIG_FILE',
    shown: 'PATH',
    doc: 'Configuration file (.yml, .yaml or .json); see config/example.yml. Without one, watches the daemon of DOCKER_HOST (default unix:///var/run/docker.sock) as host "local".',
    parse: nonEmptyPath,
  },
  configCheck: {
    name: 'config.check',
    env: 'DOCKER_FLEET_EXPORTER_CONFIG_CHECK',
    switch: true,
    shown: '',
    doc: 'Check the configuration (the file, every file it names, the Docker context store) as startup does, print what is wrong or a summary of the hosts, and exit: 0 when it is valid, else 1. Nothing listens.',
    parse: parseSwitch,
  },
  shardCount: {
    name: 'shard.count',
    env: 'DOCKER_FLEET_EXPORTER_SHARD_COUNT',
    shown: 'N',
    doc: 'Replicas the hosts are split between; this one serves the hosts whose stable hash of the name falls in its --shard.index. Overrides shard.count of the config file (default 1: every host).',
    parse: wholeNumber(1),
  },
  shardIndex: {
    name: 'shard.index',
    env: 'DOCKER_FLEET_EXPORTER_SHARD_INDEX',
    shown: 'I',
    doc: 'This replica, from 0 to --shard.count - 1. Overrides shard.index of the config file (default 0).',
    parse: wholeNumber(0),
  },
  listenAddresses: {
    name: 'web.listen-address',
    env: 'DOCKER_FLEET_EXPORTER_WEB_LISTEN_ADDRESS',
    repeatable: true,
    default: [':9417'],
    shown: '":9417"',
    doc: 'Address to serve metrics on: ":port", "host:port" or "[v6]:port". The healthcheck uses the first.',
    parse(text: string) {
      const address = parseListenAddress(text);
      return address.ok ? ok(text) : fail(address.error);
    },
  },
  webConfigFile: {
    name: 'web.config.file',
    env: 'DOCKER_FLEET_EXPORTER_WEB_CONFIG_FILE',
    shown: 'PATH',
    doc: 'Web config file (exporter-toolkit format): TLS, basic auth, headers, rate limit. Re-read when it changes.',
    parse: nonEmptyPath,
  },
  telemetryPath: {
    name: 'web.telemetry-path',
    env: 'DOCKER_FLEET_EXPORTER_WEB_TELEMETRY_PATH',
    default: '/metrics',
    shown: '"/metrics"',
    doc: "Path serving every host's metrics.",
    parse(text: string) {
      if (!/^\/[^?#\s]*$/.test(text)) return fail(`${JSON.stringify(text)} must be a path starting with "/" (no query, no spaces)`);
      if (fixedRouteServing(text)) return fail(`${JSON.stringify(text)} is served by the exporter already (${fixedRoutePaths()})`);
      return ok(text);
    },
  },
  disableExporterMetrics: {
    name: 'web.disable-exporter-metrics',
    env: 'DOCKER_FLEET_EXPORTER_WEB_DISABLE_EXPORTER_METRICS',
    switch: true,
    default: false,
    shown: '',
    doc: 'Leave out the process_* and nodejs_* metrics of the exporter itself.',
    parse: parseSwitch,
  },
  maxRequests: {
    name: 'web.max-requests',
    env: 'DOCKER_FLEET_EXPORTER_WEB_MAX_REQUESTS',
    // node_exporter's default
    default: 40,
    shown: '40',
    doc: 'Requests to /metrics and /probe collected at once; more are answered 503 at once. As many responses may be being sent; one more cuts off the one sending longest. 0 = no limit. (/ and /healthz are not limited.)',
    parse: (text: string) => (/^\d{1,9}$/.test(text) ? ok(Number(text)) : fail(`${JSON.stringify(text)} is not a whole number (0 = no limit)`)),
  },
  writeTimeoutMs: {
    name: 'web.write-timeout',
    env: 'DOCKER_FLEET_EXPORTER_WEB_WRITE_TIMEOUT',
    default: WRITE_TIMEOUT_MS,
    shown: formatDuration(WRITE_TIMEOUT_MS),
    doc: 'A client that has not taken a whole response this long after it was started is disconnected. Prometheus-style duration; 0 = never.',
    parse(text: string) {
      const ms = parseDuration(text);
      if (ms === undefined) return fail(`${JSON.stringify(text)} is not a duration like 30s or 2m (0 = never)`);
      return ms > MAX_TIMER_MS ? fail(`${JSON.stringify(text)} is longer than 24d`) : ok(ms);
    },
  },
  logLevel: {
    name: 'log.level',
    env: 'DOCKER_FLEET_EXPORTER_LOG_LEVEL',
    default: 'info' as LogLevel,
    shown: 'info',
    doc: `Log level: ${LOG_LEVELS.join(', ')}.`,
    parse(text: string) {
      const level = LOG_LEVELS.find((l) => l === text);
      return level === undefined ? fail(`${JSON.stringify(text)} is not one of ${LOG_LEVELS.join(', ')}`) : ok(level);
    },
  },
  logFormat: {
    name: 'log.format',
    env: 'DOCKER_FLEET_EXPORTER_LOG_FORMAT',
    default: 'logfmt' as LogFormat,
    shown: 'logfmt',
    doc: `Log format: ${LOG_FORMATS.join(', ')} (logfmt as the Prometheus exporters).`,
    parse(text: string) {
      const format = LOG_FORMATS.find((f) => f === text);
      return format === undefined ? fail(`${JSON.stringify(text)} is not one of ${LOG_FORMATS.join(', ')}`) : ok(format);
    },
  },
} as const satisfies Record<string, Flag<unknown> | RepeatableFlag<unknown>>;

export type FlagSettings = FlagValues<typeof FLAGS>;
