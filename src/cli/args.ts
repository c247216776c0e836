// A command line over declared fields (schema/fields.ts flag()): --name=value or --name value,
// else the flag's environment variable (an empty one is unset). Each value is read from its text
// as the file would write it, then checked and converted by the field's own check: the same
// rules whichever source sets it. Defaults are not applied here (schema/walk.ts resolve() does).
// --help is written from the same declarations. Knows no flag of its own but -h/--help and --version.
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Field, FieldAt, FieldContext, Parsed } from '../schema/fields.ts';
import { Issues } from '../schema/issues.ts';
import type { FlagValues } from '../schema/walk.ts';

export type CliResult = { kind: 'run'; flags: FlagValues } | { kind: 'help'; text: string } | { kind: 'version' } | { kind: 'error'; message: string };

/** Where --help starts a flag's doc, and how wide its lines get. */
const DOC_COLUMN = 29;
const WIDTH = 100;

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  return line === '' ? lines : [...lines, line];
}

/** One entry of --help: the flag, its doc wrapped, then its environment variable. */
function helpEntry(head: string, doc: string, env?: string): string {
  const indent = ' '.repeat(DOC_COLUMN);
  const lines = wrap(doc, WIDTH - DOC_COLUMN).map((l) => indent + l);
  if (env !== undefined) lines.push(`${indent}($${env})`);
  if (head.length <= DOC_COLUMN - 2) lines[0] = head.padEnd(DOC_COLUMN) + lines[0]!.slice(DOC_COLUMN);
  else lines.unshift(head);
  return lines.map((l) => `${l}\n`).join('');
}

/** --help's form of a flag's value: its placeholder, else its default as the flag is written (quoted when not a plain word). */
function shown(field: Field<unknown>): string {
  const def = field.default;
  const text = field.flag?.shown ?? (Array.isArray(def) ? def.join(',') : String(def));
  return /^[\w.-]+$/.test(text) ? text : JSON.stringify(text);
}

export function helpText(fields: readonly FieldAt[], about: { usage: string; description: string }): string {
  const entries = [helpEntry('  -h, --help', 'Show this help and exit.'), helpEntry('      --version', 'Show the version and exit.')];
  for (const { path: key, field } of fields) {
    const f = field.flag;
    if (f === undefined) continue;
    let doc = field.doc;
    if (f.repeatable === true) doc += ' Repeatable (the variable: comma-separated).';
    if (field.flagOnly !== true) doc += ` Overrides ${key} of the config file.`;
    if (f.switch === true) entries.push(helpEntry(`      --${f.name}`, doc, `${f.env}=true`));
    else entries.push(helpEntry(`      --${f.name}=${shown(field)}`, doc, f.env));
  }
  return `usage: ${about.usage}\n\n${about.description}\n\nFlags:\n${entries.join('')}`;
}

/** A field's value from its flag's texts (one, or each item of a repeatable one), or why not. */
function valueOf(field: Field<unknown>, texts: readonly string[], env: NodeJS.ProcessEnv): Parsed<unknown> {
  const raw: unknown[] = [];
  for (const text of texts) {
    const r = field.fromText(text);
    if (!r.ok) return r;
    raw.push(r.value);
  }
  const at = Issues.root();
  // a path given on the command line is relative to the working directory
  const ctx: FieldContext = { env, resolvePath: (p) => path.resolve(p), warn: () => {}, at };
  const repeatable = field.flag?.repeatable === true;
  const value = repeatable ? raw : raw[0];
  // a repeated flag's bad item is named by its own text, not its index
  const problems = repeatable && field.item !== undefined ? raw.map(field.item) : [field.check(value, ctx)];
  for (const problem of problems) {
    if (problem === false) return { ok: false, error: at.issues.map((i) => (i.path === '' ? i.message : `${i.path}: ${i.message}`)).join('; ') };
    if (problem !== undefined) return { ok: false, error: problem };
  }
  return { ok: true, value: field.convert(value, ctx) };
}

/** `argv` without the node and script entries (process.argv.slice(2)); `fields`: those with a flag. */
export function parseCliArgs(argv: string[], env: NodeJS.ProcessEnv, fields: readonly FieldAt[], help: string): CliResult {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = { help: { type: 'boolean', short: 'h' }, version: { type: 'boolean' } };
  for (const { flag: f } of fields.map((x) => x.field)) if (f !== undefined) options[f.name] = f.switch === true ? { type: 'boolean' } : { type: 'string', multiple: f.repeatable === true };
  let values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  try {
    ({ values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false }));
  } catch (err) {
    // node's messages name the flag: "Unknown option '--foo'", "Unexpected argument 'x'"...
    return { kind: 'error', message: `${(err as Error).message} (see --help)` };
  }
  if (values['help'] === true) return { kind: 'help', text: help };
  if (values['version'] === true) return { kind: 'version' };

  const flags = new Map<string, unknown>();
  for (const { field } of fields) {
    const f = field.flag;
    if (f === undefined) continue;
    // Which flag or variable the texts came from, so that an error can name it.
    const fromFlag = values[f.name];
    const fromEnv = env[f.env];
    let source: { texts: string[]; name: string } | undefined;
    if (fromFlag !== undefined) source = { texts: (Array.isArray(fromFlag) ? fromFlag : [fromFlag]).map(String), name: `--${f.name}` };
    else if (fromEnv !== undefined && fromEnv !== '') source = { texts: f.repeatable === true ? fromEnv.split(',').map((t) => t.trim()) : [fromEnv], name: f.env };
    if (source === undefined) continue;
    const r = valueOf(field, source.texts, env);
    if (!r.ok) return { kind: 'error', message: `${source.name}: ${r.error}` };
    flags.set(f.name, r.value);
  }
  return { kind: 'run', flags };
}
