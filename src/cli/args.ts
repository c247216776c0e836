// A command line over declared flags (schema/flags.ts): --name=value or --name value, else the
// flag's environment variable (an empty one is unset), else its default; --help is written
// from the declarations. Knows no flag of its own but -h/--help and --version.
import { parseArgs } from 'node:util';
import type { Flag, FlagValues, Flags, RepeatableFlag } from '../schema/flags.ts';

export type CliResult<F extends Flags> =
  | ({ kind: 'run' } & FlagValues<F>)
  | { kind: 'help'; text: string }
  | { kind: 'version' }
  | { kind: 'error'; message: string };

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

export function helpText(flags: Flags, about: { usage: string; description: string }): string {
  const entries = [
    helpEntry('  -h, --help', 'Show this help and exit.'),
    helpEntry('      --version', 'Show the version and exit.'),
    ...Object.values(flags).map((f) =>
      f.switch === true
        ? helpEntry(`      --${f.name}`, f.doc, `${f.env}=true`)
        : helpEntry(`      --${f.name}=${f.shown}`, f.repeatable === true ? `${f.doc} Repeatable (the variable: comma-separated).` : f.doc, f.env),
    ),
  ];
  return `usage: ${about.usage}\n\n${about.description}\n\nFlags:\n${entries.join('')}`;
}

/** `argv` without the node and script entries (process.argv.slice(2)). */
export function parseCliArgs<F extends Flags>(argv: string[], env: NodeJS.ProcessEnv, flags: F, help: string): CliResult<F> {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = { help: { type: 'boolean', short: 'h' }, version: { type: 'boolean' } };
  for (const f of Object.values(flags)) options[f.name] = f.switch === true ? { type: 'boolean' } : { type: 'string', multiple: f.repeatable === true };
  let values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  try {
    ({ values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false }));
  } catch (err) {
    // node's messages name the flag: "Unknown option '--foo'", "Unexpected argument 'x'"...
    return { kind: 'error', message: `${(err as Error).message} (see --help)` };
  }
  if (values['help'] === true) return { kind: 'help', text: help };
  if (values['version'] === true) return { kind: 'version' };

  const result: Record<string, unknown> = { kind: 'run' };
  for (const [key, flag] of Object.entries(flags) as [string, Flag<unknown> | RepeatableFlag<unknown>][]) {
    // Which flag or variable the texts came from, so that an error can name it.
    const fromFlag = values[flag.name];
    const fromEnv = env[flag.env];
    let source: { texts: string[]; name: string } | undefined;
    if (fromFlag !== undefined) source = { texts: (Array.isArray(fromFlag) ? fromFlag : [fromFlag]).map(String), name: `--${flag.name}` };
    else if (fromEnv !== undefined && fromEnv !== '') source = { texts: flag.repeatable === true ? fromEnv.split(',').map((t) => t.trim()) : [fromEnv], name: flag.env };
    if (source === undefined) {
      if (flag.default !== undefined) result[key] = flag.default;
      continue;
    }
    const parsed: unknown[] = [];
    for (const text of source.texts) {
      const r = flag.parse(text);
      if (!r.ok) return { kind: 'error', message: `${source.name}: ${r.error}` };
      parsed.push(r.value);
    }
    result[key] = flag.repeatable === true ? parsed : parsed[0];
  }
  return result as CliResult<F>;
}
