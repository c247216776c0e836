// Every setting the exporter reads, one entry each: a key of the config file, a flag with its
// environment variable, or both. docs/configuration.md is written from this list alone, so a
// new way of declaring settings needs only a new listSettings().
import { FLAGS, settings } from '../../src/config/settings.ts';
import { hostsField, itemSection } from '../../src/config/hosts.ts';
import type { Field, Section } from '../../src/schema/fields.ts';
import type { Flag, RepeatableFlag } from '../../src/schema/flags.ts';
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

function keys(prefix: string, node: Section | Field<unknown>, name: string, out: SettingDoc[]): void {
  if (node.kind === 'field') {
    const key = `${prefix}${node.key}`;
    const def = MACHINE_DEFAULTS[key] ?? (node.required !== undefined ? 'required' : spell(node.default));
    out.push({ key, doc: node.doc, ...(def === undefined ? {} : { default: def }) });
    return;
  }
  for (const [childName, child] of Object.entries(node.fields)) keys(`${prefix}${name === '' ? '' : `${name}.`}`, child, childName, out);
}

function flagDoc(flag: Flag<unknown> | RepeatableFlag<unknown>): SettingDoc {
  const given = 'default' in flag && flag.default !== undefined;
  const def = flag.switch ? 'false' : given ? flag.shown.replace(/^"(.*)"$/, '$1') : undefined;
  return { flag: `--${flag.name}`, env: flag.env, doc: flag.doc, ...(def === undefined ? {} : { default: def }) };
}

export function listSettings(): SettingDoc[] {
  const out: SettingDoc[] = [];
  const top = settings(hostsField({ env: {}, resolvePath: (p) => p }));
  for (const [name, node] of Object.entries(top.fields)) {
    if (node.kind === 'field' && node.key === 'hosts') {
      keys('', node, '', out);
      for (const [itemName, item] of Object.entries(itemSection(undefined).fields)) {
        if (registeredTransports().some((t) => t.block?.key === itemName)) continue;
        keys('hosts[].', item, itemName, out);
      }
      for (const t of registeredTransports()) {
        if (t.block) keys(`hosts[].${t.block.key}.`, t.block.section, '', out);
      }
    } else keys('', node, node.kind === 'section' ? name : '', out);
  }
  for (const flag of Object.values(FLAGS)) out.push(flagDoc(flag));
  return out;
}
