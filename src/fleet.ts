import type { ExporterConfig } from './config/types.ts';
import type { Logger } from './log.ts';
import type { HostSnapshot } from './model.ts';
import { compileFilter } from './tracker/filter.ts';
import { HostTracker, type StatsParser } from './tracker/host-tracker.ts';
import { createTransport } from './transport/index.ts';

/** Every configured host's tracker; a scrape asks them all at once. */
export class Fleet {
  readonly #trackers: Map<string, HostTracker>;
  /** what each host served last, for the status page (which must not trigger probes) */
  readonly #lastServed = new Map<string, HostSnapshot>();

  constructor(config: ExporterConfig, parser: StatsParser, log: Logger) {
    const include = compileFilter(config.metrics.include, config.metrics.exclude);
    this.#trackers = new Map(
      config.hosts.map((host) => [
        host.name,
        new HostTracker({
          host,
          transport: createTransport(host, log, config.collection.concurrency),
          parser,
          collection: config.collection,
          include,
          log,
        }),
      ]),
    );
  }

  has(name: string): boolean {
    return this.#trackers.has(name);
  }

  names(): string[] {
    return [...this.#trackers.keys()];
  }

  /** All hosts, or the named ones, concurrently; a slow or broken host never holds up the others. */
  async scrape(only?: string): Promise<HostSnapshot[]> {
    const trackers = only === undefined ? [...this.#trackers.values()] : [this.#trackers.get(only)!];
    const snapshots = await Promise.all(trackers.map((t) => t.scrape()));
    for (const s of snapshots) this.#lastServed.set(s.host, s);
    return snapshots;
  }

  lastServed(): { name: string; url: string; snapshot?: HostSnapshot }[] {
    return [...this.#trackers.values()].map((t) => ({ name: t.host.name, url: t.host.url, snapshot: this.#lastServed.get(t.host.name) }));
  }

  async close(): Promise<void> {
    await Promise.all([...this.#trackers.values()].map((t) => t.close()));
  }
}
