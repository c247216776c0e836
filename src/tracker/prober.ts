// One probe of one daemon turned into a result: the daemon's facts when due, the container
// list, a tracker per listed container, then the inspect and stats phases. The tracker that
// serves the result (host-tracker.ts) decides when a probe runs and how long a scrape waits.
import { decodeList, type ListEntry } from '../docker/decode.ts';
import { EngineError, type EngineClient } from '../docker/engine-client.ts';
import type { HostEvents } from '../events/host-events.ts';
import type { Logger } from '../log.ts';
import type { ContainerSnapshot } from '../model.ts';
import { observe } from '../util/histogram.ts';
import { errorMessage } from '../util/errors.ts';
import { inspectPhase, statsPhase, type PhaseDeps, type StatsParser, type Tracked } from './container-phases.ts';
import { ContainerTracker } from './container-tracker.ts';
import type { DaemonFacts } from './daemon-facts.ts';
import type { ContainerPredicate } from './filter.ts';
import type { ProbeNotes } from './probe-notes.ts';

/** A one-shot stats call waits for the daemon's next 1 s sampling tick. */
const MIN_STATS_TIMEOUT_MS = 1500;
/** Even a probe that reaches its parse past its deadline gets this long (real bodies: ~20 us each). */
const MIN_PARSE_MS = 1000;

export interface ProbeResult {
  ok: boolean;
  error?: string;
  /** null when the list failed: hide every container series (no stale data) */
  containers: ContainerSnapshot[] | null;
  containerCount: number;
  finishedAt: number;
  durationSeconds: number;
}

/** What one probe reads of the host's current settings (a reload may change them between probes). */
export interface ProbeSettings {
  /** the per-host deadline (collection.timeout) */
  timeoutMs: number;
  include: ContainerPredicate;
}

export interface ProberDeps {
  client: EngineClient;
  facts: DaemonFacts;
  parser: StatsParser;
  notes: ProbeNotes;
  log: Logger;
  /** the host's event stream, when it is on: which containers to inspect again */
  events?: Pick<HostEvents, 'retain' | 'takeMarked'>;
}

export class Prober {
  readonly #deps: ProberDeps;
  readonly #phases: PhaseDeps;
  readonly #containers = new Map<string, ContainerTracker>();

  constructor(deps: ProberDeps) {
    this.#deps = deps;
    this.#phases = { client: deps.client, parser: deps.parser, notes: deps.notes };
  }

  /** Never rejects: a bug inside a probe must not leave a rejected promise every later scrape awaits. */
  async probe(settings: ProbeSettings): Promise<ProbeResult> {
    try {
      return await this.#run(settings);
    } catch (err) {
      const error = `internal error: ${errorMessage(err)}`;
      this.#deps.notes.hostResult(error);
      return { ok: false, error, containers: null, containerCount: 0, finishedAt: Date.now(), durationSeconds: 0 };
    }
  }

  /**
   * A slow daemon may finish its probe after the scrape deadline, in the background, so daemon
   * calls get twice the deadline. Stats calls are per container: one that hangs should fail
   * alone and let the probe land in time, so they end at 90% of the deadline from the probe's
   * start, but never sooner than one sampling tick and a margin allow.
   */
  async #run({ timeoutMs, include }: ProbeSettings): Promise<ProbeResult> {
    const { client, facts, notes, events } = this.#deps;
    const { counters } = notes;
    const callTimeoutMs = timeoutMs * 2;
    const start = performance.now();
    const done = (ok: boolean, containers: ContainerSnapshot[] | null, count: number, error?: string): ProbeResult => {
      const durationSeconds = (performance.now() - start) / 1000;
      observe(counters.probeDuration, durationSeconds);
      notes.hostResult(error ?? null);
      return { ok, error, containers, containerCount: count, finishedAt: Date.now(), durationSeconds };
    };

    try {
      await facts.refresh(callTimeoutMs);
    } catch (err) {
      return done(false, null, 0, errorMessage(err));
    }

    const listStart = performance.now();
    const listStartedAt = Date.now();
    let entries: ListEntry[];
    try {
      const decoded = decodeList(await client.listContainers(callTimeoutMs));
      if (typeof decoded === 'string') throw new EngineError(decoded);
      entries = decoded.entries;
      notes.duplicates(decoded.duplicates);
    } catch (err) {
      observe(counters.listDuration, (performance.now() - listStart) / 1000);
      counters.listFailed++;
      client.reset();
      return done(false, null, 0, errorMessage(err));
    }
    observe(counters.listDuration, (performance.now() - listStart) / 1000);

    const tracked = this.#sync(entries, include);
    events?.retain(new Set(entries.map((e) => e.id)), listStartedAt);
    // Taken after the list: an event from here on marks its container for the next probe.
    const marked = events?.takeMarked();
    await inspectPhase(this.#phases, tracked, marked, callTimeoutMs);
    const statsTimeoutMs = Math.max(start + timeoutMs * 0.9 - performance.now(), MIN_STATS_TIMEOUT_MS);
    await statsPhase(this.#phases, tracked, statsTimeoutMs, () => Date.now() + Math.max(start + timeoutMs - performance.now(), MIN_PARSE_MS));

    const now = Date.now() / 1000;
    const containers: ContainerSnapshot[] = [];
    for (const [entry, t] of tracked) {
      if (!t.ok || !t.inspect) continue;
      notes.containerRecovered(t);
      containers.push({ ident: t.ident, state: entry.state, inspect: t.inspect, stats: t.stats, prevCpu: t.prevCpu, lastSeen: now });
    }
    return done(true, containers, entries.length);
  }

  /** New ids get a tracker, vanished ones are dropped; returns the included ones with their entry. */
  #sync(entries: ListEntry[], include: ContainerPredicate): Tracked {
    const { notes, log } = this.#deps;
    const seen = new Set<string>();
    const tracked: Tracked = [];
    for (const entry of entries) {
      seen.add(entry.id);
      if (!include(entry)) continue;
      let t = this.#containers.get(entry.id);
      if (!t) {
        t = new ContainerTracker(entry);
        this.#containers.set(entry.id, t);
        log.debug({ container: entry.name, id: entry.id }, 'new container');
      } else {
        t.updateIdentity(entry);
        const failed = notes.counters.containerFailed.get(entry.id);
        if (failed) failed.name = t.ident.name; // a rename moves its series
      }
      t.ok = true;
      tracked.push([entry, t]);
    }
    for (const [id, t] of this.#containers) {
      if (!seen.has(id) || !include(t.ident)) {
        this.#containers.delete(id);
        // Its failure counter goes with it: churn must not grow this map without bound.
        notes.counters.containerFailed.delete(id);
        log.debug({ container: t.ident.name, id }, 'container gone');
      }
    }
    return tracked;
  }
}
