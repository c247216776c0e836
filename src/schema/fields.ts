// Declarations of settings: each once, with its file key, default, doc, check and conversion to
// the internal value ("8s" -> 8000 ms), and the flag and environment variable that also set it.
// The config's settings, the flags and the transports' blocks (tls, ssh) are declared with these;
// config/read.ts reads every source against them.
import path from 'node:path';
import { MAX_TIMER_MS, parseDuration } from '../util/duration.ts';
import { unprotected, unreadable, type SecretKind } from './files.ts';
import type { Issues } from './issues.ts';

/** What a check may use besides the value. */
export interface FieldContext {
  env: NodeJS.ProcessEnv;
  /** Relative paths are relative to the config file; "~/" is the HOME directory. */
  resolvePath(p: string): string;
  /** A warning about this key (the value is accepted). */
  warn(message: string): void;
  /** Issues at this key, for a check that finds several (each at its own path below the key). */
  at: Issues;
}

/** What a check returns: undefined (fine), why the value is wrong, or false (reported in ctx.at already). */
export type Verdict = string | false | undefined;

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };
const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const fail = (error: string): Parsed<never> => ({ ok: false, error });

/** The command-line flag (Prometheus exporter style, --web.listen-address) that also sets a field. */
export interface FlagSpec {
  /** without the dashes: "web.listen-address" */
  readonly name: string;
  /** the environment variable read when the flag is not given (an empty one is unset) */
  readonly env: string;
  /** --help's placeholder for a value without a default ("PATH"); else the default is shown */
  readonly shown?: string;
  /** takes no value (--flag); its variable says "true" or "false" */
  readonly switch?: true;
  /** given any number of times (its variable: a comma-separated list); the field is a list */
  readonly repeatable?: true;
}

export interface Field<T> {
  readonly kind: 'field';
  /** the key as the file spells it (snake_case) */
  readonly key: string;
  readonly doc: string;
  /** the default as the file would spell it; undefined: optional, and left out when not given */
  readonly default: unknown;
  /** set: the key must be given, and this says so when it is missing */
  readonly required?: string;
  /** Why a value (from the file, a flag or the default) is wrong, or undefined when it is fine. */
  check(value: unknown, ctx: FieldContext): Verdict;
  /** The internal value of a value that passed check(). */
  convert(value: unknown, ctx: FieldContext): T;
  /** the flag and environment variable that set it too (the variable over the file, the flag over both) */
  readonly flag?: FlagSpec;
  /** The value a flag's text stands for, as the file would write it ("40" -> 40); one item of a repeatable flag. */
  fromText(text: string): Parsed<unknown>;
  /** set by flag() without a file key: the file may not set it */
  readonly flagOnly?: true;
  /** read once by a host's tracker: a reload that changes it rebuilds the host's tracker */
  readonly rebuild?: true;
  /** a list's check of one item (a repeatable flag's items are checked one by one) */
  readonly item?: (value: unknown) => string | undefined;
}

/** The field, set by `spec`'s flag and environment variable too; `fileKey: false`: by them only. */
export function flag<T>(f: Field<T>, spec: FlagSpec, fileKey = true): Field<T> {
  return fileKey ? { ...f, flag: spec } : { ...f, flag: spec, flagOnly: true };
}

/** The field, marked as read once by a host's tracker (a change rebuilds it). */
export function rebuilds<T>(f: Field<T>): Field<T> {
  return { ...f, rebuild: true };
}

export interface Section<F extends Fields = Fields> {
  readonly kind: 'section';
  readonly fields: F;
}

export type Fields = { readonly [name: string]: Field<unknown> | Section };

/**
 * The internal value a declaration reads to: fields by their declared (camelCase) names; a field
 * without a default is an optional property.
 */
export type ValueOf<N> = N extends Field<infer T> ? T : N extends Section<infer F> ? SectionValue<F> : never;

type SectionValue<F extends Fields> = { -readonly [K in keyof F as undefined extends ValueOf<F[K]> ? never : K]: ValueOf<F[K]> } & {
  -readonly [K in keyof F as undefined extends ValueOf<F[K]> ? K : never]?: Exclude<ValueOf<F[K]>, undefined>;
};

export function section<F extends Fields>(fields: F): Section<F> {
  return { kind: 'section', fields };
}

/** Whether the file may write it: a field that is not flag-only, a section with such a field. */
function inFile(node: Field<unknown> | Section): boolean {
  return node.kind === 'field' ? node.flagOnly !== true : Object.values(node.fields).some(inFile);
}

/** A section's entries by the key the file spells: a field's own key, a section's name (flag-only ones left out). */
export function entriesByFileKey(s: Section): Map<string, { name: string; node: Field<unknown> | Section }> {
  return new Map(
    Object.entries(s.fields)
      .filter(([, node]) => inFile(node))
      .map(([name, node]) => [node.kind === 'field' ? node.key : name, { name, node }]),
  );
}

/** A field and its dotted path of file keys ("shard.count"). */
export interface FieldAt {
  path: string;
  field: Field<unknown>;
}

/** Every field below `s` with its path, in declaration order. */
export function fieldsOf(s: Section, prefix = ''): FieldAt[] {
  return Object.entries(s.fields).flatMap(([name, node]) =>
    node.kind === 'section' ? fieldsOf(node, `${prefix}${name}.`) : [{ path: `${prefix}${node.key}`, field: node }],
  );
}

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

/** Given in the raw data: present and not null. */
export function given(block: Record<string, unknown>, key: string): boolean {
  return block[key] !== undefined && block[key] !== null;
}

type Check<T> = (value: T, ctx: FieldContext) => Verdict;

/** A flag's text as it stands: a string. */
const asText = (text: string): Parsed<unknown> => ok(text);

export function field<T>(
  key: string,
  doc: string,
  def: unknown,
  check: Check<unknown>,
  convert: (value: unknown, ctx: FieldContext) => T,
  required?: string,
  fromText: (text: string) => Parsed<unknown> = asText,
): Field<T> {
  const f: Field<T> = { kind: 'field', key, doc, default: def, check, convert, fromText };
  return required === undefined ? f : { ...f, required };
}

const same = <T>(value: unknown): T => value as T;

export function nonEmptyString(value: unknown): string | undefined {
  if (value === '') return 'must not be empty';
  return typeof value === 'string' ? undefined : `must be a non-empty string, got ${kindOf(value)}`;
}

/** `timer`: the value arms a timer, which cannot wait longer than MAX_TIMER_MS (a longer one fires at once). */
function durationCheck(min: 'zero' | 'positive', timer: boolean): (value: unknown) => string | undefined {
  return (value) => {
    if (typeof value !== 'string') return `must be a duration such as "8s", got ${kindOf(value)}`;
    const ms = parseDuration(value);
    if (ms === undefined) return `${JSON.stringify(value)} is not a duration (Prometheus style: "500ms", "8s", "1m30s")`;
    if (min === 'positive' && ms === 0) return 'must be longer than 0s';
    if (timer && ms > MAX_TIMER_MS) return `${JSON.stringify(value)} is longer than 24d (the longest timer)`;
    return undefined;
  };
}

/** A Prometheus-style duration, in milliseconds; the default as the file writes it ("8s"). */
export function duration(key: string, doc: string, def: string, min: 'zero' | 'positive', timer = false): Field<number> {
  return field(key, doc, def, durationCheck(min, timer), (value) => parseDuration(value as string) ?? 0);
}

/** A flag's text as a whole number (its sign and digits only: "1e3" and "0x10" are not). */
const wholeNumber = (text: string): Parsed<unknown> => (/^-?\d{1,15}$/.test(text) ? ok(Number(text)) : fail(`${JSON.stringify(text)} is not a whole number`));

export function integer(key: string, doc: string, def: number, min: number, more = ''): Field<number> {
  return field(
    key,
    doc,
    def,
    (value) => {
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) return `must be an integer, got ${kindOf(value)}`;
      if (value < min) return `must be ${min} or more${more}, got ${value}`;
      return undefined;
    },
    same<number>,
    undefined,
    wholeNumber,
  );
}

const boolCheck = (value: unknown): string | undefined => (typeof value === 'boolean' ? undefined : `must be true or false, got ${kindOf(value)}`);

/** "true" / "false" for a switch's variable (and "true" for the switch given). */
function parseSwitch(text: string): Parsed<boolean> {
  if (text === 'true' || text === 'false') return ok(text === 'true');
  return fail(`${JSON.stringify(text)} is not true or false`);
}

/** Absent = `def` (false unless said). */
export function bool(key: string, doc: string, def = false): Field<boolean> {
  return field(key, doc, def, boolCheck, same<boolean>, undefined, parseSwitch);
}

/** One of `values`, as written. */
export function oneOf<const V extends string>(key: string, doc: string, values: readonly V[], def: V): Field<V> {
  return field(key, doc, def, (value) => (typeof value === 'string' && (values as readonly string[]).includes(value) ? undefined : `${typeof value === 'string' ? JSON.stringify(value) : kindOf(value)} is not one of ${values.join(', ')}`), same<V>);
}

/** The same, optional: left out when not given. */
export function optionalBool(key: string, doc: string): Field<boolean | undefined> {
  return field(key, doc, undefined, boolCheck, same<boolean>);
}

/** A non-empty string; `more` checks it further. */
export function text(key: string, doc: string, def: string, more?: Check<string>): Field<string> {
  return field(key, doc, def, (value, ctx) => nonEmptyString(value) ?? more?.(value as string, ctx), same<string>);
}

/** The same, optional: left out when not given. */
export function optionalText(key: string, doc: string, more?: Check<string>, convert: (value: string, ctx: FieldContext) => string = (v) => v): Field<string | undefined> {
  return field(key, doc, undefined, (value, ctx) => nonEmptyString(value) ?? more?.(value as string, ctx), (value, ctx) => convert(value as string, ctx));
}

/** A path to a file read at startup: resolved, and checked readable; a secret one also checked private. */
export function file(key: string, doc: string, secret?: SecretKind): Field<string | undefined> {
  return optionalText(
    key,
    doc,
    (value, ctx) => {
      const resolved = ctx.resolvePath(value);
      const problem = unreadable(resolved);
      if (problem !== undefined) return problem;
      const warning = secret === undefined ? undefined : unprotected(resolved, secret);
      if (warning !== undefined) ctx.warn(warning);
      return undefined;
    },
    (value, ctx) => ctx.resolvePath(value),
  );
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The name of an environment variable that must be set (its value may be a secret: never read here). */
export function envName(key: string, doc: string): Field<string | undefined> {
  return optionalText(key, doc, (value, ctx) => {
    if (!ENV_NAME.test(value)) return `${JSON.stringify(value)} is not an environment variable name`;
    if (ctx.env[value] === undefined) return `environment variable ${value} is not set`;
    return undefined;
  });
}

/** A list of strings; `unique` drops repeats (first one wins). */
export function list(key: string, doc: string, def: readonly string[], item: (value: unknown) => string | undefined, unique = false): Field<string[]> {
  const f = field(
    key,
    doc,
    def,
    (value) => {
      if (!Array.isArray(value)) return `must be a list, got ${kindOf(value)}`;
      const problems = value
        .map((v, i) => ({ i, problem: item(v) }))
        .filter((p) => p.problem !== undefined)
        .map((p) => `[${p.i}] ${p.problem}`);
      return problems.length > 0 ? problems.join('; ') : undefined;
    },
    (value) => (unique ? [...new Set(value as string[])] : [...(value as string[])]),
  );
  return { ...f, item };
}

/** `passphrase_file` or `passphrase_env`: the passphrase of the block's encrypted key. */
export function passphraseFields(): { passphraseFile: Field<string | undefined>; passphraseEnv: Field<string | undefined> } {
  return {
    passphraseFile: file('passphrase_file', 'File holding the passphrase of the encrypted key (a trailing newline is dropped).', 'passphrase'),
    passphraseEnv: envName('passphrase_env', 'Environment variable holding the passphrase of the encrypted key.'),
  };
}

/** One of passphrase_file and passphrase_env, and only with the key they decrypt (`keyName`). */
export function checkPassphrase(block: Record<string, unknown>, keyName: string, add: (key: string, message: string) => void): void {
  const isText = (key: string): boolean => typeof block[key] === 'string' && block[key] !== '';
  const fromFile = isText('passphrase_file');
  const fromEnv = isText('passphrase_env');
  if (fromFile && fromEnv) add('passphrase_env', 'passphrase_file and passphrase_env exclude each other: set one');
  if ((fromFile || fromEnv) && !given(block, keyName)) add(fromFile ? 'passphrase_file' : 'passphrase_env', `a passphrase needs ${keyName}`);
}

/** `p` against the config file's directory, or HOME for "~/". */
export function resolveAgainst(p: string, baseDir: string, homeDir: string): string {
  if (p === '~' || p.startsWith('~/')) return path.join(homeDir, p.slice(1));
  return path.resolve(baseDir, p);
}
