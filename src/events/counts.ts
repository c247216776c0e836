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
 * (their series restart from 0). A container's slot (its id and counts) is 182 bytes of typed
 * arrays, grown by doubling as containers are counted: 3.6 MB per host at this cap (an eighth
 * more for the batch between two evictions, and the hash buckets), whether or not its list
 * succeeds, and a few KB for a host of a few dozen containers (allocated at the cap from the
 * start, 25 hosts took 90 MB more at the benchmark's M).
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

/** The longest id counted per container, in one-byte characters: a container id is 64 hex digits. */
const ID_CHARS = 64;
/** Slots a host starts with; they double as needed, up to the cap and its eviction batch. */
const FIRST_SLOTS = 64;

/**
 * Counts a host's container events: per container while it exists, per host for ever.
 *
 * The per-container counts and ids live in typed arrays indexed by a slot, found by a hash of
 * the id, not in a map of objects: under a daemon sending 200,000 new ids a stream, entries of
 * ~0.4 KB each (id string included) were promoted to the old space and then evicted, ~50 MB of
 * old-space garbage between two mark-compacts, and kept the young generation at its largest.
 */
export class HostEventCounts {
  readonly #host = zeroCounts();
  #hostOomKills = 0;
  /** per slot ROW numbers: the events by EVENT_INDEX, then OOM_KILLS, LAST_EXIT_CODE (NaN before a `die` with one) */
  #rows: Float64Array;
  /** per slot its id's characters; #idLen 0 is a free slot */
  #ids: Uint8Array;
  #idLen: Uint8Array;
  /** hash bucket -> first slot, and slot -> next in its bucket; -1 ends */
  #heads: Int32Array;
  #next: Int32Array;
  #bucketOf: Int32Array;
  /** Date.now() of the last event: a list that started before it may not show the container yet */
  #touchedAt: Float64Array;
  /** timeNano of the first and the latest `oom` of the current kill, where #inKill */
  #killFirst: BigUint64Array;
  #killLast: BigUint64Array;
  #inKill: Uint8Array;
  /** slots not in use, a stack */
  #free: Int32Array;
  #nFree: number;
  #slots: number;
  /** the containers handed out by the last snapshot, while nothing changed */
  #shared: ReadonlyMap<string, ContainerEventCounts> | undefined;
  readonly #cap: number;
  /** the most slots: the cap and one eviction batch beyond it */
  readonly #maxSlots: number;
  /** containers forgotten at the cap */
  #evicted = 0;

  constructor(cap = MAX_TRACKED_CONTAINERS) {
    this.#cap = cap;
    // evicted in batches of an eighth of the cap, so the sort costs O(log n) per event
    this.#maxSlots = cap + (cap >> 3) + 1;
    const slots = (this.#slots = Math.min(FIRST_SLOTS, this.#maxSlots));
    this.#rows = new Float64Array(slots * ROW);
    this.#ids = new Uint8Array(slots * ID_CHARS);
    this.#idLen = new Uint8Array(slots);
    this.#heads = new Int32Array(bucketsFor(slots)).fill(-1);
    this.#next = new Int32Array(slots);
    this.#bucketOf = new Int32Array(slots);
    this.#touchedAt = new Float64Array(slots);
    this.#killFirst = new BigUint64Array(slots);
    this.#killLast = new BigUint64Array(slots);
    this.#inKill = new Uint8Array(slots);
    this.#free = new Int32Array(slots);
    for (let i = 0; i < slots; i++) this.#free[i] = slots - 1 - i;
    this.#nFree = slots;
  }

  /** Twice the slots (at most #maxSlots), each in use kept at its index, the buckets made again. */
  #grow(): void {
    const old = this.#slots;
    const slots = (this.#slots = Math.min(this.#maxSlots, old * 2));
    const f64 = (a: Float64Array, per = 1): Float64Array => copyInto(new Float64Array(slots * per), a);
    const u8 = (a: Uint8Array, per = 1): Uint8Array => copyInto(new Uint8Array(slots * per), a);
    const u64 = (a: BigUint64Array): BigUint64Array => copyInto(new BigUint64Array(slots), a);
    this.#rows = f64(this.#rows, ROW);
    this.#ids = u8(this.#ids, ID_CHARS);
    this.#idLen = u8(this.#idLen);
    this.#touchedAt = f64(this.#touchedAt);
    this.#killFirst = u64(this.#killFirst);
    this.#killLast = u64(this.#killLast);
    this.#inKill = u8(this.#inKill);
    this.#next = new Int32Array(slots);
    this.#bucketOf = new Int32Array(slots);
    this.#heads = new Int32Array(bucketsFor(slots)).fill(-1);
    for (let slot = 0; slot < old; slot++) {
      const len = this.#idLen[slot]!;
      if (len === 0) continue;
      const b = this.#bucketOfBytes(slot, len);
      this.#bucketOf[slot] = b;
      this.#next[slot] = this.#heads[b]!;
      this.#heads[b] = slot;
    }
    const free = new Int32Array(slots);
    free.set(this.#free.subarray(0, this.#nFree));
    for (let i = slots - 1; i >= old; i--) free[this.#nFree++] = i;
    this.#free = free;
  }

  /** Containers forgotten because more than the cap were counted at once. */
  get evicted(): number {
    return this.#evicted;
  }

  get #size(): number {
    return this.#slots - this.#nFree;
  }

  apply(ev: DockerEvent, now = Date.now()): void {
    const name = ev.event;
    if (name === undefined) return;
    this.#shared = undefined;
    this.#host[name]++;
    if (name === 'destroy') {
      // Its series go with it; the host's counts keep what it did.
      const slot = this.#find(ev.id);
      if (slot >= 0) this.#forget(slot);
      return;
    }
    let slot = this.#find(ev.id);
    if (slot < 0) slot = this.#add(ev.id);
    if (slot < 0) return; // an id no container has: counted for the host only
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
    if (this.#size > this.#cap + (this.#cap >> 3)) this.#evict();
  }

  // FNV-1a over the id's one-byte characters: from its string, or from its slot's bytes
  #bucket(id: string): number {
    let h = 0x811c9dc5;
    for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
    return (h >>> 0) & (this.#heads.length - 1);
  }

  #bucketOfBytes(slot: number, len: number): number {
    let h = 0x811c9dc5;
    for (let i = 0; i < len; i++) h = Math.imul(h ^ this.#ids[slot * ID_CHARS + i]!, 0x01000193);
    return (h >>> 0) & (this.#heads.length - 1);
  }

  #find(id: string): number {
    if (id.length === 0 || id.length > ID_CHARS) return -1;
    for (let s = this.#heads[this.#bucket(id)]!; s >= 0; s = this.#next[s]!) if (idIs(this.#ids, s, this.#idLen[s]!, id)) return s;
    return -1;
  }

  #add(id: string): number {
    if (id.length === 0 || id.length > ID_CHARS) return -1;
    for (let i = 0; i < id.length; i++) if (id.charCodeAt(i) > 0xff) return -1;
    if (this.#nFree === 0) this.#grow();
    const slot = this.#free[--this.#nFree]!;
    for (let i = 0; i < id.length; i++) this.#ids[slot * ID_CHARS + i] = id.charCodeAt(i);
    this.#idLen[slot] = id.length;
    const b = this.#bucket(id);
    this.#bucketOf[slot] = b;
    this.#next[slot] = this.#heads[b]!;
    this.#heads[b] = slot;
    this.#rows.fill(0, slot * ROW, (slot + 1) * ROW);
    this.#rows[slot * ROW + LAST_EXIT_CODE] = NaN;
    this.#inKill[slot] = 0;
    return slot;
  }

  #forget(slot: number): void {
    const b = this.#bucketOf[slot]!;
    if (this.#heads[b] === slot) this.#heads[b] = this.#next[slot]!;
    else for (let s = this.#heads[b]!; s >= 0; s = this.#next[s]!) if (this.#next[s] === slot) this.#next[s] = this.#next[slot]!;
    this.#idLen[slot] = 0;
    this.#free[this.#nFree++] = slot;
  }

  /**
   * Back to the cap, the containers with the oldest last events first (by slot among equals).
   */
  #evict(): void {
    const over = this.#size - this.#cap;
    const times = new Float64Array(this.#size);
    let i = 0;
    for (let s = 0; s < this.#slots; s++) if (this.#idLen[s]! > 0) times[i++] = this.#touchedAt[s]!;
    // a numeric sort of a typed array: no [id, entry] pair per container
    const cutoff = times.sort()[over - 1]!;
    let ties = 0;
    for (let j = 0; j < over; j++) if (times[j] === cutoff) ties++;
    for (let s = 0; s < this.#slots; s++) {
      if (this.#idLen[s] === 0) continue;
      const t = this.#touchedAt[s]!;
      if (t > cutoff || (t === cutoff && ties-- <= 0)) continue;
      this.#forget(s);
    }
    this.#evicted += over;
  }

  /**
   * Forgets containers the daemon no longer lists (a `destroy` missed in a gap longer than the
   * daemon's buffer), except those with an event since the list started: they may be newer.
   */
  retain(listed: ReadonlySet<string>, listStartedAt: number): void {
    for (let s = 0; s < this.#slots; s++) {
      if (this.#idLen[s] === 0 || this.#touchedAt[s]! >= listStartedAt || listed.has(idAt(this.#ids, s, this.#idLen[s]!))) continue;
      this.#forget(s);
      this.#shared = undefined;
    }
  }

  snapshot(status: Omit<EventsSnapshot, 'host' | 'hostOomKills' | 'containers'>): EventsSnapshot {
    this.#shared ??= new CountsView(this.#ids, this.#idLen, this.#rows);
    return { ...status, host: { ...this.#host }, hostOomKills: this.#hostOomKills, containers: this.#shared };
  }
}

function copyInto<T extends { set(from: T): void }>(to: T, from: T): T {
  to.set(from);
  return to;
}

/** Hash buckets for this many slots: a power of two, at least twice as many. */
function bucketsFor(slots: number): number {
  return 2 ** Math.ceil(Math.log2(slots * 2));
}

function idIs(ids: Uint8Array, slot: number, len: number, id: string): boolean {
  if (len !== id.length) return false;
  for (let i = 0; i < len; i++) if (ids[slot * ID_CHARS + i] !== id.charCodeAt(i)) return false;
  return true;
}

function idAt(ids: Uint8Array, slot: number, len: number): string {
  return String.fromCharCode(...ids.subarray(slot * ID_CHARS, slot * ID_CHARS + len));
}

/**
 * The per-container counts at one moment: a copy of the ids and their rows, the ids' strings,
 * the lookup and each container's counts made when asked for. A host whose list fails renders
 * no container, so nothing but the copy is made. Building the map and objects of 16,384
 * counted containers at every snapshot kept ~13 MB more of the large-object space and 17 MB
 * more heap at the peak, under back-to-back scrapes of a daemon sending new ids.
 */
class CountsView implements ReadonlyMap<string, ContainerEventCounts> {
  readonly #ids: Uint8Array;
  readonly #idLen: Uint8Array;
  readonly #rows: Float64Array;
  #rowOfCache: Map<string, number> | undefined;

  constructor(ids: Uint8Array, idLen: Uint8Array, rows: Float64Array) {
    let n = 0;
    for (let s = 0; s < idLen.length; s++) if (idLen[s]! > 0) n++;
    this.#ids = new Uint8Array(n * ID_CHARS);
    this.#idLen = new Uint8Array(n);
    this.#rows = new Float64Array(n * ROW);
    let row = 0;
    for (let s = 0; s < idLen.length; s++) {
      if (idLen[s] === 0) continue;
      this.#ids.set(ids.subarray(s * ID_CHARS, (s + 1) * ID_CHARS), row * ID_CHARS);
      this.#idLen[row] = idLen[s]!;
      this.#rows.set(rows.subarray(s * ROW, (s + 1) * ROW), row * ROW);
      row++;
    }
  }

  get #rowOf(): Map<string, number> {
    return (this.#rowOfCache ??= new Map(Array.from(this.#idLen, (len, row) => [idAt(this.#ids, row, len), row])));
  }

  get size(): number {
    return this.#idLen.length;
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

  *keys(): MapIterator<string> {
    for (let row = 0; row < this.#idLen.length; row++) yield idAt(this.#ids, row, this.#idLen[row]!);
  }

  *entries(): MapIterator<[string, ContainerEventCounts]> {
    for (let row = 0; row < this.#idLen.length; row++) yield [idAt(this.#ids, row, this.#idLen[row]!), this.#countsAt(row)];
  }

  *values(): MapIterator<ContainerEventCounts> {
    for (let row = 0; row < this.#idLen.length; row++) yield this.#countsAt(row);
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
