import type { ContainerIdentity, ContainerSnapshot, HostSnapshot } from '../model.ts';
import { Exposition, labelBytes, labelText, joinLabels, nameBytes, type MetricType } from './exposition.ts';

/**
 * One metric family per file (node_exporter's collector pattern): it reads snapshots and
 * writes series; it never calls a daemon. Adding a family touches its own file and the list
 * in registry.ts.
 */
export interface Collector {
  readonly name: string;
  /**
   * A generator may pause (yield) between batches of series: the renderer lets the event loop
   * run there, so 100k series never block it in one piece.
   */
  collect(hosts: readonly HostSnapshot[], out: Exposition): void | Iterable<void>;
}

/** `host="…"` plus the host's static labels. */
export function hostLabels(h: HostSnapshot): string {
  return labelText([['host', h.host], ...Object.entries(h.labels)]);
}

export interface ContainerMetric {
  name: string;
  type: MetricType;
  help: string;
  /** NaN: no series for this container */
  value(c: ContainerSnapshot): number;
}

/**
 * Writes each metric over every host's containers, label text cached per container identity
 * as UTF-8 bytes: built and encoded once per container, not once per series per scrape.
 */
export function* writeContainerMetrics(
  hosts: readonly HostSnapshot[],
  out: Exposition,
  metrics: readonly ContainerMetric[],
  labels: (ident: ContainerIdentity) => readonly (readonly [string, string])[],
  cache: WeakMap<ContainerIdentity, Buffer>,
): Generator<void> {
  const rows: [Buffer, ContainerSnapshot][] = [];
  for (const h of hosts) {
    if (!h.containers) continue;
    let hl: string | undefined;
    for (const c of h.containers) {
      let text = cache.get(c.ident);
      if (text === undefined) {
        hl ??= hostLabels(h);
        text = labelBytes(joinLabels(hl, labelText(labels(c.ident))));
        cache.set(c.ident, text);
      }
      rows.push([text, c]);
    }
  }
  for (const m of metrics) {
    out.family(m.name, m.type, m.help);
    const name = nameBytes(m.name);
    for (let i = 0; i < rows.length; i++) {
      const [text, c] = rows[i]!;
      out.sampleBytes(name, text, m.value(c));
      if ((i & PAUSE_MASK) === PAUSE_MASK) yield;
    }
    yield;
  }
}

/** Pause every this many containers (a power of two, minus one). */
export const PAUSE_MASK = 1023;

export function stat(c: ContainerSnapshot, field: number): number {
  return c.stats ? c.stats.values[field]! : NaN;
}
