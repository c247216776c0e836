import type { CollectionConfig, HostConfig } from '../config/types.ts';
import { decodeInfo, decodeInspect, decodeList, type ListEntry } from '../docker/decode.ts';
import { createDockerode, DaemonClient } from '../docker/daemon-client.ts';
import { mountedVolumes } from '../docker/disk-usage.ts';
import { decodeVersion, EngineClient, EngineError, type VersionInfo } from '../docker/engine-client.ts';
import { HostEvents, type Marked } from '../events/host-events.ts';
import type { Logger } from '../log.ts';
import type { ContainerSnapshot, DaemonInfo, DiskSnapshot, DiskUsage, HostCounters, HostSnapshot } from '../model.ts';
import type { SwarmApi } from '../swarm/poll.ts';
import type { Transport } from '../transport/types.ts';
import { copyHistogram, newHistogram, observe } from '../util/histogram.ts';
import { requestTurn } from '../util/turns.ts';
import { F, FIELD_COUNT, MAX_INTERFACES, type ParseResult } from '../stats/layout.ts';
import { roundDuration } from '../util/duration.ts';
import { errorMessage } from '../util/errors.ts';
import { ContainerTracker } from './container-tracker.ts';
import { DiskPoller } from './disk-poller.ts';
import type { ContainerPredicate } from './filter.ts';

/** Turns raw stats bodies into samples; the worker pool in production. */
export interface StatsParser {
  /** Rejects, or fails the bodies not parsed, at `deadline` (unix ms). */
  parse(bodies: Uint8Array[], deadline: number): Promise<ParseResult>;
}

/** Daemon facts (cores, memory, versions) change rarely: refresh them this often, and after a failure. */
const INFO_REFRESH_MS = 5 * 60_000;
/** A one-shot stats call waits for the daemon's next 1 s sampling tick. */
const MIN_STATS_TIMEOUT_MS = 1500;
/** Even a probe that reaches its parse past its deadline gets this long (real bodies: ~20 us each). */
const MIN_PARSE_MS = 1000;

interface ProbeResult {
  ok: boolean;
  error?: string;
  /** null when the list failed: hide every container series (no stale data) */
  containers: ContainerSnapshot[] | null;
  containerCount: number;
  finishedAt: number;
  durationSeconds: number;
}

/**
 * The seed's DockerTracker for one host: single-flight probes, min_interval, the per-host
 * deadline with stale-while-late serving, and the container tracker set.
 */
export class HostTracker {
  readonly host: HostConfig;
  readonly counters: HostCounters = {
    listFailed: 0,
    containerFailed: new Map(),
    droppedInterfaces: 0,
    inlineTimeouts: 0,
    lateProbes: 0,
    probeDuration: newHistogram(),
    listDuration: newHistogram(),
    inspectDuration: newHistogram(),
    statsDuration: newHistogram(),
  };
  readonly #transport: Transport;
  readonly #client: EngineClient;
  /** dockerode, for /version and /info */
  readonly #daemon: DaemonClient;
  /** the event stream and its counts; undefined while this host's stream is off */
  readonly #events: HostEvents | undefined;
  /** dockerode for the event stream, on an agent of its own (see Transport.newSideAgent) */
  readonly #eventSource: DaemonClient | undefined;
  readonly #parser: StatsParser;
  #cfg: CollectionConfig;
  #include: ContainerPredicate;
  readonly #log: Logger;
  readonly #containers = new Map<string, ContainerTracker>();
  #probe: Promise<ProbeResult> | null = null;
  /** set when a scrape stopped waiting for the running probe */
  #probeLate = false;
  #last: ProbeResult | null = null;
  #lastGood: ProbeResult | null = null;
  #info: DaemonInfo | null = null;
  #infoAt = 0;
  #hostError: string | null = null;
  /** repeated ids in the last list, logged once per change */
  #duplicates = 0;
  #closing = false;
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
    this.#parser = deps.parser;
    this.#cfg = deps.collection;
    this.#include = deps.include;
    this.#log = deps.log.child({ host: deps.host.name });
    this.#disk = this.#cfg.diskIntervalMs > 0 ? new DiskPoller({ intervalMs: this.#cfg.diskIntervalMs, fetch: (ms) => this.#fetchDisk(ms), log: this.#log }) : null;
    this.#disk?.start();
    if (deps.host.events ?? deps.collection.events) {
      this.#eventSource = new DaemonClient(createDockerode(deps.transport.requestOptions, deps.transport.newSideAgent()));
      // The stream answers its headers at once: the probe's deadline is long enough for them.
      // The filter is read at each event, so a reload's include/exclude applies to a kept stream.
      this.#events = new HostEvents({ source: this.#eventSource, log: this.#log, include: (c) => this.#include(c), connectTimeoutMs: deps.collection.timeoutMs });
      this.#events.start();
    }
  }

  /** A reload's collection settings and container filter, from the next probe on. */
  configure(collection: CollectionConfig, include: ContainerPredicate): void {
    this.#cfg = collection;
    this.#include = include;
  }

  /** The Swarm control plane, while /info says this daemon is a manager (swarm/clusters.ts asks it). */
  swarmApi(): SwarmApi | undefined {
    const version = this.#client.apiVersion;
    if (!this.#info?.swarm?.manager || !version) return undefined;
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
    this.#closing = true;
    const diskStopped = this.#disk?.stop();
    this.#client.close();
    this.#daemon.close();
    this.#eventSource?.close();
    await Promise.all([this.#probe, diskStopped, this.#events?.close()]);
    await this.#transport.close();
  }

  /** Its own deadline, never a scrape's: the poller calls it, a scrape only reads its last result. */
  async #fetchDisk(timeoutMs: number): Promise<DiskUsage | string> {
    // The version a scrape's probe negotiated, or this walk negotiates it (the same answer).
    if (!this.#client.apiVersion) await this.#negotiate(timeoutMs);
    return this.#client.systemDf(timeoutMs);
  }

  /** GET /version (through dockerode), and the API version to speak pinned from its answer. */
  async #negotiate(timeoutMs: number): Promise<VersionInfo> {
    const version = decodeVersion(await this.#daemon.version(timeoutMs));
    this.#client.negotiate(version);
    return version;
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

  #startProbe(): Promise<ProbeResult> {
    this.#probeLate = false;
    // A bug inside a probe must not leave a rejected promise that every later scrape awaits.
    const p = this.#runProbe().catch((err: unknown): ProbeResult => {
      const error = `internal error: ${errorMessage(err)}`;
      this.#noteHostError(error);
      return { ok: false, error, containers: null, containerCount: 0, finishedAt: Date.now(), durationSeconds: 0 };
    }).then((result) => {
      if (this.#probeLate) this.counters.lateProbes++;
      this.#last = result;
      if (result.ok) this.#lastGood = result;
      this.#probe = null;
      return result;
    });
    this.#probe = p;
    return p;
  }

  /**
   * A slow daemon may finish its probe after the scrape deadline, in the background, so daemon
   * calls get twice the deadline. Stats calls are per container: one that hangs should fail
   * alone and let the probe land in time, so they end at 90% of the deadline from the probe's
   * start, but never sooner than one sampling tick and a margin allow.
   */
  get #callTimeoutMs(): number {
    return this.#cfg.timeoutMs * 2;
  }

  #statsTimeoutMs(probeStart: number): number {
    return Math.max(probeStart + this.#cfg.timeoutMs * 0.9 - performance.now(), MIN_STATS_TIMEOUT_MS);
  }

  async #runProbe(): Promise<ProbeResult> {
    const start = performance.now();
    const done = (ok: boolean, containers: ContainerSnapshot[] | null, count: number, error?: string): ProbeResult => {
      const durationSeconds = (performance.now() - start) / 1000;
      observe(this.counters.probeDuration, durationSeconds);
      this.#noteHostError(error ?? null);
      return { ok, error, containers, containerCount: count, finishedAt: Date.now(), durationSeconds };
    };

    try {
      if (!this.#client.apiVersion || Date.now() - this.#infoAt > INFO_REFRESH_MS) {
        const version = await this.#negotiate(this.#callTimeoutMs);
        this.#info = decodeInfo(await this.#daemon.info(this.#client.apiVersion, this.#callTimeoutMs), version, this.#client.apiVersion);
        this.#infoAt = Date.now();
      }
    } catch (err) {
      this.#client.reset();
      return done(false, null, 0, errorMessage(err));
    }

    const listStart = performance.now();
    const listStartedAt = Date.now();
    let entries: ListEntry[];
    try {
      const decoded = decodeList(await this.#client.listContainers(this.#callTimeoutMs));
      if (typeof decoded === 'string') throw new EngineError(decoded);
      entries = decoded.entries;
      this.#noteDuplicates(decoded.duplicates);
    } catch (err) {
      observe(this.counters.listDuration, (performance.now() - listStart) / 1000);
      this.counters.listFailed++;
      this.#client.reset();
      return done(false, null, 0, errorMessage(err));
    }
    observe(this.counters.listDuration, (performance.now() - listStart) / 1000);

    const tracked = this.#sync(entries);
    this.#events?.retain(new Set(entries.map((e) => e.id)), listStartedAt);
    // Taken after the list: an event from here on marks its container for the next probe.
    const marked = this.#events?.takeMarked();
    // Inspects first (few after the first probe, and milliseconds each), then stats: run together
    // they would need two sockets per container at once, and at fleet scale file descriptors
    // run out (measured: 200 hosts x 50 containers hit a 20k limit on the first probe).
    await this.#inspectPhase(tracked, marked);
    await this.#statsPhase(tracked, start);

    const now = Date.now() / 1000;
    const containers: ContainerSnapshot[] = [];
    for (const [entry, t] of tracked) {
      if (!t.ok || !t.inspect) continue;
      if (t.error) {
        this.#log.info({ container: t.ident.name }, 'container recovered');
        t.error = null;
      }
      containers.push({ ident: t.ident, state: entry.state, inspect: t.inspect, stats: t.stats, prevCpu: t.prevCpu, lastSeen: now });
    }
    return done(true, containers, entries.length);
  }

  /** New ids get a tracker, vanished ones are dropped; returns the included ones with their entry. */
  #sync(entries: ListEntry[]): [ListEntry, ContainerTracker][] {
    const seen = new Set<string>();
    const tracked: [ListEntry, ContainerTracker][] = [];
    for (const entry of entries) {
      seen.add(entry.id);
      if (!this.#include(entry)) continue;
      let t = this.#containers.get(entry.id);
      if (!t) {
        t = new ContainerTracker(entry);
        this.#containers.set(entry.id, t);
        this.#log.debug({ container: entry.name, id: entry.id }, 'new container');
      } else {
        t.updateIdentity(entry);
        const failed = this.counters.containerFailed.get(entry.id);
        if (failed) failed.name = t.ident.name; // a rename moves its series
      }
      t.ok = true;
      tracked.push([entry, t]);
    }
    for (const [id, t] of this.#containers) {
      if (!seen.has(id) || !this.#include(t.ident)) {
        this.#containers.delete(id);
        // Its failure counter goes with it: churn must not grow this map without bound.
        this.counters.containerFailed.delete(id);
        this.#log.debug({ container: t.ident.name, id }, 'container gone');
      }
    }
    return tracked;
  }

  async #inspectPhase(tracked: [ListEntry, ContainerTracker][], marked: Marked | undefined): Promise<void> {
    const now = Date.now();
    await Promise.all(
      tracked.map(async ([entry, t]) => {
        if (!t.needsInspect(entry, now, marked === 'all' || marked?.has(entry.id) === true)) return;
        await requestTurn();
        const start = performance.now();
        try {
          t.setInspect(decodeInspect(await this.#client.inspect(entry.id, this.#callTimeoutMs)), entry, now);
        } catch (err) {
          this.#containerFailed(t, err);
        } finally {
          observe(this.counters.inspectDuration, (performance.now() - start) / 1000);
        }
      }),
    );
  }

  async #statsPhase(tracked: [ListEntry, ContainerTracker][], probeStart: number): Promise<void> {
    const timeoutMs = this.#statsTimeoutMs(probeStart);
    const wanted: ContainerTracker[] = [];
    const bodies: Uint8Array[] = [];
    await Promise.all(
      tracked.map(async ([entry, t]) => {
        if (entry.state !== 'running' && entry.state !== 'paused') {
          t.setStats(null);
          return;
        }
        await requestTurn();
        const start = performance.now();
        try {
          const body = await this.#client.statsRaw(entry.id, timeoutMs);
          wanted.push(t);
          bodies.push(body);
        } catch (err) {
          this.#containerFailed(t, err);
        } finally {
          observe(this.counters.statsDuration, (performance.now() - start) / 1000);
        }
      }),
    );
    if (bodies.length === 0) return;

    // The parse ends at the probe's deadline: a daemon's bodies must not keep a worker (or the
    // main thread) from the other hosts.
    const parseMs = Math.max(probeStart + this.#cfg.timeoutMs - performance.now(), MIN_PARSE_MS);
    let parsed: ParseResult;
    try {
      parsed = await this.#parser.parse(bodies, Date.now() + parseMs);
    } catch (err) {
      for (const t of wanted) this.#containerFailed(t, err);
      return;
    }
    for (let i = 0; i < wanted.length; i++) {
      const t = wanted[i]!;
      const error = parsed.errors[i];
      if (error) {
        this.#containerFailed(t, new EngineError(`stats: ${error}`));
        continue;
      }
      const values = parsed.values.subarray(i * FIELD_COUNT, (i + 1) * FIELD_COUNT);
      t.setStats({ values, networks: parsed.networks[i] ?? [] });
      this.#noteDroppedInterfaces(t, values[F.droppedInterfaces]!);
    }
  }

  /** Counted every probe, logged once per change of the container's count. */
  #noteDroppedInterfaces(t: ContainerTracker, dropped: number): void {
    const n = dropped > 0 ? dropped : 0;
    if (n > 0) this.counters.droppedInterfaces += n;
    if (n !== t.droppedInterfaces && n > 0) {
      this.#log.warn({ container: t.ident.name, interfaces: n + MAX_INTERFACES, kept: MAX_INTERFACES }, 'container reports more network interfaces than the cap: the rest are not exported');
    }
    t.droppedInterfaces = n;
  }

  #noteDuplicates(duplicates: number): void {
    if (duplicates > 0 && duplicates !== this.#duplicates) {
      this.#log.warn({ duplicates }, 'container list repeats container ids: the first entry of each is used');
    }
    this.#duplicates = duplicates;
  }

  #containerFailed(t: ContainerTracker, err: unknown): void {
    t.ok = false;
    // Removed between list and call: it simply vanishes at the next list. Shutdown: not news.
    if ((err instanceof EngineError && err.status === 404) || this.#closing) return;
    const name = t.ident.name;
    const failed = this.counters.containerFailed.get(t.ident.id);
    if (failed) failed.count++;
    else this.counters.containerFailed.set(t.ident.id, { name, count: 1 });
    const msg = errorMessage(err);
    if (msg !== t.error) {
      this.#log.warn({ container: name, err: msg }, 'container update failed');
      t.error = msg;
    }
  }

  #noteHostError(error: string | null): void {
    if (error === this.#hostError || this.#closing) return;
    if (error) this.#log.warn({ err: error }, 'probe failed');
    else this.#log.info('probe succeeded');
    this.#hostError = error;
  }

  #snapshot(r: ProbeResult): HostSnapshot {
    return {
      host: this.host.name,
      labels: this.host.labels,
      up: r.ok,
      error: r.error,
      info: this.#info,
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
