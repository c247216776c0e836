import type { ContainerSnapshot, HostSnapshot } from '../model.ts';
import { F } from '../stats/layout.ts';
import { Exposition, nameBytes, type MetricType } from './exposition.ts';
import type { LabelCache, LabelSet, RenderLabels } from './label-cache.ts';

/**
 * A metric family (node_exporter's collector pattern): one file in families/ that exports its
 * descriptor, plus one line in families/index.ts. It reads snapshots and writes series; it never
 * calls a daemon. The config's allowed `metrics.families` and the label names a host's static
 * labels must not take come from the descriptors.
 */
export interface FamilyDescriptor {
  /** the value in `metrics.families` */
  readonly name: string;
  /** false: always on (never listed in `metrics.families`) */
  readonly optional: boolean;
  /** label names its series carry, besides the host's static labels */
  readonly labels: readonly string[];
  /**
   * false: its series belong to no host (a Swarm cluster's) and carry no host's static labels,
   * so its label names are free for those; default true
   */
  readonly hostLabels?: boolean;
  /** label name prefixes it uses, with what they are (for the config's message) */
  readonly labelPrefixes?: readonly { prefix: string; what: string }[];
  create(opts: FamilyOptions): Collector;
}

/** One series per host, its value read from `T` (the host, or what the family keeps of it). */
export interface PerHostMetric<T> {
  name: string;
  type: 'gauge' | 'counter';
  help: string;
  value(x: T): number;
}

/** Each metric of the table as a family, one sample per item under that host's labels. */
export function writePerHost<T>(out: Exposition, metrics: readonly PerHostMetric<T>[], items: readonly T[], hostLabels: readonly string[]): void {
  for (const m of metrics) {
    out.family(m.name, m.type, m.help);
    items.forEach((x, i) => out.sample(m.name, hostLabels[i]!, m.value(x)));
  }
}

export interface FamilyOptions {
  /** Docker labels exported on container_info (metrics.container_labels) */
  containerLabels: readonly string[];
  /** the renderer's label cache: define() a label set here, ask for its bytes at render */
  labels: LabelCache;
}

export interface Collector {
  /**
   * A generator may pause (yield) between batches of series: the renderer lets the event loop
   * run there, so 100k series never block it in one piece.
   */
  collect(hosts: readonly HostSnapshot[], out: Exposition, labels: RenderLabels): void | Iterable<void>;
}

export interface ContainerMetric {
  name: string;
  type: MetricType;
  help: string;
  /** NaN: no series for this container */
  value(c: ContainerSnapshot, h: HostSnapshot): number;
}

/** Writes each metric over every host's containers, labelled with label set `set`. */
export function* writeContainerMetrics(
  hosts: readonly HostSnapshot[],
  out: Exposition,
  labels: RenderLabels,
  metrics: readonly ContainerMetric[],
  set: LabelSet,
): Generator<void> {
  const rows: [Buffer, ContainerSnapshot, HostSnapshot][] = [];
  for (const h of hosts) {
    if (!h.containers) continue;
    for (const c of h.containers) {
      // a container's first render encodes its labels: 10,000 of them were 30 ms in one piece
      if ((rows.push([labels.of(h, c, set), c, h]) & PAUSE_MASK) === 0) yield;
    }
  }
  for (const m of metrics) {
    out.family(m.name, m.type, m.help);
    const name = nameBytes(m.name);
    for (let i = 0; i < rows.length; i++) {
      const [text, c, h] = rows[i]!;
      out.sampleBytes(name, text, m.value(c, h));
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

/** usage minus inactive file, as `docker stats` and cAdvisor compute it */
export function workingSet(c: ContainerSnapshot): number {
  const usage = stat(c, F.memUsage);
  const inactive = stat(c, F.memInactiveFile);
  if (Number.isNaN(inactive)) return usage;
  return usage > inactive ? usage - inactive : 0;
}
