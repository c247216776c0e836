// Declarations of command-line flags (Prometheus exporter style, --web.listen-address), each with
// an environment variable: its default, doc and parse declared once. config/settings.ts declares
// the exporter's; cli/args.ts parses any set of them and writes their --help.

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

export interface Flag<T> {
  /** without the dashes: "web.listen-address" */
  readonly name: string;
  /** the environment variable read when the flag is not given (an empty one is unset) */
  readonly env: string;
  readonly doc: string;
  /** absent: the value is absent unless given */
  readonly default?: T;
  /** --help's form of the value: the default as written ("2m"), or a placeholder ("PATH") */
  readonly shown: string;
  /** the value from its text; the error does not repeat the flag's name */
  parse(text: string): Parsed<T>;
}

export type Flags = { readonly [key: string]: Flag<unknown> };

type ValueOfFlag<F> = F extends { parse(text: string): Parsed<infer T> } ? T : never;

/** The values of a set of flags: those with a default always present, the others when given. */
export type FlagValues<F extends Flags> = { -readonly [K in keyof F as F[K] extends { default: unknown } ? K : never]: ValueOfFlag<F[K]> } & {
  -readonly [K in keyof F as F[K] extends { default: unknown } ? never : K]?: ValueOfFlag<F[K]>;
};

export const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
export const fail = (error: string): Parsed<never> => ({ ok: false, error });
