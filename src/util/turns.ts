// Spreads a burst of work over event-loop turns, with I/O and timers running in between.
// - Request starts: a fleet-wide scrape starts thousands of Engine API calls at once (every
//   host's list answers at about the same moment); made in one go they block the loop for
//   hundreds of ms (measured at M: ~600 ms on a loaded 2-core box).
// - Work in slices: rendering, parsing stats on the main thread and writing bodies. Each yields
//   through the same queue, so a turn holds about TURN_MS of them all, not a slice of each:
//   100 scrapes sharing one body all wake in the same microtask run, and sent there, one turn
//   wrote the 100 bodies (108 ms); with a render and a parse sliced on their own beside them,
//   /healthz (three turns: accept, read, answer) took 121 ms with no turn over 53 ms.

/** Waiters first come, first served, granted PER_TURN or TURN_MS per turn, whichever ends first. */
class TurnQueue {
  /** `head` is the next to go (no O(n) shift per grant) */
  #waiting: (() => void)[] = [];
  #head = 0;
  #granted = 0;
  #turnStart = 0;
  #scheduled = false;
  /** a release is queued as a microtask */
  #chained = false;

  constructor(
    private readonly perTurn: number,
    private readonly turnMs: number,
  ) {}

  /**
   * `inline`: when the turn has room, go at once (undefined), judged before the work is done:
   * for starts of known small cost. Otherwise the waiters go one at a time, each once the one
   * before has run up to its next await, so what they spend counts against the turn.
   */
  take(inline: boolean, spentMs = 0): Promise<void> | undefined {
    // work done this turn before asking: the turn began that long ago
    if (spentMs > 0) this.#grant(spentMs);
    if (inline && this.#head === this.#waiting.length && !this.#spent()) {
      this.#grant();
      return undefined;
    }
    return new Promise<void>((resolve) => {
      this.#waiting.push(resolve);
      if (this.#spent()) this.#schedule();
      else this.#chain();
    });
  }

  #spent(): boolean {
    return this.#granted >= this.perTurn || (this.#granted > 0 && performance.now() - this.#turnStart >= this.turnMs);
  }

  /** `spentMs`: the work granted ran before this call */
  #grant(spentMs = 0): void {
    if (this.#granted++ === 0) this.#turnStart = performance.now() - spentMs;
    this.#schedule();
  }

  #chain(): void {
    if (this.#chained) return;
    this.#chained = true;
    queueMicrotask(this.#release);
  }

  /** Queued after the waiter it lets go, so it runs again once that one's synchronous part is done. */
  readonly #release = (): void => {
    this.#chained = false;
    if (this.#head === this.#waiting.length) return;
    if (this.#spent()) return this.#schedule();
    this.#grant();
    const go = this.#waiting[this.#head]!;
    this.#waiting[this.#head++] = noop;
    if (this.#head === this.#waiting.length) {
      this.#waiting = [];
      this.#head = 0;
    }
    go();
    this.#chain();
  };

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(this.#nextTurn);
  }

  readonly #nextTurn = (): void => {
    this.#scheduled = false;
    this.#granted = 0;
    if (this.#head < this.#waiting.length) this.#chain();
  };
}

const noop = (): void => {};

/** A request costs ~30-100 us to start: 32 a turn are 1-3 ms. */
const starts = new TurnQueue(32, Infinity);
/** Synchronous work granted per turn, from its first grant. */
export const TURN_MS = 5;
const work = new TurnQueue(Infinity, TURN_MS);

/** Before starting an Engine API request. undefined: go now; else a promise that resolves in a later turn. */
export function requestTurn(): Promise<void> | undefined {
  return starts.take(true);
}

/**
 * Before a piece of synchronous work of up to a few ms (a slice of a render or a parse, a body's
 * writes): about TURN_MS of them run per turn. `spentMs`: what the caller ran in this turn
 * before asking (its previous slice), charged to the turn.
 */
export function workTurn(spentMs = 0): Promise<void> {
  return work.take(false, spentMs)!;
}
