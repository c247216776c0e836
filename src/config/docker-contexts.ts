// Hosts from the Docker CLI's context store (docker/cli, cli/context/store), each context a host
// named after it. The store, as `docker context create` writes it (docker 28 here):
//   <dir>/contexts/meta/<sha256 hex of the name>/meta.json
//     {"Name":"prod-1","Metadata":{...},"Endpoints":{"docker":{"Host":"tcp://h:2376","SkipTLSVerify":false}}}
//   <dir>/contexts/tls/<sha256 hex of the name>/docker/{ca,cert,key}.pem   (those given, if any)
// <dir> is $DOCKER_CONFIG, else ~/.docker. A context's URL is its host's; the transport of its
// scheme says what its block is (fromContext: tcp's TLS files and SkipTLSVerify in tcp.ts, ssh's
// block and known_hosts in ssh/docker-cli.ts; unix needs none).
// The `default` context is not in the store: it is the docker CLI's name for DOCKER_HOST or the
// local socket, so it is never imported (list the local daemon under hosts to watch it).
// The output is hosts[] items as the config file spells them, so explicit and imported hosts
// pass the same checks and a name in both is a duplicate. One odd context (a broken meta.json, a
// name the docker CLI allows but a host name does not, a stray file in contexts/meta) is skipped
// with the reason, never the whole store: contexts are made by other tools than this config.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { transportFor } from '../transport/index.ts';
import { errorCode } from '../util/errors.ts';
import { globToRegExp } from '../util/glob.ts';
import { isRecord, jsonErrorPosition } from '../util/json.ts';
import { readRegularText } from '../util/read-file.ts';

export interface DockerContextsOptions {
  /** The store's directory: $DOCKER_CONFIG, else ~/.docker (see contextStoreDir). */
  dir: string;
  /** Context name globs (`*`, `?`); empty: every context. */
  include: readonly string[];
  /** Applied after include. */
  exclude: readonly string[];
  /** Static labels of every imported host. */
  labels?: Record<string, unknown>;
  /** A transport's block for every context of its scheme, by the block's key (`ssh`: a host's ssh block). */
  blocks?: Readonly<Record<string, Record<string, unknown>>>;
  /** For the default known_hosts. */
  homeDir: string;
}

export interface ImportedHost {
  context: string;
  /** The meta.json it came from, for messages. */
  file: string;
  /** A hosts[] item as the config file spells it. */
  item: Record<string, unknown>;
}

/** A problem with the store or one context; `context` once the context's name is known. */
export interface ContextIssue {
  context?: string;
  file: string;
  message: string;
}

export interface ContextsResult {
  hosts: ImportedHost[];
  /** the store's own problems (it cannot be read): nothing is imported */
  issues: ContextIssue[];
  /** contexts left out, each with why; the others are imported */
  skipped: ContextIssue[];
  warnings: ContextIssue[];
}

/** A meta.json is a few hundred bytes; anything this big is not one. */
const MAX_META_BYTES = 1 << 20;

/** Where the docker CLI keeps its configuration: $DOCKER_CONFIG, else ~/.docker. */
export function contextStoreDir(env: NodeJS.ProcessEnv, homeDir: string): string {
  const dir = env['DOCKER_CONFIG'];
  return dir !== undefined && dir !== '' ? dir : path.join(homeDir, '.docker');
}

/** The directory name the store gives a context: the sha256 hex of its name. */
export function contextId(name: string): string {
  return createHash('sha256').update(name, 'utf8').digest('hex');
}

const code = (err: unknown): string => errorCode(err, 'error');

export function readDockerContexts(opts: DockerContextsOptions): ContextsResult {
  const result: ContextsResult = { hosts: [], issues: [], skipped: [], warnings: [] };
  const metaDir = path.join(opts.dir, 'contexts', 'meta');
  try {
    if (!fs.statSync(opts.dir).isDirectory()) {
      result.issues.push({ file: opts.dir, message: `${opts.dir} is not a directory` });
      return result;
    }
  } catch (err) {
    result.issues.push({ file: opts.dir, message: `cannot read the Docker context store ${opts.dir} (${code(err)})` });
    return result;
  }
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(metaDir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  } catch (err) {
    // No context was ever created: the docker CLI makes contexts/ with the first.
    if (code(err) === 'ENOENT') result.warnings.push({ file: metaDir, message: `no Docker contexts in ${opts.dir} (no ${metaDir})` });
    else result.issues.push({ file: metaDir, message: `cannot read ${metaDir} (${code(err)})` });
    return result;
  }

  const include = opts.include.map(globToRegExp);
  const exclude = opts.exclude.map(globToRegExp);
  const wanted = (name: string) => (include.length === 0 || include.some((re) => re.test(name))) && !exclude.some((re) => re.test(name));
  let found = 0;
  for (const entry of entries) {
    const entryPath = path.join(metaDir, entry.name);
    // a symlink to a context's directory is followed, as the docker CLI's walk does
    if (!entry.isDirectory() && !(entry.isSymbolicLink() && isDirectory(entryPath))) {
      result.skipped.push({ file: entryPath, message: `${entryPath} is not a context's directory` });
      continue;
    }
    const file = path.join(entryPath, 'meta.json');
    const meta = readMeta(file);
    if (meta === undefined) continue; // as the docker CLI: a directory without meta.json is no context
    if ('message' in meta) {
      result.skipped.push(meta);
      continue;
    }
    found++;
    if (!wanted(meta.name)) continue;
    const imported = toHost(meta, file, opts);
    if ('message' in imported) result.skipped.push(imported);
    else result.hosts.push(imported);
  }
  if (found > 0 && result.hosts.length === 0 && result.skipped.length === 0) {
    result.warnings.push({ file: metaDir, message: `none of the ${found} Docker contexts in ${opts.dir} matches include/exclude` });
  }
  result.hosts.sort((a, b) => (a.context < b.context ? -1 : a.context > b.context ? 1 : 0));
  return result;
}

interface Meta {
  name: string;
  host: string;
  skipTlsVerify: boolean;
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function readMeta(file: string): Meta | ContextIssue | undefined {
  const read = readRegularText(file, MAX_META_BYTES);
  if (!read.ok) return read.reason === 'ENOENT' ? undefined : { file, message: `cannot read ${file} (${read.reason})` };
  let data: unknown;
  try {
    data = JSON.parse(read.text);
  } catch (err) {
    return { file, message: `${file} is not valid JSON${jsonErrorPosition(err)}: not a context's meta.json` };
  }
  if (!isRecord(data) || typeof data['Name'] !== 'string' || data['Name'] === '') {
    return { file, message: `${file} has no "Name": not a context's meta.json` };
  }
  const name = data['Name'];
  const endpoints = data['Endpoints'];
  const docker = isRecord(endpoints) ? endpoints['docker'] : undefined;
  if (!isRecord(docker) || typeof docker['Host'] !== 'string' || docker['Host'] === '') {
    return { context: name, file, message: `context "${name}" has no docker endpoint (Endpoints.docker.Host) in ${file}` };
  }
  const skip = docker['SkipTLSVerify'];
  if (skip !== undefined && typeof skip !== 'boolean') {
    return { context: name, file, message: `context "${name}": Endpoints.docker.SkipTLSVerify must be true or false in ${file}` };
  }
  return { name, host: docker['Host'], skipTlsVerify: skip === true };
}

function toHost(meta: Meta, file: string, opts: DockerContextsOptions): ImportedHost | ContextIssue {
  const item: Record<string, unknown> = { name: meta.name, url: meta.host };
  if (opts.labels !== undefined) item['labels'] = opts.labels;
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(meta.host)?.[1]?.toLowerCase();
  // an unknown scheme is left to the hosts[] check, which names the schemes there are
  const transport = scheme === undefined ? undefined : transportFor(scheme);
  const key = transport?.block?.key;
  if (transport?.fromContext !== undefined && key !== undefined) {
    const block = transport.fromContext({
      name: meta.name,
      // the docker CLI looks TLS files up by the name's hash, whatever directory meta.json is in
      tlsDir: path.join(opts.dir, 'contexts', 'tls', contextId(meta.name), 'docker'),
      skipTlsVerify: meta.skipTlsVerify,
      given: opts.blocks?.[key],
      homeDir: opts.homeDir,
    });
    if (!block.ok) return { context: meta.name, file: block.file, message: block.message };
    if (block.block !== undefined) item[key] = block.block;
  }
  return { context: meta.name, file, item };
}
