// Declarations of command-line flags (Prometheus exporter style, --web.listen-address), each with
// an environment variable: its default, doc and parse declared once. config/settings.ts declares
// the exporter's; cli/args.ts parses any set of them and writes their --help.

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

interface FlagBase<T> {
  /** without the dashes: "web.listen-address" */
  readonly name: string;
  /** the environment variable read when the flag is not given (an empty one is unset) */
  readonly env: string;
  readonly doc: string;
  /** --help's form of the value: the default as written ("2m"), or a placeholder ("PATH") */
  readonly shown: string;
  /** the value from its text (one item of a repeatable flag); the error does not repeat the flag's name */
  parse(text: string): Parsed<T>;
}

export interface Flag<T> extends FlagBase<T> {
  /** absent: the value is absent unless given */
  readonly default?: T;
  /** takes no value (--flag): given, its text is "true"; its variable says "true" or "false" */
  readonly switch?: true;
  readonly repeatable?: never;
}

/** Given any number of times (its variable: a comma-separated list); the value is the list. */
export interface RepeatableFlag<T> extends FlagBase<T> {
  readonly repeatable: true;
  readonly default?: readonly T[];
  readonly switch?: never;
}

export type Flags = { readonly [key: string]: Flag<unknown> | RepeatableFlag<unknown> };

type ValueOfFlag<F> = F extends { repeatable: true; parse(text: string): Parsed<infer T> }
  ? T[]
  : F extends { parse(text: string): Parsed<infer T> }
    ? T
    : never;

/** The values of a set of flags: those with a default always present, the others when given. */
export type FlagValues<F extends Flags> = { -readonly [K in keyof F as F[K] extends { default: unknown } ? K : never]: ValueOfFlag<F[K]> } & {
  -readonly [K in keyof F as F[K] extends { default: unknown } ? never : K]?: ValueOfFlag<F[K]>;
};

/** "true" / "false" for a switch's variable (and "true" for the switch given). */
export function parseSwitch(text: string): Parsed<boolean> {
  if (text === 'true' || text === 'false') return ok(text === 'true');
  return fail(`${JSON.stringify(text)} is not true or false`);
}

export const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
export const fail = (error: string): Parsed<never> => ({ ok: false, error });
