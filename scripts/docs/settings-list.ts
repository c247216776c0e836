// Every setting the exporter reads, one entry each: a key of the config file, a flag with its
// environment variable, or both (settings.ts declares each once). docs/configuration.md is
// written from this list alone.
import { hostsField, itemSection } from '../../src/config/hosts.ts';
import { COMMAND, settings } from '../../src/config/settings.ts';
import type { Field, Section } from '../../src/schema/fields.ts';
import { registeredTransports } from '../../src/transport/index.ts';

export interface SettingDoc {
  /** the config file's key, dotted ("collection.timeout", "hosts[].tls.ca"); absent for a flag alone */
  key?: string;
  /** "--web.listen-address"; absent for a key alone */
  flag?: string;
  env?: string;
  /** as the file or the command line spells it; absent: none (the setting is off or optional) */
  default?: string;
  doc: string;
}

/** Defaults that depend on the machine, in the words of their doc, not this machine's value. */
const MACHINE_DEFAULTS: Record<string, string> = { 'pool.threads': '0 with 1-2 cores, else the core count' };

/** A default as YAML's flow style writes it: `[a, b]`, `{}`, `8s`. */
function spell(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) return `[${value.map(spell).join(', ')}]`;
  if (typeof value === 'object' && value !== null) return `{${Object.entries(value).map(([k, v]) => `${k}: ${spell(v)}`).join(', ')}}`;
  return String(value);
}

/** One field: its file key unless it is a flag's alone, its flag and variable when it has one. */
function entry(path: string, f: Field<unknown>): SettingDoc {
  // a repeatable flag's default as its variable spells it: comma-separated
  const given = f.flagOnly === true && Array.isArray(f.default) ? f.default.join(',') : f.default;
  const def = MACHINE_DEFAULTS[path] ?? (f.required !== undefined ? 'required' : spell(given));
  return {
    ...(f.flagOnly === true ? {} : { key: path }),
    ...(f.flag === undefined ? {} : { flag: `--${f.flag.name}`, env: f.flag.env }),
    doc: f.doc,
    ...(def === undefined ? {} : { default: def }),
  };
}

function walk(prefix: string, s: Section, out: SettingDoc[]): void {
  for (const [name, node] of Object.entries(s.fields)) {
    if (node.kind === 'section') walk(`${prefix}${name}.`, node, out);
    else out.push(entry(`${prefix}${node.key}`, node));
  }
}

export function listSettings(): SettingDoc[] {
  const out: SettingDoc[] = [];
  walk('', COMMAND, out);
  const top = settings(hostsField({ env: {}, resolvePath: (p) => p }));
  for (const [name, node] of Object.entries(top.fields)) {
    if (node.kind === 'section') {
      walk(`${name}.`, node, out);
      continue;
    }
    out.push(entry(node.key, node));
    if (node.key !== 'hosts') continue;
    for (const [itemName, item] of Object.entries(itemSection(undefined).fields)) {
      if (registeredTransports().some((t) => t.block?.key === itemName)) continue;
      if (item.kind === 'field') out.push(entry(`hosts[].${item.key}`, item));
      else walk(`hosts[].${itemName}.`, item, out);
    }
    for (const t of registeredTransports()) if (t.block) walk(`hosts[].${t.block.key}.`, t.block.section, out);
  }
  return out;
}
