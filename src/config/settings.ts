// Every setting, each declared once: its file key, default, doc, check and internal value, and
// the flag and environment variable that set it too. --help (cli/flags.ts), the configuration
// reference (docs/configuration.md) and the loader read these declarations. A new setting is one
// entry here (the hosts list is hosts.ts; a transport's block is its own file in transport/).
import os from 'node:os';
import { optionalFamilyNames } from '../metrics/families/index.ts';
import { bool, duration, field, fieldsOf, flag, integer, kindOf, list, nonEmptyString, oneOf, optionalText, rebuilds, section, text, type Field, type FieldAt, type ValueOf } from '../schema/fields.ts';
import { fixedRoutePaths, fixedRouteServing } from '../routes.ts';
import { LOG_FORMATS } from '../util/logfmt.ts';
import { DOCKER_CONTEXTS } from './contexts.ts';
import { defaultPoolThreads } from './defaults.ts';
import { parseListenAddress } from './listen-address.ts';

const ENV = 'DOCKER_FLEET_EXPORTER_';

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

const COLLECTION = section({
  // a timer per probe
  timeoutMs: duration('timeout', 'Per-host probe deadline.', '8s', 'positive', true),
  minIntervalMs: duration('min_interval', 'Serve a probe result younger than this.', '0s', 'zero'),
  maxStalenessMs: duration('max_staleness', 'Serve a late host its last snapshot while younger than this.', '60s', 'zero'),
  // the size of the transport's connection pool
  concurrency: rebuilds(integer('concurrency', 'Engine API requests in flight per host.', 256, 1)),
  // the tracker starts or stops its disk poller only when it is built
  diskIntervalMs: rebuilds(duration('disk_interval', 'How often each host is asked for its disk usage (GET /system/df), in the background; 0s = never.', '5m', 'zero')),
  diskMaxVolumes: integer('disk_max_volumes', 'Volumes per host with docker_volume_usage_bytes: the largest of those the exported containers mount.', 100, 0),
  // the stream opens and closes with the tracker
  events: rebuilds(bool('events', "Follow each host's Docker event stream (GET /events) and count what happens between scrapes; hosts[].events overrides it per host.", true)),
});

/**
 * The collection settings a host's tracker reads once (declared with rebuilds()), by file key:
 * a reload that changes one of them rebuilds the tracker.
 */
export function trackerBuildSettings(collection: ValueOf<typeof COLLECTION>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(COLLECTION.fields).flatMap(([name, f]) => (f.rebuild === true ? [[f.key, collection[name as keyof typeof collection]]] : [])));
}

const SHARD = section({
  count: flag(integer('count', 'Replicas the hosts are split between; this one serves the hosts whose stable hash of the name falls in its shard.index.', 1, 1), {
    name: 'shard.count',
    env: `${ENV}SHARD_COUNT`,
  }),
  index: flag(integer('index', 'This replica, from 0 to shard.count - 1.', 0, 0), { name: 'shard.index', env: `${ENV}SHARD_INDEX` }),
});

const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;

/** The telemetry path is a path of its own: not one the route table (routes.ts) serves already. */
function telemetryPathCheck(text: string): string | undefined {
  if (!/^\/[^?#\s]*$/.test(text)) return `${JSON.stringify(text)} must be a path starting with "/" (no query, no spaces)`;
  if (fixedRouteServing(text)) return `${JSON.stringify(text)} is served by the exporter already (${fixedRoutePaths()})`;
  return undefined;
}

function listenAddressCheck(value: unknown): string | undefined {
  const problem = nonEmptyString(value);
  if (problem !== undefined) return problem;
  const address = parseListenAddress(value as string);
  return address.ok ? undefined : address.error;
}

/** Flags only: how the server listens and answers (the listeners are not rebound on a reload). */
export const WEB = section({
  listenAddresses: flag(
    list('listen_address', 'Address to serve metrics on: ":port", "host:port" or "[v6]:port". The healthcheck uses the first.', [':9417'], listenAddressCheck),
    { name: 'web.listen-address', env: `${ENV}WEB_LISTEN_ADDRESS`, repeatable: true },
    false,
  ),
  telemetryPath: flag(text('telemetry_path', "Path serving every host's metrics.", '/metrics', telemetryPathCheck), { name: 'web.telemetry-path', env: `${ENV}WEB_TELEMETRY_PATH` }, false),
  disableExporterMetrics: flag(
    bool('disable_exporter_metrics', 'Leave out the process_* and nodejs_* metrics of the exporter itself.'),
    { name: 'web.disable-exporter-metrics', env: `${ENV}WEB_DISABLE_EXPORTER_METRICS`, switch: true },
    false,
  ),
  maxRequests: flag(
    // node_exporter's default
    integer('max_requests', 'Requests to /metrics and /probe collected at once; more are answered 503 at once. As many responses may be being sent; one more cuts off the one sending longest. 0 = no limit. (/ and /healthz are not limited.)', 40, 0, ' (0 = no limit)'),
    { name: 'web.max-requests', env: `${ENV}WEB_MAX_REQUESTS` },
    false,
  ),
  // Longer than any sane scrape_timeout (Prometheus' default is 10s, and it gives up on a body by
  // then), short enough that a client that stopped reading frees its socket and the body it pins
  // within minutes. At 2m a client still gets a 75 MB body (200 hosts x 50 containers) at 640 KB/s.
  writeTimeoutMs: flag(
    duration('write_timeout', 'A client that has not taken a whole response this long after it was started is disconnected. Prometheus-style duration; 0 = never.', '2m', 'zero', true),
    { name: 'web.write-timeout', env: `${ENV}WEB_WRITE_TIMEOUT` },
    false,
  ),
});

/** Flags only. */
const LOG = section({
  level: flag(oneOf('level', `Log level: ${LOG_LEVELS.join(', ')}.`, LOG_LEVELS, 'info'), { name: 'log.level', env: `${ENV}LOG_LEVEL` }, false),
  format: flag(oneOf('format', `Log format: ${LOG_FORMATS.join(', ')} (logfmt as the Prometheus exporters).`, LOG_FORMATS, 'logfmt'), { name: 'log.format', env: `${ENV}LOG_FORMAT` }, false),
});

/** The command's own flags: which files to read, and whether to only check them. */
export const COMMAND = section({
  configFile: flag(
    optionalText('config_file', 'Configuration file (.yml, .yaml or .json); see config/example.yml. Without one, watches the daemon of DOCKER_HOST (default unix:///var/run/docker.sock) as host "local".'),
    { name: 'config.file', env: `${ENV}CONFIG_FILE`, shown: 'PATH' },
    false,
  ),
  configCheck: flag(
    bool('config_check', 'Check the configuration (the file, every file it names, the Docker context store) as startup does, print what is wrong or a summary of the hosts, and exit: 0 when it is valid, else 1. Nothing listens.'),
    { name: 'config.check', env: `${ENV}CONFIG_CHECK`, switch: true },
    false,
  ),
  webConfigFile: flag(
    optionalText('web_config_file', 'Web config file (exporter-toolkit format): TLS, basic auth, headers, rate limit. Re-read when it changes.'),
    { name: 'web.config.file', env: `${ENV}WEB_CONFIG_FILE`, shown: 'PATH' },
    false,
  ),
});

/**
 * Every setting: the file's top level, and the flag-only web and log sections. `hosts` is the
 * hosts list's field (hosts.ts); the hosts of `docker_contexts` are imported by contexts.ts. Made
 * at each load: the families registered by then are the allowed values.
 */
export function settings<H>(hosts: Field<H>) {
  return section({
    collection: COLLECTION,
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
    shard: SHARD,
    web: WEB,
    log: LOG,
  });
}

/** Every setting a flag sets, with its file key's path, in --help's order: the command's, then the settings' in declaration order. */
export function flagFields(): FieldAt[] {
  const noHosts = field('hosts', '', [], () => undefined, () => []);
  return [...fieldsOf(COMMAND), ...fieldsOf(settings(noHosts))].filter((f) => f.field.flag !== undefined);
}
