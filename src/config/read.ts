// Reads data against a declared section with convict: a pass over the shape first (schema/walk.ts),
// then convict merges the defaults and runs every key's check through one named format, which
// records what it finds as issues: convict's own error text is never read. Then the checked data
// becomes internal values.
import convict from 'convict';
import type { Field, FieldContext, Fields, Section, ValueOf } from '../schema/fields.ts';
import type { Issues } from '../schema/issues.ts';
import { build, prepare, type ContextFor } from '../schema/walk.ts';

/**
 * A named format rather than a format function: for function formats convict "coerces" strings
 * first (parseFloat("12abc") is 12, a string where a list belongs is JSON.parsed).
 */
const CHECKED = 'docker-fleet-exporter-checked';
convict.addFormat({
  name: CHECKED,
  validate(value: unknown, item: convict.SchemaObj) {
    const check = item['check'] as (v: unknown) => boolean;
    if (!check(value)) throw new Error('invalid (reported separately)');
  },
});

export interface ReadContext {
  env: NodeJS.ProcessEnv;
  resolvePath(p: string): string;
}

function contextFor(base: ReadContext): ContextFor {
  return (issues, key): FieldContext => ({ env: base.env, resolvePath: base.resolvePath, warn: (message) => issues.warn(key, message), at: issues.at(key) });
}

/** The convict schema of a section: every key with its doc and default, checked by CHECKED. */
function convictSchema(s: Section, issues: Issues, failed: Set<Field<unknown>>, context: ContextFor): Record<string, unknown> {
  const schema: Record<string, unknown> = {};
  for (const [name, node] of Object.entries(s.fields)) {
    if (node.kind === 'section') {
      schema[name] = convictSchema(node, issues.at(name), failed, context);
      continue;
    }
    schema[node.key] = {
      doc: node.doc,
      default: node.default,
      format: CHECKED,
      check: (value: unknown): boolean => {
        const problem = node.check(value, context(issues, node.key));
        if (problem === undefined) return true;
        if (problem !== false) issues.add(node.key, problem);
        failed.add(node);
        return false;
      },
    };
  }
  return schema;
}

/**
 * `raw` read against `s`, every problem added to `issues` (at its own path). The value holds the
 * keys that passed their checks, converted; it is complete only when no issue was added.
 */
export function readSection<F extends Fields>(raw: Record<string, unknown>, s: Section<F>, issues: Issues, base: ReadContext): ValueOf<Section<F>> {
  const context = contextFor(base);
  const data = prepare(raw, s, issues, context);
  const failed = new Set<Field<unknown>>();
  const config = convict(convictSchema(s, issues, failed, context) as convict.Schema<Record<string, unknown>>, { env: {}, args: [] });
  config.load(data);
  try {
    config.validate({ allowed: 'strict', output: () => {} });
  } catch {
    // every way to fail is a check that recorded its issue, or shape taken out by prepare()
    if (failed.size === 0) issues.add('', 'the configuration was rejected without a reason (a bug: please report it)');
  }
  return build(s, config.getProperties(), failed, issues, context);
}
