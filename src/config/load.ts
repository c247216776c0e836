// Loading: file -> parsed data -> the settings read against their declarations, the flags' values
// over the file's (read.ts; the hosts list item by item, hosts.ts) -> ExporterConfig. Bad input
// never throws: every problem becomes one line that names the file, the key as the user wrote it,
// and the host where there is one.
import path from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { given, isMapping, kindOf, resolveAgainst } from '../schema/fields.ts';
import { Issues, type ConfigIssue } from '../schema/issues.ts';
import type { FlagValues } from '../schema/walk.ts';
import { jsonErrorPosition } from '../util/json.ts';
import { readRegularText } from '../util/read-file.ts';
import { importContexts } from './contexts.ts';
import { defaultHost, homeDir } from './defaults.ts';
import { hostsField } from './hosts.ts';
import { defaultsOf } from '../schema/walk.ts';
import { readSection } from './read.ts';
import { settings } from './settings.ts';
import type { Shard } from './shard.ts';
import type { ExporterConfig, HostConfig } from './types.ts';

/** The file, and the values the command line set (parsed and checked by cli/args.ts). */
export interface LoadOptions {
  /** No file: one host, `local`, from DOCKER_HOST (see defaults.ts). */
  file?: string;
  env: NodeJS.ProcessEnv;
  /** absent: none given */
  flags?: FlagValues;
}

export type LoadResult =
  | { ok: true; config: ExporterConfig; warnings: string[] }
  | { ok: false; errors: string[] };

type Parsed = { ok: true; value: unknown } | { ok: false; error: string };

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
  const read = readRegularText(file);
  if (!read.ok) return { ok: false, error: `cannot read the config file (${read.reason})` };
  const text = read.text;
  if (ext !== '.json') return parseYaml(text);
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    return { ok: false, error: `invalid JSON${jsonErrorPosition(err)}` };
  }
}

export function formatIssue(source: string, issue: ConfigIssue): string {
  const host = issue.host === undefined ? '' : ` (host "${issue.host}")`;
  const where = `${issue.path}${host}`;
  return where === '' ? `${source}: ${issue.message}` : `${source}: ${where}: ${issue.message}`;
}

const SHARD_COUNT_FLAG = '--shard.count';
const SHARD_INDEX_FLAG = '--shard.index';

/** Why the shard index is out of range, or undefined; `flags` says which of the two a flag set. */
function shardProblem(shard: Shard, flags: FlagValues): string | undefined {
  if (shard.index < shard.count) return undefined;
  const countFrom = flags.has('shard.count') ? ` (${SHARD_COUNT_FLAG})` : shard.count === 1 ? ' (the default)' : '';
  return `${shard.index} is not below the shard count ${shard.count}${countFrom}: the index runs from 0 to ${shard.count - 1}`;
}

/** Listed and imported hosts as one list: a name in both is a duplicate. */
function mergeHosts(listed: readonly HostConfig[], imported: readonly HostConfig[], raw: Record<string, unknown>, issues: Issues): HostConfig[] {
  const rawHosts = Array.isArray(raw['hosts']) ? (raw['hosts'] as unknown[]) : [];
  const listedAt = new Map<string, number>();
  rawHosts.forEach((item, i) => {
    const name = isMapping(item) ? item['name'] : undefined;
    if (typeof name === 'string' && !listedAt.has(name)) listedAt.set(name, i);
  });
  const hosts = [...listed];
  for (const h of imported) {
    const i = listedAt.get(h.name);
    if (i === undefined) hosts.push(h);
    else issues.add('docker_contexts', `context "${h.name}": duplicate host name "${h.name}" (also hosts[${i}].name)`);
  }
  if (hosts.length === 0 && issues.count === 0) issues.add('hosts', 'at least one host is required: hosts lists none and docker_contexts imported none');
  return hosts;
}

export function loadConfig(opts: LoadOptions): LoadResult {
  const { env } = opts;
  const flags = opts.flags ?? new Map<string, unknown>();

  if (opts.file === undefined) {
    const local = defaultHost(env);
    if (!local.ok) return local;
    const { docker_contexts: _none, ...defaults } = defaultsOf(settings(hostsField({ env, resolvePath: (p) => p }, true)), flags);
    const config = { ...defaults, hosts: [local.host] };
    const problem = shardProblem(config.shard, flags);
    return problem !== undefined ? { ok: false, errors: [`${SHARD_INDEX_FLAG}: ${problem}`] } : { ok: true, config, warnings: local.warnings };
  }

  const file = opts.file;
  const fail = (issues: readonly ConfigIssue[]): LoadResult => ({ ok: false, errors: issues.map((i) => formatIssue(file, i)) });
  const parsed = parseFile(file);
  if (!parsed.ok) return fail([{ path: '', message: parsed.error }]);
  const raw = parsed.value ?? {}; // an empty file is an empty mapping (and then lacks hosts)
  if (!isMapping(raw)) return fail([{ path: '', message: `the top level must be a mapping of settings, got ${kindOf(raw)}` }]);

  const dir = path.dirname(path.resolve(file));
  const home = homeDir(env);
  const base = { env, resolvePath: (p: string) => resolveAgainst(p, dir, home) };
  const issues = Issues.root();
  const imports = given(raw, 'docker_contexts');
  const { docker_contexts: contexts, ...value } = readSection(raw, settings(hostsField(base, imports)), issues, base, flags);
  if (issues.count > 0) return fail(issues.issues);
  const imported = imports ? importContexts(contexts, issues.at('docker_contexts'), base) : [];
  if (issues.count > 0) return fail(issues.issues);
  const config = { ...value, hosts: mergeHosts(value.hosts, imported, raw, issues) };
  // a bad index from the file is the file's (its key named); one from a flag is the flag's
  const problem = shardProblem(config.shard, flags);
  const fromFlag = flags.has('shard.index');
  if (problem !== undefined && !fromFlag) issues.add('shard.index', problem);
  const errors = issues.issues.map((i) => formatIssue(file, i));
  if (problem !== undefined && fromFlag) errors.push(`${SHARD_INDEX_FLAG}: ${problem}`);
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, config, warnings: issues.warnings.map((w) => formatIssue(file, w)) };
}
