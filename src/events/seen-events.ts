/**
 * The keys (time + id + action) of the most recent events, to drop what a `since` replay repeats.
 * A replay holds at most the daemon's buffer (the last 256 events of every type), so keys older
 * than the last `capacity` seen can never come back: a ring bounds the memory.
 */
export class SeenEvents {
  /** key -> the number of the add that last offered it; older than the ring's reach is stale */
  #keys = new Map<string, number>();
  readonly #ring: (string | undefined)[];
  #added = 0;

  constructor(readonly capacity = 1024) {
    this.#ring = new Array<string | undefined>(capacity);
  }

  /** true the first time a key is offered, false for a repeat. */
  add(key: string): boolean {
    const at = this.#keys.get(key);
    if (at !== undefined && at >= this.#added - this.capacity) return false;
    // Stale keys are dropped by rebuilding the map from the ring, not one delete each: under
    // 200,000 new ids a stream, a delete per key kept ~2 MB surviving every scavenge (and
    // promoted), measured with --trace-gc-nvp; the rebuild is O(capacity) every `capacity` keys.
    if (this.#keys.size >= 2 * this.capacity) this.#rebuild();
    this.#ring[this.#added % this.capacity] = key;
    this.#keys.set(key, this.#added++);
    return true;
  }

  #rebuild(): void {
    const keys = new Map<string, number>();
    for (let n = Math.max(0, this.#added - this.capacity); n < this.#added; n++) keys.set(this.#ring[n % this.capacity]!, n);
    this.#keys = keys;
  }

  get size(): number {
    return Math.min(this.#added, this.capacity);
  }
}
