import { CONTAINER_EVENTS, type ContainerEvent, type ContainerEventCounts, type EventCounts, type EventsSnapshot } from '../model.ts';
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
 * 16,000+ containers). Beyond it the containers whose last events are the oldest are forgotten
 * (their series restart from 0). A slot of counts is 109 bytes of typed arrays allocated
 * once (2 MB per host at this cap, an eighth more for the batch between two evictions), plus
 * its id in the map (~0.1 KB): ~4 MB per host whether or not its list succeeds.
 */
export const MAX_TRACKED_CONTAINERS = 16_384;

export function zeroCounts(): EventCounts {
  return Object.fromEntries(CONTAINER_EVENTS.map((e) => [e, 0])) as EventCounts;
}

const N_EVENTS = CONTAINER_EVENTS.length;
const OOM_KILLS = N_EVENTS;
const LAST_EXIT_CODE = N_EVENTS + 1;
const ROW = N_EVENTS + 2;
const EVENT_INDEX = Object.fromEntries(CONTAINER_EVENTS.map((e, i) => [e, i])) as Record<ContainerEvent, number>;

/**
 * Counts a host's container events: per container while it exists, per host for ever.
 *
 * The per-container counts live in typed arrays indexed by a slot, not in an object per
 * container: under a daemon sending 200,000 new ids a stream, objects of ~0.4 KB each were
 * promoted to the old space and then evicted, ~50 MB of old-space garbage between two
 * mark-compacts; a slot is reused, and only the id string is left to the collector.
 */
export class HostEventCounts {
  readonly #host = zeroCounts();
  #hostOomKills = 0;
  /** container id -> slot */
  readonly #slots = new Map<string, number>();
  /** per slot ROW numbers: the events by EVENT_INDEX, then OOM_KILLS, LAST_EXIT_CODE (NaN before a `die` with one) */
  readonly #rows: Float64Array;
  /** Date.now() of the last event: a list that started before it may not show the container yet */
  readonly #touchedAt: Float64Array;
  /** timeNano of the first and the latest `oom` of the current kill, where #inKill */
  readonly #killFirst: BigUint64Array;
  readonly #killLast: BigUint64Array;
  readonly #inKill: Uint8Array;
  /** slots not in use, a stack */
  readonly #free: Int32Array;
  #nFree: number;
  /** the containers map handed out by the last snapshot, while nothing changed */
  #shared: ReadonlyMap<string, ContainerEventCounts> | undefined;
  readonly #cap: number;
  /** containers forgotten at the cap */
  #evicted = 0;

  constructor(cap = MAX_TRACKED_CONTAINERS) {
    this.#cap = cap;
    // evicted in batches of an eighth of the cap, so the sort costs O(log n) per event
    const slots = cap + (cap >> 3) + 1;
    this.#rows = new Float64Array(slots * ROW);
    this.#touchedAt = new Float64Array(slots);
    this.#killFirst = new BigUint64Array(slots);
    this.#killLast = new BigUint64Array(slots);
    this.#inKill = new Uint8Array(slots);
    this.#free = new Int32Array(slots);
    for (let i = 0; i < slots; i++) this.#free[i] = slots - 1 - i;
    this.#nFree = slots;
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
      this.#forget(ev.id);
      return;
    }
    let slot = this.#slots.get(ev.id);
    if (slot === undefined) slot = this.#add(ev.id);
    this.#rows[slot * ROW + EVENT_INDEX[name]]++;
    if (name === 'start' || name === 'die') this.#inKill[slot] = 0;
    if (name === 'die' && !Number.isNaN(ev.exitCode)) this.#rows[slot * ROW + LAST_EXIT_CODE] = ev.exitCode;
    if (name === 'oom') {
      const t = BigInt.asUintN(64, ev.timeNano);
      if (this.#inKill[slot] === 0 || absNs(t - this.#killLast[slot]!) >= OOM_KILL_GAP_NS || absNs(t - this.#killFirst[slot]!) >= OOM_KILL_MAX_NS) {
        this.#inKill[slot] = 1;
        this.#killFirst[slot] = t;
        this.#killLast[slot] = t;
        this.#rows[slot * ROW + OOM_KILLS]++;
        this.#hostOomKills++;
      } else if (t > this.#killLast[slot]!) {
        this.#killLast[slot] = t;
      }
    }
    this.#touchedAt[slot] = now;
    if (this.#slots.size > this.#cap + (this.#cap >> 3)) this.#evict();
  }

  #add(id: string): number {
    const slot = this.#free[--this.#nFree]!;
    this.#rows.fill(0, slot * ROW, (slot + 1) * ROW);
    this.#rows[slot * ROW + LAST_EXIT_CODE] = NaN;
    this.#inKill[slot] = 0;
    this.#slots.set(id, slot);
    return slot;
  }

  #forget(id: string): void {
    const slot = this.#slots.get(id);
    if (slot === undefined) return;
    this.#slots.delete(id);
    this.#free[this.#nFree++] = slot;
  }

  /**
   * Back to the cap, the containers with the oldest last events first (in the order they were
   * first counted among equals). (Kept in last-event order instead, by delete and set, V8's
   * map leaves holes at its front that every eviction walks again.)
   */
  #evict(): void {
    const over = this.#slots.size - this.#cap;
    const times = new Float64Array(this.#slots.size);
    let i = 0;
    for (const slot of this.#slots.values()) times[i++] = this.#touchedAt[slot]!;
    // a numeric sort of a typed array: no [id, entry] pair per container
    const cutoff = times.sort()[over - 1]!;
    let ties = 0;
    for (let j = 0; j < over; j++) if (times[j] === cutoff) ties++;
    for (const [id, slot] of this.#slots) {
      const t = this.#touchedAt[slot]!;
      if (t > cutoff || (t === cutoff && ties-- <= 0)) continue;
      this.#forget(id);
    }
    this.#evicted += over;
  }

  /**
   * Forgets containers the daemon no longer lists (a `destroy` missed in a gap longer than the
   * daemon's buffer), except those with an event since the list started: they may be newer.
   */
  retain(listed: ReadonlySet<string>, listStartedAt: number): void {
    for (const [id, slot] of this.#slots) {
      if (!listed.has(id) && this.#touchedAt[slot]! < listStartedAt) {
        this.#forget(id);
        this.#shared = undefined;
      }
    }
  }

  snapshot(status: Omit<EventsSnapshot, 'host' | 'hostOomKills' | 'containers'>): EventsSnapshot {
    this.#shared ??= new CountsView(this.#slots, this.#rows);
    return { ...status, host: { ...this.#host }, hostOomKills: this.#hostOomKills, containers: this.#shared };
  }
}

/**
 * The per-container counts at one moment: a copy of the ids and their rows, each container's
 * counts made when asked for, the id lookup built at the first. A host whose list fails renders
 * no container, so nothing but the copy is made. Building the map and objects of 16,384
 * counted containers at every snapshot kept ~13 MB more of the large-object space and 17 MB
 * more heap at the peak, under back-to-back scrapes of a daemon sending new ids.
 */
class CountsView implements ReadonlyMap<string, ContainerEventCounts> {
  readonly #ids: string[] = [];
  readonly #rows: Float64Array;
  #rowOfCache: Map<string, number> | undefined;

  constructor(slots: ReadonlyMap<string, number>, rows: Float64Array) {
    this.#rows = new Float64Array(slots.size * ROW);
    for (const [id, slot] of slots) {
      this.#rows.set(rows.subarray(slot * ROW, (slot + 1) * ROW), this.#ids.length * ROW);
      this.#ids.push(id);
    }
  }

  get #rowOf(): Map<string, number> {
    return (this.#rowOfCache ??= new Map(this.#ids.map((id, row) => [id, row])));
  }

  get size(): number {
    return this.#ids.length;
  }

  has(id: string): boolean {
    return this.#rowOf.has(id);
  }

  get(id: string): ContainerEventCounts | undefined {
    const row = this.#rowOf.get(id);
    return row === undefined ? undefined : this.#countsAt(row);
  }

  #countsAt(row: number): ContainerEventCounts {
    const at = row * ROW;
    const events = zeroCounts();
    for (let i = 0; i < N_EVENTS; i++) events[CONTAINER_EVENTS[i]!] = this.#rows[at + i]!;
    return { events, oomKills: this.#rows[at + OOM_KILLS]!, lastExitCode: this.#rows[at + LAST_EXIT_CODE]! };
  }

  keys(): MapIterator<string> {
    return this.#ids.values();
  }

  *entries(): MapIterator<[string, ContainerEventCounts]> {
    for (let row = 0; row < this.#ids.length; row++) yield [this.#ids[row]!, this.#countsAt(row)];
  }

  *values(): MapIterator<ContainerEventCounts> {
    for (let row = 0; row < this.#ids.length; row++) yield this.#countsAt(row);
  }

  [Symbol.iterator](): MapIterator<[string, ContainerEventCounts]> {
    return this.entries();
  }

  forEach(fn: (value: ContainerEventCounts, key: string, map: ReadonlyMap<string, ContainerEventCounts>) => void, thisArg?: unknown): void {
    for (const [id, counts] of this.entries()) fn.call(thisArg, counts, id, this);
  }
}

function absNs(d: bigint): bigint {
  return d < 0n ? -d : d;
}
