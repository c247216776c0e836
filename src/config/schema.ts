// The config file's shape: the convict schema of the top level, and the declared keys of one
// hosts[] item (convict cannot describe arrays of objects; hosts.ts checks items against these).
// Checks here only look at values; anything needing the file system or environment is in hosts.ts.
import os from 'node:os';
import convict from 'convict';
import { parseDuration } from '../util/duration.ts';
import { optionalFamilyNames, type FamilyName } from '../metrics/families/index.ts';

/** One problem (or warning) found in the configuration, before it is formatted for display. */
export interface ConfigIssue {
  /** Dotted snake_case path as the user wrote it, e.g. `hosts[2].tls.cert`; '' = the whole file. */
  path: string;
  /** The host's name, when the issue is inside a hosts[] item that has a usable one. */
  host?: string;
  message: string;
}

/** Returns what is wrong with a value, or undefined when it is fine. */
export type ValueCheck = (value: unknown) => string | undefined;

/** The top level as convict holds it once validate() has passed: snake_case, durations as text. */
export interface FileConfig {
  collection: { timeout: string; min_interval: string; max_staleness: string; concurrency: number };
  metrics: {
    families: FamilyName[];
    container_labels: string[];
    include: FilterFile;
    exclude: FilterFile;
  };
  pool: { threads: number };
  hosts: unknown[];
}

interface FilterFile {
  names: string[];
  labels: string[];
}


// ---- hosts[] item schema -------------------------------------------------------------------

export const HOST_KEYS = ['name', 'url', 'labels', 'tls', 'ssh'] as const;
export const TLS_KEYS = ['ca', 'cert', 'key', 'passphrase_file', 'passphrase_env', 'insecure_skip_verify'] as const;
export const SSH_KEYS = [
  'socket_path',
  'identity_file',
  'passphrase_file',
  'passphrase_env',
  'agent',
  'known_hosts',
  'host_key_fingerprint',
  'insecure_ignore_host_key',
  'keepalive_interval',
  'connect_timeout',
] as const;

export const SSH_DEFAULTS = {
  socket_path: '/var/run/docker.sock',
  keepalive_interval: '15s',
  connect_timeout: '5s',
} as const;

/** Host names become the `host` label value: keep them short and shell/URL friendly. */
export const HOST_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
export const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** OpenSSH's `ssh-keygen -lf` form: 32 bytes of SHA-256 as unpadded base64 (43 chars; the last
 * one carries 2 zero bits, hence its restricted alphabet). */
export const SSH_FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]$/;

// ---- value checks ------------------------------------------------------------------------------

export function isMapping(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** "a number", "a list"...: says what was found without echoing it (it may be a whole list). */
export function kindOf(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (isMapping(value)) return 'a mapping';
  return `a ${typeof value}`;
}

export function durationCheck(min: 'zero' | 'positive'): ValueCheck {
  return (value) => {
    if (typeof value !== 'string') return `must be a duration such as "8s", got ${kindOf(value)}`;
    const ms = parseDuration(value);
    if (ms === undefined) return `${JSON.stringify(value)} is not a duration (Prometheus style: "500ms", "8s", "1m30s")`;
    if (min === 'positive' && ms === 0) return 'must be longer than 0s';
    return undefined;
  };
}

export function integerCheck(min: number): ValueCheck {
  return (value) => {
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) return `must be an integer, got ${kindOf(value)}`;
    if (value < min) return `must be ${min} or more, got ${value}`;
    return undefined;
  };
}

function listCheck(item: (value: unknown) => string | undefined): ValueCheck {
  return (value) => {
    if (!Array.isArray(value)) return `must be a list, got ${kindOf(value)}`;
    const problems = value
      .map((v, i) => ({ i, problem: item(v) }))
      .filter((p) => p.problem !== undefined)
      .map((p) => `[${p.i}] ${p.problem}`);
    return problems.length > 0 ? problems.join('; ') : undefined;
  };
}

const nonEmptyString = (value: unknown): string | undefined =>
  typeof value === 'string' && value.length > 0 ? undefined : `must be a non-empty string, got ${kindOf(value)}`;

const familiesCheck = listCheck((value) =>
  typeof value === 'string' && optionalFamilyNames().includes(value)
    ? undefined
    : `must be one of ${optionalFamilyNames().join(', ')}, got ${typeof value === 'string' ? JSON.stringify(value) : kindOf(value)}`,
);

/** Container label filters: "key" (present) or "key=value". */
const labelFilterCheck = listCheck((value) => {
  const problem = nonEmptyString(value);
  if (problem !== undefined) return problem;
  return (value as string).startsWith('=') ? `${JSON.stringify(value)} has no label key before "="` : undefined;
});

// ---- the convict schema --------------------------------------------------------------------

/**
 * Every leaf uses this one named format, and carries its own `check`. A named format (rather than
 * a format function) keeps convict from "coercing" strings first: for function formats it would
 * parseFloat("12abc") into 12 or JSON.parse a string given where a list belongs.
 */
const CHECKED = 'docker-fleet-exporter-checked';
convict.addFormat({
  name: CHECKED,
  validate(value: unknown, item: convict.SchemaObj) {
    const check = item['check'] as (v: unknown) => boolean;
    if (!check(value)) throw new Error('invalid (reported separately)');
  },
});

/** Where the leaf checks of one load put what they find. */
export interface IssueSink {
  issues: ConfigIssue[];
  /** Top-level schema keys already reported: convict's own line for them is dropped. */
  failedKeys: Set<string>;
}

/** Validates the hosts list; returns its issues (paths like `hosts[1].url`). Called once. */
export type HostsCheck = (value: unknown) => ConfigIssue[];

/**
 * The schema of one load. Leaf checks record into `sink`; `checkHosts` validates the whole
 * hosts list (each item against HOST_KEYS etc.) and is where normalized hosts come from.
 */
export function configSchema(sink: IssueSink, checkHosts: HostsCheck) {
  const leaf = <T>(path: string, defaultValue: T, doc: string, check: ValueCheck) => ({
    doc,
    default: defaultValue,
    format: CHECKED,
    check: (value: unknown): boolean => {
      if (sink.failedKeys.has(path)) return false; // already reported before convict ran
      const problem = check(value);
      if (problem === undefined) return true;
      sink.issues.push({ path, message: problem });
      sink.failedKeys.add(path);
      return false;
    },
  });
  const filter = (which: 'include' | 'exclude') => ({
    names: leaf(`metrics.${which}.names`, [] as string[], 'Container name globs (* and ?).', listCheck(nonEmptyString)),
    labels: leaf(`metrics.${which}.labels`, [] as string[], 'Container labels: "key" or "key=value".', labelFilterCheck),
  });
  return {
    collection: {
      timeout: leaf('collection.timeout', '8s', 'Per-host probe deadline.', durationCheck('positive')),
      min_interval: leaf('collection.min_interval', '0s', 'Serve a probe result younger than this.', durationCheck('zero')),
      max_staleness: leaf('collection.max_staleness', '60s', 'Serve a late host its last snapshot while younger than this.', durationCheck('zero')),
      concurrency: leaf('collection.concurrency', 256, 'Engine API requests in flight per host.', integerCheck(1)),
    },
    metrics: {
      families: leaf('metrics.families', optionalFamilyNames(), 'Metric families to export.', familiesCheck),
      container_labels: leaf(
        'metrics.container_labels',
        ['com.docker.compose.project', 'com.docker.compose.service'],
        'Docker labels exported on container_info.',
        listCheck(nonEmptyString),
      ),
      include: filter('include'),
      exclude: filter('exclude'),
    },
    pool: {
      threads: leaf('pool.threads', os.availableParallelism(), 'Stats parsing threads; 0 = main thread.', integerCheck(0)),
    },
    hosts: {
      doc: 'The Docker daemons to watch.',
      default: [] as unknown[],
      format: CHECKED,
      check: (value: unknown): boolean => {
        if (sink.failedKeys.has('hosts')) return false;
        const found = checkHosts(value);
        if (found.length === 0) return true;
        sink.issues.push(...found);
        sink.failedKeys.add('hosts');
        return false;
      },
    },
  };
}

export type ConfigSchema = ReturnType<typeof configSchema>;

/** A schema node with a `default` is a leaf; any other object is a section of named children. */
export function isLeaf(node: unknown): boolean {
  return isMapping(node) && Object.hasOwn(node, 'default');
}

export function createConfig(schema: ConfigSchema): convict.Config<FileConfig> {
  // env and args are given empty: flags and environment are cli-args.ts' business, not convict's.
  return convict<FileConfig>(schema as unknown as convict.Schema<FileConfig>, { env: {}, args: [] });
}
