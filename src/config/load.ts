// Loading: file -> parsed data -> convict (top-level shape, strict keys) + hosts.ts (items)
// -> the normalized ExporterConfig. Bad input never throws: every problem becomes one line that
// names the file, the key as the user wrote it, and the host where there is one.
import fs from 'node:fs';
import path from 'node:path';
import convict from 'convict';
import { LineCounter, parseDocument } from 'yaml';
import { parseDuration } from '../util/duration.ts';
import { DEFAULT_LISTEN_ADDRESS, DEFAULT_LOG_LEVEL, DEFAULT_MAX_REQUESTS, DEFAULT_TELEMETRY_PATH, DEFAULT_WRITE_TIMEOUT_MS, LOG_LEVELS, parseListenAddress, type LogLevel } from '../cli-args.ts';
import { defaultHost, homeDir } from './defaults.ts';
import { checkHosts, type HostsResult } from './hosts.ts';
import { configSchema, createConfig, kindOf, isLeaf, isMapping, type ConfigIssue, type FileConfig, type IssueSink } from './schema.ts';
import type { ExporterConfig, HostConfig } from './types.ts';

export interface LoadOptions {
  /** No file: one host, `local`, from DOCKER_HOST (see defaults.ts). */
  file?: string;
  env: NodeJS.ProcessEnv;
  listenAddress?: string;
  logLevel?: string;
  /** flags, checked by parseCliArgs */
  maxRequests?: number;
  writeTimeoutMs?: number;
  telemetryPath?: string;
  disableExporterMetrics?: boolean;
}

export type LoadResult =
  | { ok: true; config: ExporterConfig; warnings: string[] }
  | { ok: false; errors: string[] };

type Parsed = { ok: true; value: unknown } | { ok: false; error: string };

/** Throws on invalid YAML, as convict expects of a parser (loadConfig itself uses parseYaml). */
function yamlForConvict(text: string): unknown {
  const r = parseYaml(text);
  if (!r.ok) throw new Error(r.error);
  return r.value;
}
// So that convict's own loadFile() reads YAML too; loadConfig reads files itself, to report
// read and parse errors with the file name and position instead of throwing.
convict.addParser({ extension: ['yml', 'yaml'], parse: yamlForConvict });

function parseYaml(text: string): Parsed {
  const lines = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, lineCounter: lines });
  const first = doc.errors[0];
  if (first !== undefined) {
    const at = lines.linePos(first.pos[0]);
    const more = doc.errors.length > 1 ? ` (and ${doc.errors.length - 1} more)` : '';
    return { ok: false, error: `line ${at.line}, column ${at.col}: ${first.message}${more}` };
  }
  // Maps, so that a "__proto__" key stays an own key (and is reported) instead of becoming a
  // prototype; then through JSON, so YAML-only values (binary, sets, .inf) become plain data.
  let js: unknown;
  try {
    js = doc.toJS({ maxAliasCount: 100, mapAsMap: true });
  } catch (err) {
    // yaml throws when aliases expand beyond maxAliasCount (a "billion laughs" file).
    return { ok: false, error: `cannot expand the YAML: ${(err as Error).message}` };
  }
  const json = JSON.stringify(plain(js));
  return { ok: true, value: json === undefined ? null : JSON.parse(json) };
}

function plain(value: unknown): unknown {
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(k), plain(v)]));
  if (Array.isArray(value)) return value.map(plain);
  return value;
}

function parseFile(file: string): Parsed {
  const ext = path.extname(file).toLowerCase();
  if (ext !== '.yml' && ext !== '.yaml' && ext !== '.json') {
    return { ok: false, error: `unsupported file type "${ext}": use .yml, .yaml or .json` };
  }
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    return { ok: false, error: `cannot read the config file (${(err as NodeJS.ErrnoException).code ?? 'error'})` };
  }
  if (ext !== '.json') return parseYaml(text);
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    return { ok: false, error: `invalid JSON: ${(err as Error).message}` };
  }
}

export function formatIssue(source: string, issue: ConfigIssue): string {
  const host = issue.host === undefined ? '' : ` (host "${issue.host}")`;
  const where = `${issue.path}${host}`;
  return where === '' ? `${source}: ${issue.message}` : `${source}: ${where}: ${issue.message}`;
}

type SchemaNode = Record<string, unknown>;

/**
 * Before convict sees the data: convict's merge recurses into any mapping and crashes on one
 * where the schema has a leaf. So sections must be mappings (null = left out), leaves must not
 * be, and an unknown key's mapping is collapsed to null (validate() still reports the key).
 */
function guardShape(raw: Record<string, unknown>, schema: SchemaNode, root: SchemaNode, prefix: string, sink: IssueSink): void {
  for (const key of Object.keys(raw)) {
    const at = prefix === '' ? key : `${prefix}.${key}`;
    const node = Object.hasOwn(schema, key) ? schema[key] : undefined;
    const value = raw[key];
    if (node === undefined) {
      if (key === '__proto__' || key === 'constructor') {
        // convict's merge skips these silently: report them here.
        sink.issues.push(unknownKeyIssue(at, root));
        delete raw[key];
      } else if (isMapping(value)) raw[key] = null;
    } else if (!isLeaf(node)) {
      if (value === null) delete raw[key];
      else if (!isMapping(value)) {
        sink.issues.push({ path: at, message: `must be a mapping, got ${kindOf(value)}` });
        delete raw[key];
      } else guardShape(value, node as SchemaNode, root, at, sink);
    } else if (isMapping(value)) {
      // The leaf's own check says what belongs there (and records it).
      const check = (node as { check: (v: unknown) => boolean }).check;
      if (check(value)) sink.issues.push({ path: at, message: 'must not be a mapping' });
      delete raw[key];
    }
  }
}

/** convict's key for an undeclared name is flattened ("a.b.c"); name the first unknown part. */
function unknownKeyIssue(name: string, schema: SchemaNode): ConfigIssue {
  const parts = name.split('.');
  let node = schema;
  const known: string[] = [];
  for (const part of parts) {
    const next = Object.hasOwn(node, part) ? node[part] : undefined;
    if (next === undefined || isLeaf(next) || !isMapping(next)) break;
    known.push(part);
    node = next;
  }
  const at = [...known, parts[known.length] ?? ''].join('.');
  return { path: at, message: `unknown key (expected one of: ${Object.keys(node).join(', ')})` };
}

const UNDECLARED = /^configuration param '(.*)' not declared in the schema$/;
const MISSING = /^configuration param '(.*)' missing from config/;

/** Turns convict's validate() error into issues; lines for keys our checks reported are dropped. */
function convictIssues(message: string, schema: SchemaNode, sink: IssueSink): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const line of message.split('\n')) {
    const undeclared = UNDECLARED.exec(line);
    const missing = MISSING.exec(line);
    if (undeclared) issues.push(unknownKeyIssue(undeclared[1]!, schema));
    else if (missing) issues.push({ path: missing[1]!, message: 'missing' });
    else if (![...sink.failedKeys].some((k) => line.startsWith(`${k}: `))) {
      // Not expected; shown without convict's ": value was <whole value>" tail.
      issues.push({ path: '', message: line.replace(/: value was .*$/, '') });
    }
  }
  return issues;
}

function toMs(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new Error(`unchecked duration ${text}`); // validate() passed: cannot happen
  return ms;
}

function normalize(file: FileConfig, hosts: HostConfig[], web: ExporterConfig['web'], level: LogLevel): ExporterConfig {
  const { collection, metrics } = file;
  return {
    hosts,
    collection: {
      timeoutMs: toMs(collection.timeout),
      minIntervalMs: toMs(collection.min_interval),
      maxStalenessMs: toMs(collection.max_staleness),
      concurrency: collection.concurrency,
    },
    metrics: {
      families: [...new Set(metrics.families)],
      containerLabels: [...new Set(metrics.container_labels)],
      include: { names: metrics.include.names, labels: metrics.include.labels },
      exclude: { names: metrics.exclude.names, labels: metrics.exclude.labels },
    },
    web,
    log: { level },
    pool: { threads: file.pool.threads },
  };
}

function runtimeOptions(opts: LoadOptions): { ok: true; web: ExporterConfig['web']; level: LogLevel } | { ok: false; errors: string[] } {
  const errors: string[] = [];
  const web = {
    listenAddress: opts.listenAddress ?? DEFAULT_LISTEN_ADDRESS,
    maxRequests: opts.maxRequests ?? DEFAULT_MAX_REQUESTS,
    writeTimeoutMs: opts.writeTimeoutMs ?? DEFAULT_WRITE_TIMEOUT_MS,
    telemetryPath: opts.telemetryPath ?? DEFAULT_TELEMETRY_PATH,
    disableExporterMetrics: opts.disableExporterMetrics ?? false,
  };
  const listen = parseListenAddress(web.listenAddress);
  if (!listen.ok) errors.push(`web.listen-address: ${listen.error}`);
  const level = opts.logLevel ?? DEFAULT_LOG_LEVEL;
  const known = LOG_LEVELS.find((l) => l === level);
  if (known === undefined) errors.push(`log.level: ${JSON.stringify(level)} is not one of ${LOG_LEVELS.join(', ')}`);
  return known === undefined || errors.length > 0 ? { ok: false, errors } : { ok: true, web, level: known };
}

export function loadConfig(opts: LoadOptions): LoadResult {
  const runtime = runtimeOptions(opts);
  if (!runtime.ok) return runtime;
  const sink: IssueSink = { issues: [], failedKeys: new Set() };

  if (opts.file === undefined) {
    const local = defaultHost(opts.env);
    if (!local.ok) return local;
    // Nothing to validate: the schema's defaults are valid by construction.
    const defaults = createConfig(configSchema(sink, () => [])).getProperties();
    return { ok: true, config: normalize(defaults, [local.host], runtime.web, runtime.level), warnings: local.warnings };
  }

  const file = opts.file;
  const fail = (issues: ConfigIssue[]): LoadResult => ({ ok: false, errors: issues.map((i) => formatIssue(file, i)) });
  const parsed = parseFile(file);
  if (!parsed.ok) return fail([{ path: '', message: parsed.error }]);
  const raw = parsed.value ?? {}; // an empty file is an empty mapping (and then lacks hosts)
  if (!isMapping(raw)) return fail([{ path: '', message: `the top level must be a mapping of settings, got ${kindOf(raw)}` }]);

  let hostsResult: HostsResult | undefined;
  const ctx = { baseDir: path.dirname(path.resolve(file)), env: opts.env, homeDir: homeDir(opts.env) };
  const check = (value: unknown): ConfigIssue[] => {
    hostsResult = checkHosts(value, ctx);
    return hostsResult.issues;
  };
  const schema = configSchema(sink, check);
  const shape = schema as unknown as SchemaNode;
  guardShape(raw, shape, shape, '', sink);
  if (!Object.hasOwn(raw, 'hosts') && !sink.failedKeys.has('hosts')) {
    sink.issues.push({ path: 'hosts', message: 'missing: list at least one host (name and url)' });
    sink.failedKeys.add('hosts');
  }

  const config = createConfig(schema);
  const issues: ConfigIssue[] = [];
  try {
    config.load(raw);
    config.validate({ allowed: 'strict', output: () => {} });
  } catch (err) {
    issues.push(...convictIssues((err as Error).message, shape, sink));
  }
  issues.unshift(...sink.issues);
  if (issues.length > 0 || hostsResult === undefined) return fail(issues);
  return {
    ok: true,
    config: normalize(config.getProperties(), hostsResult.hosts, runtime.web, runtime.level),
    warnings: hostsResult.warnings.map((w) => formatIssue(file, w)),
  };
}
