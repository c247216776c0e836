// Walks configuration data against its declarations: the shape first (sections are mappings,
// keys are declared, required keys are given), then each field's value (flag, data or default)
// checked and converted to its internal value.
import { entriesByFileKey, isMapping, kindOf, type FieldContext, type Fields, type Section, type ValueOf } from './fields.ts';
import { isKeyName, notKeyNames } from '../util/key-name.ts';
import { Issues } from './issues.ts';

/** A FieldContext for the key `key` of the place `issues` is at. */
export type ContextFor = (issues: Issues, key: string) => FieldContext;

/** Checks' contexts over one environment and one way to resolve relative paths. */
export function contextFor(base: Pick<FieldContext, 'env' | 'resolvePath'>): ContextFor {
  return (issues, key) => ({ env: base.env, resolvePath: base.resolvePath, warn: (message) => issues.warn(key, message), at: issues.at(key) });
}

/**
 * The data with what cannot be checked key by key taken out, each reported: a section that is
 * not a mapping (null is one left out), an undeclared key (named at its first unknown part; a
 * flag-only setting is one), and a missing required key.
 */
export function prepare(raw: Record<string, unknown>, s: Section, issues: Issues): Record<string, unknown> {
  const entries = entriesByFileKey(s);
  const out: Record<string, unknown> = {};
  let hidden = 0;
  for (const key of Object.keys(raw)) {
    const value = raw[key];
    const entry = entries.get(key);
    if (entry === undefined && !isKeyName(key)) hidden++;
    else if (entry === undefined) {
      issues.add(key, `unknown key (expected one of: ${[...entries.keys()].join(', ')})`);
    } else if (entry.node.kind === 'section') {
      if (value === null || value === undefined) continue;
      if (isMapping(value)) out[key] = prepare(value, entry.node, issues.at(key));
      else issues.add(key, `must be a mapping, got ${kindOf(value)}`);
    } else {
      out[key] = value;
    }
  }
  if (hidden > 0) issues.add('', notKeyNames(hidden));
  for (const [key, { node }] of entries) {
    if (node.kind === 'field' && node.required !== undefined && !Object.hasOwn(raw, key)) issues.add(key, node.required);
  }
  return out;
}

/** Values the command line set (checked and converted there), by flag name. */
export type FlagValues = ReadonlyMap<string, unknown>;

/**
 * Every field's internal value: the flag's when it was given, else the data's, else the default;
 * a value from the data or the default is checked first, and one that fails is left out (its
 * issue added). Defaults are applied here and nowhere else.
 */
export function resolve<F extends Fields>(s: Section<F>, data: Record<string, unknown>, flags: FlagValues, issues: Issues, context: ContextFor): ValueOf<Section<F>> {
  const out: Record<string, unknown> = {};
  for (const [name, node] of Object.entries(s.fields)) {
    if (node.kind === 'section') {
      const value = data[name];
      out[name] = resolve(node, isMapping(value) ? value : {}, flags, issues.at(name), context);
      continue;
    }
    if (node.flag !== undefined && flags.has(node.flag.name)) {
      out[name] = flags.get(node.flag.name);
      continue;
    }
    const value = data[node.key] === undefined ? node.default : data[node.key];
    if (value === undefined) continue;
    const ctx = context(issues, node.key);
    const problem = node.check(value, ctx);
    if (problem !== undefined) {
      if (problem !== false) issues.add(node.key, problem);
      continue;
    }
    const converted = node.convert(value, ctx);
    if (converted !== undefined) out[name] = converted;
  }
  return out as ValueOf<Section<F>>;
}

/** A section without data: its defaults, and the flags' values over them (a default never fails its check). */
export function defaultsOf<F extends Fields>(s: Section<F>, flags: FlagValues = new Map()): ValueOf<Section<F>> {
  return resolve(s, {}, flags, Issues.root(), contextFor({ env: {}, resolvePath: (p) => p }));
}

/** Every key given in `raw` passed its check (a failed one is absent from `value`). */
export function allGivenPassed(raw: Record<string, unknown>, s: Section, value: Record<string, unknown>): boolean {
  return [...entriesByFileKey(s)].every(([key, { name }]) => raw[key] === undefined || raw[key] === null || value[name] !== undefined);
}

/** The object without its undefined properties (an optional key not given is absent, not undefined). */
export function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
