import type { CollectionConfig, HostConfig } from '../config/types.ts';
import { createDockerode, DaemonClient } from '../docker/daemon-client.ts';
import { mountedVolumes } from '../docker/disk-usage.ts';
import { EngineClient } from '../docker/engine-client.ts';
import { HostEvents } from '../events/host-events.ts';
import type { Logger } from '../log.ts';
import type { ContainerSnapshot, DiskSnapshot, DiskUsage, HostCounters, HostSnapshot } from '../model.ts';
import type { SwarmApi } from '../swarm/poll.ts';
import type { Transport } from '../transport/types.ts';
import { roundDuration } from '../util/duration.ts';
import { copyHistogram } from '../util/histogram.ts';
import type { StatsParser } from './container-phases.ts';
import { DaemonFacts } from './daemon-facts.ts';
import { DiskPoller } from './disk-poller.ts';
import type { ContainerPredicate } from './filter.ts';
import { ProbeNotes } from './probe-notes.ts';
import { Prober, type ProbeResult } from './prober.ts';

export type { StatsParser } from './container-phases.ts';

/**
 * The seed's DockerTracker for one host, serving what its prober finds: single-flight probes,
 * min_interval, the per-host deadline with stale-while-late serving; and the host's background
 * work beside the probes (the /system/df walk, the event stream), each wired here.
 */
export class HostTracker {
  readonly host: HostConfig;
  readonly #transport: Transport;
  readonly #client: EngineClient;
  /** dockerode, for /version and /info */
  readonly #daemon: DaemonClient;
  readonly #facts: DaemonFacts;
  readonly #notes: ProbeNotes;
  readonly #prober: Prober;
  /** the event stream and its counts; undefined while this host's stream is off */
  readonly #events: HostEvents | undefined;
  /** dockerode for the event stream, on an agent of its own (see Transport.newSideAgent) */
  readonly #eventSource: DaemonClient | undefined;
  #cfg: CollectionConfig;
  #include: ContainerPredicate;
  readonly #log: Logger;
  #probe: Promise<ProbeResult> | null = null;
  /** set when a scrape stopped waiting for the running probe */
  #probeLate = false;
  #last: ProbeResult | null = null;
  #lastGood: ProbeResult | null = null;
  /** GET /system/df in the background; null when collection.disk_interval is 0 */
  readonly #disk: DiskPoller | null;
  /** mounted volumes the cap left out of the last snapshot (logged once per change) */
  #volumesDropped = 0;

  constructor(deps: {
    host: HostConfig;
    transport: Transport;
    parser: StatsParser;
    collection: CollectionConfig;
    include: ContainerPredicate;
    log: Logger;
  }) {
    this.host = deps.host;
    this.#transport = deps.transport;
    this.#client = new EngineClient(deps.transport);
    this.#daemon = new DaemonClient(createDockerode(deps.transport.requestOptions, deps.transport.newSideAgent()));
    this.#facts = new DaemonFacts(this.#client, this.#daemon);
    this.#cfg = deps.collection;
    this.#include = deps.include;
    this.#log = deps.log.child({ host: deps.host.name });
    this.#notes = new ProbeNotes(this.#log);
    this.#disk = this.#cfg.diskIntervalMs > 0 ? new DiskPoller({ intervalMs: this.#cfg.diskIntervalMs, fetch: (ms) => this.#fetchDisk(ms), log: this.#log }) : null;
    this.#disk?.start();
    if (deps.host.events ?? deps.collection.events) {
      this.#eventSource = new DaemonClient(createDockerode(deps.transport.requestOptions, deps.transport.newSideAgent()));
      // The stream answers its headers at once: the probe's deadline is long enough for them.
      // The filter is read at each event, so a reload's include/exclude applies to a kept stream.
      this.#events = new HostEvents({ source: this.#eventSource, log: this.#log, include: (c) => this.#include(c), connectTimeoutMs: deps.collection.timeoutMs });
      this.#events.start();
    }
    this.#prober = new Prober({ client: this.#client, facts: this.#facts, parser: deps.parser, notes: this.#notes, log: this.#log, events: this.#events });
  }

  get counters(): HostCounters {
    return this.#notes.counters;
  }

  /** A reload's collection settings and container filter, from the next probe on. */
  configure(collection: CollectionConfig, include: ContainerPredicate): void {
    this.#cfg = collection;
    this.#include = include;
  }

  /** The Swarm control plane, while /info says this daemon is a manager (swarm/clusters.ts asks it). */
  swarmApi(): SwarmApi | undefined {
    const version = this.#client.apiVersion;
    if (!this.#facts.info?.swarm?.manager || !version) return undefined;
    const daemon = this.#daemon;
    return {
      services: (ms) => daemon.services(version, ms),
      nodes: (ms) => daemon.nodes(version, ms),
      tasks: (filters, ms) => daemon.tasks(version, filters, ms),
    };
  }

  /** What a scrape serves for this host. Never rejects. */
  async scrape(): Promise<HostSnapshot> {
    const last = this.#last;
    if (last && Date.now() - last.finishedAt < this.#cfg.minIntervalMs) return this.#snapshot(last);

    const probe = this.#probe ?? this.#startProbe();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<null>((resolve) => {
      timer = setTimeout(resolve, this.#cfg.timeoutMs, null);
    });
    const result = await Promise.race([probe, deadline]);
    clearTimeout(timer);
    if (result) return this.#snapshot(result);

    // Past the deadline: the probe goes on in the background; serve what is still fresh enough.
    // The host is down for this scrape all the same (no probe succeeded for it): an alert on
    // up == 0 must not see 1, 0, 1... through an outage. The snapshot's age says how old it is.
    this.counters.inlineTimeouts++;
    this.#probeLate = true;
    const good = this.#lastGood;
    const error = `probe exceeded the ${roundDuration(this.#cfg.timeoutMs)} deadline`;
    if (good && Date.now() - good.finishedAt <= this.#cfg.maxStalenessMs) {
      return this.#snapshot({ ...good, ok: false, error: `${error}; serving the probe of ${roundDuration(Date.now() - good.finishedAt)} ago` });
    }
    return this.#snapshot({ ok: false, error, containers: null, containerCount: 0, finishedAt: Date.now(), durationSeconds: this.#cfg.timeoutMs / 1000 });
  }

  /** Fails the requests in flight, so a running probe ends at once; then closes the transport. */
  async close(): Promise<void> {
    this.#notes.close();
    const diskStopped = this.#disk?.stop();
    this.#client.close();
    this.#daemon.close();
    this.#eventSource?.close();
    await Promise.all([this.#probe, diskStopped, this.#events?.close()]);
    await this.#transport.close();
  }

  #startProbe(): Promise<ProbeResult> {
    this.#probeLate = false;
    const p = this.#prober.probe({ timeoutMs: this.#cfg.timeoutMs, include: this.#include }).then((result) => {
      if (this.#probeLate) this.counters.lateProbes++;
      this.#last = result;
      if (result.ok) this.#lastGood = result;
      this.#probe = null;
      return result;
    });
    this.#probe = p;
    return p;
  }

  /** Its own deadline, never a scrape's: the poller calls it, a scrape only reads its last result. */
  async #fetchDisk(timeoutMs: number): Promise<DiskUsage | string> {
    await this.#facts.ensureNegotiated(timeoutMs);
    return this.#client.systemDf(timeoutMs);
  }

  #diskSnapshot(disk: DiskPoller, containers: ContainerSnapshot[] | null): DiskSnapshot {
    const last = disk.last;
    let volumes: [string, number][] = [];
    if (last && containers) {
      const picked = mountedVolumes(last.usage, containers.map((c) => c.ident.id), this.#cfg.diskMaxVolumes);
      volumes = picked.volumes;
      // 0 asks for none: nothing to warn about
      if (picked.dropped > 0 && picked.dropped !== this.#volumesDropped && this.#cfg.diskMaxVolumes > 0) {
        this.#log.warn({ dropped: picked.dropped, kept: volumes.length }, 'containers mount more volumes than collection.disk_max_volumes: the smallest are not exported');
      }
      this.#volumesDropped = picked.dropped;
    }
    return {
      usage: last?.usage ?? null,
      ageSeconds: last ? Math.max(0, Date.now() - last.finishedAt) / 1000 : NaN,
      failures: disk.failures,
      volumes,
    };
  }

  #snapshot(r: ProbeResult): HostSnapshot {
    return {
      host: this.host.name,
      labels: this.host.labels,
      up: r.ok,
      error: r.error,
      info: this.#facts.info,
      containers: r.containers,
      snapshotAgeSeconds: r.containers ? Math.max(0, Date.now() - r.finishedAt) / 1000 : NaN,
      containerCount: r.containerCount,
      lastSuccess: this.#lastGood ? this.#lastGood.finishedAt / 1000 : NaN,
      lastDurationSeconds: r.durationSeconds,
      counters: copyCounters(this.counters),
      transport: this.#transport.stats?.(),
      ...(this.#disk ? { disk: this.#diskSnapshot(this.#disk, r.containers) } : {}),
      ...(this.#events ? { events: this.#events.snapshot() } : {}),
    };
  }
}

/** Snapshots are plain data: a later probe must not change what an earlier scrape renders. */
function copyCounters(c: HostCounters): HostCounters {
  return {
    ...c,
    containerFailed: new Map(Array.from(c.containerFailed, ([id, failed]) => [id, { ...failed }])),
    probeDuration: copyHistogram(c.probeDuration),
    listDuration: copyHistogram(c.listDuration),
    inspectDuration: copyHistogram(c.inspectDuration),
    statsDuration: copyHistogram(c.statsDuration),
  };
}
