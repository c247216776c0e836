// Reads data against a declared section (schema/walk.ts): its shape first, then every field from
// the flags, the data or its default, checked and converted. Every problem becomes an issue at
// its own path; nothing throws.
//
// No convict: it would only sit between prepare() and resolve(). Measured with convict 6.2.5: its
// message for a hosts list with one bad item is `hosts: <reason>: value was [{"url":
// "ssh://me:s3cr3tpw@box"}]` (the whole list, password included, and no item index or host
// name), a repeated `--web.listen-address` reaches its `arg` as one string ":1,:2", and it reads
// process.argv and process.env unless told not to. docs/configuration.md says more.
import type { Fields, Section, ValueOf } from '../schema/fields.ts';
import { Issues } from '../schema/issues.ts';
import { contextFor, prepare, resolve, type FlagValues } from '../schema/walk.ts';

export interface ReadContext {
  env: NodeJS.ProcessEnv;
  resolvePath(p: string): string;
}

const NO_FLAGS: FlagValues = new Map();

/**
 * `raw` read against `s`, every problem added to `issues` (at its own path); `flags` (set on the
 * command line) win over `raw`. The value holds the keys that passed their checks, converted; it
 * is complete only when no issue was added.
 */
export function readSection<F extends Fields>(raw: Record<string, unknown>, s: Section<F>, issues: Issues, base: ReadContext, flags = NO_FLAGS): ValueOf<Section<F>> {
  const data = prepare(raw, s, issues);
  return resolve(s, data, flags, issues, contextFor(base));
}
