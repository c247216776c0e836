// What a reload does to each host, from the running config's hosts and the new one's (both
// validated). A host is matched by name, and compared by its connection key: everything that
// went into building its transport (URL, TLS and SSH settings, requests in flight) plus the
// contents of the files its transport loaded once at creation. Static labels are compared apart:
// they are only written into series at render time, so a labels-only change keeps the tracker,
// its connections (an SSH session: no new login), its counters and its containers.
import { createHash } from 'node:crypto';
import type { HostConfig } from '../config/types.ts';
import { transportFor } from '../transport/index.ts';
import { readRegularFile } from '../util/read-file.ts';

export interface HostChange<H> {
  before: H;
  after: H;
}

export interface ReloadPlan<H> {
  /** same settings and labels: nothing to do */
  unchanged: HostChange<H>[];
  /** only the static labels differ: keep everything, swap the labels */
  relabeled: HostChange<H>[];
  /** the connection differs: close the old tracker, build a new one */
  rebuilt: HostChange<H>[];
  /** gone from the config: close; its series vanish at the next scrape */
  removed: H[];
  /** new in the config */
  added: H[];
}

export interface PlannedHost {
  name: string;
  labels: Readonly<Record<string, string>>;
}

/**
 * Pure: `connectionKey` says what of a host needs a rebuild when it changes. Lists keep the
 * new config's order (removed: the old one's).
 */
export function planReload<H extends PlannedHost>(before: readonly H[], after: readonly H[], connectionKey: (h: H) => string): ReloadPlan<H> {
  const plan: ReloadPlan<H> = { unchanged: [], relabeled: [], rebuilt: [], removed: [], added: [] };
  const old = new Map(before.map((h) => [h.name, h]));
  const kept = new Set<string>();
  for (const h of after) {
    const was = old.get(h.name);
    if (was === undefined) {
      plan.added.push(h);
      continue;
    }
    kept.add(h.name);
    const change = { before: was, after: h };
    if (connectionKey(was) !== connectionKey(h)) plan.rebuilt.push(change);
    else if (canonical(was.labels) !== canonical(h.labels)) plan.relabeled.push(change);
    else plan.unchanged.push(change);
  }
  for (const h of before) if (!kept.has(h.name)) plan.removed.push(h);
  return plan;
}

/** Whether a plan changes nothing at all. */
export function isEmptyPlan(plan: ReloadPlan<unknown>): boolean {
  return plan.relabeled.length + plan.rebuilt.length + plan.removed.length + plan.added.length === 0;
}

/**
 * A HostConfig's connection key. `perHost` is what every transport is built with besides the
 * host's own settings (the requests in flight per host). File contents are hashed for the
 * files a transport loads once (TLS material: a renewed certificate under the same path must
 * rebuild the host); SSH files are read again at each login, and a known_hosts shared by every
 * SSH host must not cost each of them its session when one line is added to it.
 */
export function hostConnectionKey(host: HostConfig, perHost: Record<string, unknown>): string {
  const loaded = transportFor(host.endpoint.kind)?.loadedFiles?.(host.endpoint) ?? [];
  return canonical({ url: host.url, endpoint: host.endpoint, perHost, files: loaded.map(digest) });
}

/** sha256 of a file's bytes; an unreadable file is keyed by why (the next load reports it). */
function digest(file: string): string {
  const read = readRegularFile(file);
  return read.ok ? createHash('sha256').update(read.data).digest('hex') : `unreadable: ${read.reason}`;
}

/** JSON with sorted keys, so that key order never reads as a change. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === 'object' && v !== null && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}
