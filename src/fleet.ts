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
  /**
   * Each host's scrape in progress. Scrapes arriving meanwhile share it, so concurrent requests
   * get the same HostSnapshot objects, and the HTTP side can share one rendered body among them
   * (100 scrapes of 1 x 1000 containers: 729 MB peak RSS when each rendered its own).
   */
  readonly #inProgress = new Map<string, Promise<HostSnapshot>>();

  constructor(config: ExporterConfig, parser: StatsParser, log: Logger) {
    const include = compileFilter(config.metrics.include, config.metrics.exclude);
    this.#trackers = new Map(
      config.hosts.map((host) => [
        host.name,
        new HostTracker({
          host,
          transport: createTransport(host.name, host.endpoint, { log, maxInFlight: config.collection.concurrency, env: process.env }),
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

  /**
   * All hosts, or the named one, concurrently; a slow or broken host never holds up the others.
   * A scrape joining another's in progress is served by its deadline, so never later than its own.
   */
  async scrape(only?: string): Promise<HostSnapshot[]> {
    const trackers = only === undefined ? [...this.#trackers.values()] : [this.#trackers.get(only)!];
    return Promise.all(trackers.map((t) => this.#scrapeHost(t)));
  }

  #scrapeHost(tracker: HostTracker): Promise<HostSnapshot> {
    const name = tracker.host.name;
    let scrape = this.#inProgress.get(name);
    if (scrape === undefined) {
      scrape = tracker
        .scrape()
        .then((s) => {
          this.#lastServed.set(name, s);
          return s;
        })
        .finally(() => this.#inProgress.delete(name));
      this.#inProgress.set(name, scrape);
    }
    return scrape;
  }

  lastServed(): { name: string; url: string; snapshot?: HostSnapshot }[] {
    return [...this.#trackers.values()].map((t) => ({ name: t.host.name, url: t.host.url, snapshot: this.#lastServed.get(t.host.name) }));
  }

  async close(): Promise<void> {
    await Promise.all([...this.#trackers.values()].map((t) => t.close()));
  }
}
