import { CONTAINER_EVENTS, type ContainerEventCounts, type EventCounts, type EventsSnapshot } from '../model.ts';
import type { DockerEvent } from './event.ts';

/**
 * One OOM kill, as counted in container_oom_events_total: `oom` events of one container less
 * than OOM_KILL_GAP_NS apart, up to its next `die` or `start`, and at most OOM_KILL_MAX_NS long.
 * Measured on this project's daemons (Docker 20.10, cgroup v1): a process alone in its cgroup
 * killed once gives one `oom` event; six processes allocating together gave 28-60 `oom` events
 * within 0.4 s (up to 1.2 s on a loaded machine, at most 0.52 s between two of them) for one
 * episode in which the kernel killed 6-7 of them; a child killed every 10 s gives one event each
 * time. A container killed at once and restarted (100 ms later) can have its next `oom`
 * reported before that run's `start`, so a `die` ends a kill too. The cap keeps a container
 * that is killed again and again without end from counting once. Raw `oom` events stay
 * countable as container_events_total{event="oom"}.
 */
export const OOM_KILL_GAP_NS = 1_000_000_000n;
export const OOM_KILL_MAX_NS = 10_000_000_000n;

/**
 * Containers counted per host at most: more than a host's list holds (BODY_CAPS.list is
 * 16,000+ containers). An entry is ~0.5 KB (a 64-hex id and its counts), so ~8 MB per host
 * whether or not its list succeeds (an eighth more between two evictions); beyond it the
 * containers whose last events are the oldest are forgotten (their series restart from 0).
 */
export const MAX_TRACKED_CONTAINERS = 16_384;

export function zeroCounts(): EventCounts {
  return Object.fromEntries(CONTAINER_EVENTS.map((e) => [e, 0])) as EventCounts;
}

interface Tracked {
  counts: ContainerEventCounts;
  /** timeNano of the first and the latest `oom` of the current kill; undefined outside one */
  oomKill: { first: bigint; last: bigint } | undefined;
  /** Date.now() of the last event: a list that started before it may not show the container yet */
  touchedAt: number;
}

/** Counts a host's container events: per container while it exists, per host for ever. */
export class HostEventCounts {
  readonly #host = zeroCounts();
  #hostOomKills = 0;
  readonly #containers = new Map<string, Tracked>();
  /** the containers map handed out by the last snapshot, while nothing changed */
  #shared: ReadonlyMap<string, ContainerEventCounts> | undefined;
  readonly #cap: number;
  /** containers forgotten at the cap */
  #evicted = 0;

  constructor(cap = MAX_TRACKED_CONTAINERS) {
    this.#cap = cap;
  }

  /** Containers forgotten because more than the cap were counted at once. */
  get evicted(): number {
    return this.#evicted;
  }

  apply(ev: DockerEvent, now = Date.now()): void {
    const name = ev.event;
    if (name === undefined) return;
    this.#shared = undefined;
    this.#host[name]++;
    if (name === 'destroy') {
      // Its series go with it; the host's counts keep what it did.
      this.#containers.delete(ev.id);
      return;
    }
    const t = this.#containers.get(ev.id) ?? { counts: { events: zeroCounts(), oomKills: 0, lastExitCode: NaN }, oomKill: undefined, touchedAt: now };
    const events = { ...t.counts.events, [name]: t.counts.events[name] + 1 };
    let { oomKills, lastExitCode } = t.counts;
    if (name === 'start' || name === 'die') t.oomKill = undefined;
    if (name === 'die' && !Number.isNaN(ev.exitCode)) lastExitCode = ev.exitCode;
    if (name === 'oom') {
      const k = t.oomKill;
      if (k === undefined || absNs(ev.timeNano - k.last) >= OOM_KILL_GAP_NS || absNs(ev.timeNano - k.first) >= OOM_KILL_MAX_NS) {
        t.oomKill = { first: ev.timeNano, last: ev.timeNano };
        oomKills++;
        this.#hostOomKills++;
      } else if (ev.timeNano > k.last) {
        k.last = ev.timeNano;
      }
    }
    t.counts = { events, oomKills, lastExitCode };
    t.touchedAt = now;
    this.#containers.set(ev.id, t);
    if (this.#containers.size > this.#cap + (this.#cap >> 3)) this.#evict();
  }

  /**
   * Back to the cap, the containers with the oldest last events first: in batches of an
   * eighth of it, so the sort costs O(log n) per event. (Kept in last-event order instead, by
   * delete and set, V8's map leaves holes at its front that every eviction walks again.)
   */
  #evict(): void {
    const oldest = [...this.#containers].sort((a, b) => a[1].touchedAt - b[1].touchedAt);
    for (let i = 0; i < oldest.length - this.#cap; i++) this.#containers.delete(oldest[i]![0]);
    this.#evicted += oldest.length - this.#cap;
  }

  /**
   * Forgets containers the daemon no longer lists (a `destroy` missed in a gap longer than the
   * daemon's buffer), except those with an event since the list started: they may be newer.
   */
  retain(listed: ReadonlySet<string>, listStartedAt: number): void {
    for (const [id, t] of this.#containers) {
      if (!listed.has(id) && t.touchedAt < listStartedAt) {
        this.#containers.delete(id);
        this.#shared = undefined;
      }
    }
  }

  snapshot(status: Omit<EventsSnapshot, 'host' | 'hostOomKills' | 'containers'>): EventsSnapshot {
    this.#shared ??= new Map([...this.#containers].map(([id, t]) => [id, t.counts]));
    return { ...status, host: { ...this.#host }, hostOomKills: this.#hostOomKills, containers: this.#shared };
  }
}

function absNs(d: bigint): bigint {
  return d < 0n ? -d : d;
}
