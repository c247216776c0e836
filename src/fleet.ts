import { trackerBuildSettings } from './config/settings.ts';
import { ownedHosts, shardOf, type Shard } from './config/shard.ts';
import type { CollectionConfig, ExporterConfig, HostConfig } from './config/types.ts';
import type { Logger } from './log.ts';
import type { HostSnapshot } from './model.ts';
import { hostConnectionKey, planReload } from './reload/plan.ts';
import { Clusters } from './swarm/clusters.ts';
import { compileFilter, type ContainerPredicate } from './tracker/filter.ts';
import { HostTracker, type StatsParser } from './tracker/host-tracker.ts';
import { createTransport } from './transport/index.ts';
import { errorMessage } from './util/errors.ts';

interface Member {
  /** this generation's settings of the host: its labels are the ones its snapshots carry */
  host: HostConfig;
  tracker: HostTracker;
  /** what its transport was built from (reload/plan.ts), TLS files' contents included */
  key: string;
}

/**
 * One host set, as one config made it. A scrape takes the generation current when it starts and
 * uses it alone, so it is answered from all old hosts or all new ones, never a mix.
 */
interface Generation {
  members: Map<string, Member>;
  /**
   * Each host's scrape in progress. Scrapes arriving meanwhile share it, so concurrent requests
   * get the same HostSnapshot objects, and the HTTP side can share one rendered body among them
   * (100 scrapes of 1 x 1000 containers: 729 MB peak RSS when each rendered its own).
   */
  inProgress: Map<string, Promise<HostSnapshot>>;
  shard: Shard;
  /** hosts of the config that another replica serves, by name */
  elsewhere: Set<string>;
  collection: CollectionConfig;
  /** the swarm family is enabled: managers are asked for their cluster */
  swarm: boolean;
}

/** What a reload changed, by host name (for the log). */
export interface FleetChanges {
  added: string[];
  removed: string[];
  rebuilt: string[];
  relabeled: string[];
}

/** The hosts this replica serves (its shard of the config's), a tracker each; a scrape asks them all at once. */
export class Fleet {
  #gen: Generation;
  /** what each host served last, for the status page (which must not trigger probes) */
  readonly #lastServed = new Map<string, HostSnapshot>();
  readonly #parser: StatsParser;
  readonly #log: Logger;
  /** trackers a reload took out, closing once the scrapes that started before it are answered */
  readonly #retiring = new Set<Promise<void>>();
  /** each Swarm cluster's serving manager, across reloads */
  readonly #clusters: Clusters;

  constructor(config: ExporterConfig, parser: StatsParser, log: Logger) {
    this.#parser = parser;
    this.#log = log;
    this.#clusters = new Clusters(log);
    const include = compileFilter(config.metrics.include, config.metrics.exclude);
    const members = new Map<string, Member>();
    for (const host of ownedHosts(config.hosts, config.shard)) members.set(host.name, this.#member(host, config, include));
    this.#gen = generation(members, config);
  }

  #member(host: HostConfig, config: ExporterConfig, include: ContainerPredicate): Member {
    const maxInFlight = config.collection.concurrency;
    // keyed before the transport reads its files: a file renewed in between rebuilds it once more
    const key = connectionKey(host, config.collection);
    const tracker = new HostTracker({
      host,
      transport: createTransport(host.name, host.endpoint, { log: this.#log, maxInFlight, env: process.env }),
      parser: this.#parser,
      collection: config.collection,
      include,
      log: this.#log,
    });
    return { host, tracker, key };
  }

  has(name: string): boolean {
    return this.#gen.members.has(name);
  }

  names(): string[] {
    return [...this.#gen.members.keys()];
  }

  /** This replica's hosts, in the config's order. */
  hosts(): HostConfig[] {
    return [...this.#gen.members.values()].map((m) => m.host);
  }

  /** The replica serving a configured host this one does not, or undefined. */
  shardServing(name: string): { index: number; count: number } | undefined {
    const { elsewhere, shard } = this.#gen;
    return elsewhere.has(name) ? { index: shardOf(name, shard.count), count: shard.count } : undefined;
  }

  get shard(): Shard {
    return this.#gen.shard;
  }

  /**
   * All hosts, or the named one, concurrently; a slow or broken host never holds up the others.
   * A scrape joining another's in progress is served by its deadline, so never later than its own.
   */
  async scrape(only?: string): Promise<HostSnapshot[]> {
    const gen = this.#gen;
    const members = only === undefined ? [...gen.members.values()] : [gen.members.get(only)].filter((m) => m !== undefined);
    const snapshots = await Promise.all(members.map((m) => this.#scrapeHost(gen, m)));
    if (!gen.swarm) return snapshots;
    const { timeoutMs, minIntervalMs } = gen.collection;
    const served = await this.#clusters.attach(snapshots, (name) => gen.members.get(name)?.tracker.swarmApi(), { timeoutMs, minIntervalMs }, only === undefined);
    if (this.#gen === gen) for (const s of served) if (s.swarm) this.#lastServed.set(s.host, s);
    return served;
  }

  #scrapeHost(gen: Generation, { host, tracker }: Member): Promise<HostSnapshot> {
    const name = host.name;
    let scrape = gen.inProgress.get(name);
    if (scrape === undefined) {
      scrape = tracker
        .scrape()
        .then((s) => {
          // a tracker kept through a reload has its first config's labels: serve this generation's
          const snapshot = s.labels === host.labels ? s : { ...s, labels: host.labels };
          if (this.#gen === gen) this.#lastServed.set(name, snapshot);
          return snapshot;
        })
        .finally(() => gen.inProgress.delete(name));
      gen.inProgress.set(name, scrape);
    }
    return scrape;
  }

  lastServed(): { name: string; url: string; snapshot?: HostSnapshot }[] {
    return this.hosts().map((h) => ({ name: h.name, url: h.url, snapshot: this.#lastServed.get(h.name) }));
  }

  /**
   * Makes a validated config's hosts the current ones (reload/plan.ts says which tracker is
   * kept): one swap, so a scrape sees all old or all new hosts. Trackers taken out close once
   * the scrapes already using them are answered (by their deadline at most).
   */
  apply(config: ExporterConfig): FleetChanges {
    const old = this.#gen;
    const before = [...old.members.values()];
    const keys = new Map(before.map((m) => [m.host, m.key]));
    const owned = ownedHosts(config.hosts, config.shard);
    const plan = planReload(before.map((m) => m.host), owned, (h) => keys.get(h) ?? connectionKey(h, config.collection));
    const include = compileFilter(config.metrics.include, config.metrics.exclude);

    const members = new Map<string, Member>();
    const kept = new Set([...plan.unchanged, ...plan.relabeled].map((c) => c.after.name));
    const rebuilt = plan.rebuilt.map((c) => c.after.name);
    for (const host of owned) {
      const member = kept.has(host.name) ? old.members.get(host.name) : undefined;
      if (member === undefined) {
        members.set(host.name, this.#member(host, config, include));
        continue;
      }
      member.tracker.configure(config.collection, include);
      // the tracker's connection, with the new settings of the host (its labels, where it came from)
      members.set(host.name, { ...member, host });
    }
    this.#gen = generation(members, config);

    for (const name of [...plan.removed.map((h) => h.name), ...rebuilt]) {
      this.#lastServed.delete(name);
      this.#retire(old, name);
    }
    const names = (hosts: { name: string }[]) => hosts.map((h) => h.name);
    return {
      added: names(plan.added),
      removed: names(plan.removed),
      rebuilt,
      relabeled: names(plan.relabeled.map((c) => c.after)),
    };
  }

  #retire(gen: Generation, name: string): void {
    const { tracker } = gen.members.get(name)!;
    const done = Promise.resolve(gen.inProgress.get(name))
      .then(() => tracker.close())
      .catch((err: unknown) => this.#log.warn({ host: name, err: errorMessage(err) }, 'closing a host taken out by a reload failed'))
      .finally(() => this.#retiring.delete(done));
    this.#retiring.add(done);
  }

  async close(): Promise<void> {
    await Promise.all([...this.#gen.members.values()].map((m) => m.tracker.close()));
    await Promise.all(this.#retiring);
  }
}

/**
 * What a tracker is built with and cannot change while it runs: the collection settings declared
 * with rebuilds() (settings.ts), a host's own `events` over the fleet's. Other collection settings
 * reach a kept tracker through configure().
 */
function connectionKey(host: HostConfig, collection: CollectionConfig): string {
  return hostConnectionKey(host, trackerBuildSettings({ ...collection, events: host.events ?? collection.events }));
}

function generation(members: Map<string, Member>, config: ExporterConfig): Generation {
  const elsewhere = new Set(config.hosts.filter((h) => !members.has(h.name)).map((h) => h.name));
  return { members, inProgress: new Map(), shard: config.shard, elsewhere, collection: config.collection, swarm: config.metrics.families.includes('swarm') };
}
