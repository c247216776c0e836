// The hosts list: each item's name, url and labels, and the block of the transport its URL's
// scheme names (transport/index.ts), each read with convict (read.ts) and checked, files
// included, with relative paths resolved.
//
// URLs, the forms `docker -H` takes, minus the ones a fleet exporter has no use for; each
// transport reads what follows its "scheme://". Credentials never go in a URL: a password is
// rejected without being echoed.
import { reservedLabels } from '../metrics/families/index.ts';
import { field, given, isMapping, kindOf, optionalBool, section, type Field, type FieldContext, type Section, type Verdict } from '../schema/fields.ts';
import type { Issues } from '../schema/issues.ts';
import { registeredTransports, transportFor, type Endpoint } from '../transport/index.ts';
import type { TransportBlock } from '../transport/types.ts';
import { readSection, type ReadContext } from './read.ts';
import type { HostConfig } from './host-config.ts';

export type UrlResult = { ok: true; value: Endpoint } | { ok: false; error: string };

const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(.*)$/s;
/** Host names become the `host` label value: keep them short and shell/URL friendly. */
const HOST_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** "a, b or c" */
function orList(items: readonly string[]): string {
  return items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} or ${items.at(-1)}`;
}

/**
 * A Docker URL; `opts.tls`: the host has a tls block (tcp:// then defaults to port 2376). Messages
 * may name the scheme, host and port, but never echo the whole URL.
 */
export function parseDockerUrl(text: string, opts: { tls: boolean }): UrlResult {
  const fail = (error: string): UrlResult => ({ ok: false, error });
  const transports = registeredTransports();
  const m = SCHEME.exec(text);
  if (!m) return fail(`not a URL: expected ${orList(transports.map((t) => t.form))}`);
  const scheme = m[1]!.toLowerCase();
  const rest = m[2]!;
  const transport = transportFor(scheme);
  // Before anything else, so that no later message can carry a password.
  if (transport?.authority !== false) {
    const at = rest.lastIndexOf('@');
    if (at >= 0 && rest.slice(0, at).includes(':')) {
      return fail('must not contain a password: use ssh.identity_file, ssh.agent or ssh.passphrase_file/passphrase_env');
    }
  }
  if (/\s/.test(text)) return fail('must not contain whitespace');
  if (/[?#]/.test(rest)) return fail('must not have a query or fragment');
  if (transport !== undefined) return transport.parseUrl(rest, opts.tls) as UrlResult;
  const instead = transports.find((t) => t.insteadOf?.schemes.includes(scheme));
  if (instead !== undefined) return fail(`unsupported scheme "${scheme}": ${instead.insteadOf!.hint}`);
  return fail(`unsupported scheme "${scheme}": use ${orList(transports.map((t) => `${t.scheme}://`))}`);
}

// ---- one hosts[] item ---------------------------------------------------------------------

function nameCheck(value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return 'missing: every host needs a unique name';
  if (typeof value !== 'string') return `must be a string, got ${kindOf(value)}`;
  if (!HOST_NAME.test(value)) return `${JSON.stringify(value)}: use letters, digits, ".", "_" and "-" (at most 128, starting with a letter or digit)`;
  return undefined;
}

function urlMissing(): string {
  return `missing: e.g. ${orList(registeredTransports().map((t) => t.example))}`;
}

/** Static labels: valid Prometheus names, none the exporter's families write, string values. */
function labelsCheck(labels: unknown, ctx: FieldContext): Verdict {
  if (!isMapping(labels)) return `must be a mapping, got ${kindOf(labels)}`;
  const reserved = reservedLabels();
  let bad = false;
  for (const [name, value] of Object.entries(labels)) {
    const at = (message: string): void => {
      ctx.at.add(name, message);
      bad = true;
    };
    const prefix = reserved.prefixes.find((p) => name.startsWith(p.prefix));
    if (!LABEL_NAME.test(name)) at(`${JSON.stringify(name)} is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*)`);
    else if (name.startsWith('__')) at('label names starting with "__" are reserved by Prometheus');
    else if (prefix !== undefined) at(`label names starting with "${prefix.prefix}" are ${prefix.what}`);
    else if (reserved.names.has(name)) at(`"${name}" is a label the exporter sets itself (reserved: ${[...reserved.names].join(', ')})`);
    else if (typeof value !== 'string') at(`must be a string, got ${kindOf(value)} (quote numbers and booleans)`);
  }
  return bad ? false : undefined;
}

/** An item's section: name, url, labels and every transport's block (one applies). */
export function itemSection(url: Verdict) {
  const fields: Record<string, Field<unknown> | Section> = {
    name: field('name', 'Unique; the `host` label.', undefined, nameCheck, (v) => v as string, 'missing: every host needs a unique name'),
    // read before the others: its scheme says which block applies
    url: field('url', 'The daemon\'s URL; its scheme names the transport.', undefined, () => url, (v) => v as string, urlMissing()),
    labels: field('labels', 'Static labels added to every series of this host.', {}, labelsCheck, (v) => ({ ...(v as Record<string, string>) })),
    events: optionalBool('events', "Follow this host's event stream; absent: as collection.events says."),
  };
  for (const t of registeredTransports()) if (t.block) fields[t.block.key] = t.block.section;
  return section(fields);
}

/** One hosts[] item (or an imported one, contexts.ts); every problem goes to `out`. */
export function readHost(item: unknown, out: Issues, base: ReadContext): HostConfig | undefined {
  if (!isMapping(item)) {
    out.add('', `must be a mapping with name and url, got ${kindOf(item)}`);
    return undefined;
  }
  const before = out.count;
  // Every issue of the item names its host, once it has a usable name.
  if (nameCheck(item['name']) === undefined) out.host = item['name'] as string;

  const url = item['url'];
  let parsed: Endpoint | undefined;
  let urlVerdict: Verdict = urlMissing();
  if (typeof url === 'string' && url !== '') {
    const own = transportFor(SCHEME.exec(url)?.[1]?.toLowerCase() ?? '')?.block;
    const r = parseDockerUrl(url, { tls: own !== undefined && given(item, own.key) });
    urlVerdict = r.ok ? undefined : r.error;
    if (r.ok) parsed = r.value;
  } else if (url !== undefined && url !== null && url !== '') {
    urlVerdict = `must be a string, got ${kindOf(url)}`;
  }
  const transport = parsed === undefined ? undefined : transportFor(parsed.kind)!;

  // The blocks that apply: its transport's (an optional one when given); with a bad url, every
  // block given, so that everything is reported at once. Another transport's block is an issue.
  const data: Record<string, unknown> = { ...item };
  const applying: TransportBlock[] = [];
  for (const t of registeredTransports()) {
    const block = t.block;
    if (block === undefined || (!given(item, block.key) && (t !== transport || block.optional))) continue;
    if (transport === undefined || t === transport) applying.push(block);
    else if (isMapping(item[block.key])) {
      out.add(block.key, `only valid with ${t.scheme}:// URLs (this host's url is ${transport.scheme}://)`);
      delete data[block.key];
    }
  }
  const value: Record<string, unknown> = readSection(data, itemSection(urlVerdict), out, base);

  const blocks = new Map<string, unknown>();
  for (const block of applying) {
    // a block that is not a mapping is reported as such; one that always applies is then empty
    const written = item[block.key];
    const raw = isMapping(written) ? written : block.optional ? undefined : {};
    if (raw === undefined) continue;
    const at = out.at(block.key);
    const ctx: FieldContext = { env: base.env, resolvePath: base.resolvePath, warn: (m) => at.warn('', m), at };
    blocks.set(block.key, block.finish(raw, value[block.key] as Record<string, unknown>, at, ctx));
  }
  const own = transport?.block;
  if (own?.optional && !blocks.has(own.key) && transport!.withoutBlock) out.warn('url', transport!.withoutBlock);

  if (out.count > before || parsed === undefined || out.host === undefined) return undefined;
  const endpoint = (own && blocks.has(own.key) ? { ...parsed, [own.key]: blocks.get(own.key) } : parsed) as Endpoint;
  const events = value['events'] as boolean | undefined;
  return { name: out.host, url: url as string, endpoint, labels: value['labels'] as Record<string, string>, ...(events === undefined ? {} : { events }) };
}

/**
 * The `hosts` setting: validated and normalized item by item; names must be unique. `imported`:
 * docker_contexts is given, so the list may be left out or empty (load.ts checks the sum).
 */
export function hostsField(base: ReadContext, imported = false): Field<HostConfig[]> {
  let hosts: HostConfig[] = [];
  const check = (value: unknown, ctx: FieldContext): Verdict => {
    if (!Array.isArray(value)) return `must be a list of hosts, got ${kindOf(value)}`;
    if (value.length === 0 && !imported) return 'at least one host is required';
    const before = ctx.at.count;
    hosts = [];
    const firstIndex = new Map<string, number>();
    value.forEach((item, index) => {
      const out = ctx.at.item(`[${index}]`);
      const host = readHost(item, out, base);
      if (host !== undefined) hosts.push(host);
      // Duplicates are checked on the raw names, so a bad second item still reports them.
      const name = isMapping(item) ? item['name'] : undefined;
      if (typeof name !== 'string' || name === '') return;
      const first = firstIndex.get(name);
      if (first === undefined) firstIndex.set(name, index);
      else {
        out.host = name;
        out.add('name', `duplicate host name "${name}" (also hosts[${first}].name)`);
      }
    });
    return ctx.at.count > before ? false : undefined;
  };
  const required = imported ? undefined : 'missing: list at least one host (name and url)';
  return field('hosts', 'The Docker daemons to watch.', imported ? [] : undefined, check, () => hosts, required);
}
