// The `docker_contexts` block: hosts imported from a Docker CLI context store (read by
// docker-contexts.ts), each item then read exactly as a hosts[] item is (hosts.ts), so imported
// hosts pass the same checks. A context that does not pass (or a second of one name) is skipped
// with a warning naming it and its meta.json: it never fails the whole config.
import { field, isMapping, kindOf, list, nonEmptyString, optionalText, section, type ValueOf } from '../schema/fields.ts';
import { Issues } from '../schema/issues.ts';
import { homeDir } from './defaults.ts';
import { contextStoreDir, readDockerContexts } from './docker-contexts.ts';
import { readHost } from './hosts.ts';
import type { ReadContext } from './read.ts';
import type { HostConfig } from './host-config.ts';

const mapping = (value: unknown): string | undefined => (isMapping(value) ? undefined : `must be a mapping, got ${kindOf(value)}`);

export const DOCKER_CONTEXTS = section({
  dir: optionalText('dir', 'The context store: default $DOCKER_CONFIG, else ~/.docker.', undefined, (value, ctx) => ctx.resolvePath(value)),
  include: list('include', 'Context name globs (* and ?); empty: every context.', [], nonEmptyString),
  exclude: list('exclude', 'Context name globs, applied after include.', [], nonEmptyString),
  labels: field('labels', 'Static labels of every imported host.', {}, mapping, (value) => ({ ...(value as Record<string, unknown>) })),
  ssh: field('ssh', "A host's ssh block, for every ssh:// context (known_hosts defaults to ~/.ssh/known_hosts).", {}, mapping, (value) => ({ ...(value as Record<string, unknown>) })),
});

/** "context "x" (/path/meta.json): " before an item's issue, which names its own key. */
function reissue(name: string, file: string, issue: { path: string; message: string }): string {
  return `context "${name}" (${file}): ${issue.path === '' ? '' : `${issue.path}: `}${issue.message}`;
}

/** The hosts of the store the block names, read as hosts[] items; problems go to `issues`. */
export function importContexts(block: ValueOf<typeof DOCKER_CONTEXTS>, issues: Issues, base: ReadContext): HostConfig[] {
  const home = homeDir(base.env);
  const store = readDockerContexts({
    dir: block.dir ?? contextStoreDir(base.env, home),
    include: block.include,
    exclude: block.exclude,
    labels: block.labels,
    blocks: { ssh: block.ssh },
    homeDir: home,
  });
  for (const i of store.issues) issues.add('', i.message);
  for (const s of store.skipped) issues.warn('', `${s.message}; skipped`);
  for (const w of store.warnings) issues.warn('', w.message);
  const hosts: HostConfig[] = [];
  const seen = new Set<string>();
  for (const { context, file, item } of store.hosts) {
    if (seen.has(context)) {
      issues.warn('', `context "${context}" (${file}): a second context of this name; skipped`);
      continue;
    }
    seen.add(context);
    const out = Issues.root();
    const host = readHost(item, out, base);
    for (const i of out.issues) issues.warn('', `${reissue(context, file, i)}; skipped`);
    for (const w of out.warnings) issues.warn('', reissue(context, file, w));
    if (host !== undefined && out.count === 0) hosts.push({ ...host, context });
  }
  return hosts;
}
