import type { ContainerFilter } from '../config/types.ts';
import { globToRegExp } from '../util/glob.ts';

export type ContainerPredicate = (c: { name: string; labels: Record<string, string> }) => boolean;

/** include (empty = everything), then exclude. Names are globs with * and ?. */
export function compileFilter(include: ContainerFilter, exclude: ContainerFilter): ContainerPredicate {
  const inc = compile(include);
  const exc = compile(exclude);
  if (!inc && !exc) return () => true;
  return (c) => (!inc || inc(c)) && !(exc && exc(c));
}

function compile(f: ContainerFilter): ContainerPredicate | undefined {
  if (f.names.length === 0 && f.labels.length === 0) return undefined;
  const names = f.names.map(globToRegExp);
  const labels = f.labels.map((l) => {
    const eq = l.indexOf('=');
    return eq < 0 ? { key: l, value: undefined } : { key: l.slice(0, eq), value: l.slice(eq + 1) };
  });
  return (c) =>
    names.some((re) => re.test(c.name)) ||
    labels.some(({ key, value }) => (value === undefined ? key in c.labels : c.labels[key] === value));
}
