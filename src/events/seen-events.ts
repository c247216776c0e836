/**
 * The keys (time + id + action) of the most recent events, to drop what a `since` replay repeats.
 * A replay holds at most the daemon's buffer (the last 256 events of every type), so keys older
 * than the last `capacity` seen can never come back: a ring bounds the memory.
 */
export class SeenEvents {
  readonly #keys = new Set<string>();
  readonly #ring: (string | undefined)[];
  #next = 0;

  constructor(readonly capacity = 1024) {
    this.#ring = new Array<string | undefined>(capacity);
  }

  /** true the first time a key is offered, false for a repeat. */
  add(key: string): boolean {
    if (this.#keys.has(key)) return false;
    const old = this.#ring[this.#next];
    if (old !== undefined) this.#keys.delete(old);
    this.#ring[this.#next] = key;
    this.#next = (this.#next + 1) % this.capacity;
    this.#keys.add(key);
    return true;
  }

  get size(): number {
    return this.#keys.size;
  }
}
