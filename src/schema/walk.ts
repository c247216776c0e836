// Walks configuration data against its declarations, before and after the checks of each key
// run: the shape first (sections are mappings, keys are declared, required keys are given), then
// the checked data to internal values.
import { entriesByFileKey, isMapping, kindOf, type Field, type FieldContext, type Fields, type Section, type ValueOf } from './fields.ts';
import { isKeyName, notKeyNames } from '../util/key-name.ts';
import { Issues } from './issues.ts';

/** A FieldContext for the key `key` of the place `issues` is at. */
export type ContextFor = (issues: Issues, key: string) => FieldContext;

/**
 * The data with what cannot be checked key by key taken out, each reported: a section that is
 * not a mapping (null is one left out), an undeclared key (named at its first unknown part), a
 * missing required key, and a mapping given to a field (checked here: convict's merge would
 * recurse into it; kept only when the field takes a mapping, as `labels` does).
 */
export function prepare(raw: Record<string, unknown>, s: Section, issues: Issues, context: ContextFor): Record<string, unknown> {
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
      if (isMapping(value)) out[key] = prepare(value, entry.node, issues.at(key), context);
      else issues.add(key, `must be a mapping, got ${kindOf(value)}`);
    } else if (isMapping(value)) {
      const problem = entry.node.check(value, context(issues, key));
      if (problem === undefined) out[key] = value;
      else if (problem !== false) issues.add(key, problem);
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

/** Checked data (snake_case keys, defaults filled in) as internal values; fields in `failed` are left out. */
export function build<F extends Fields>(s: Section<F>, data: Record<string, unknown>, failed: ReadonlySet<Field<unknown>>, issues: Issues, context: ContextFor): ValueOf<Section<F>> {
  const out: Record<string, unknown> = {};
  for (const [key, { name, node }] of entriesByFileKey(s)) {
    const value = data[key];
    if (node.kind === 'section') out[name] = build(node, isMapping(value) ? value : {}, failed, issues.at(key), context);
    else if (value !== undefined && !failed.has(node)) {
      const converted = node.convert(value, context(issues, key));
      if (converted !== undefined) out[name] = converted;
    }
  }
  return out as ValueOf<Section<F>>;
}

/** The internal values of a section's defaults (fields without one are left out). */
export function defaultsOf<F extends Fields>(s: Section<F>): ValueOf<Section<F>> {
  // a default is a plain value: its conversion reads no file and warns of nothing
  const ctx: FieldContext = { env: {}, resolvePath: (p) => p, warn: () => {}, at: Issues.root() };
  const out: Record<string, unknown> = {};
  for (const [name, node] of Object.entries(s.fields)) {
    if (node.kind === 'section') out[name] = defaultsOf(node);
    else if (node.default !== undefined) out[name] = node.convert(node.default, ctx);
  }
  return out as ValueOf<Section<F>>;
}

/** Every key given in `raw` passed its check (a failed one is absent from `value`). */
export function allGivenPassed(raw: Record<string, unknown>, s: Section, value: Record<string, unknown>): boolean {
  return [...entriesByFileKey(s)].every(([key, { name }]) => raw[key] === undefined || raw[key] === null || value[name] !== undefined);
}

/** The object without its undefined properties (an optional key not given is absent, not undefined). */
export function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
