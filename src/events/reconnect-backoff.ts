/**
 * Capped exponential delay with jitter: initial, 2x, 4x, ... up to max, each drawn uniformly
 * from its upper half. Without jitter, every stream cut by one cause (the exporter's network,
 * a restarted proxy) would come back at the same instants and hit the daemons together.
 */
export class ReconnectBackoff {
  #attempt = 0;

  constructor(
    readonly initialMs: number,
    readonly maxMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  /** The delay before the next attempt; each call doubles the following one's range. */
  next(): number {
    const ceiling = Math.min(this.maxMs, this.initialMs * 2 ** Math.min(this.#attempt, 30));
    this.#attempt++;
    return Math.round(ceiling / 2 + (ceiling / 2) * this.random());
  }

  reset(): void {
    this.#attempt = 0;
  }
}
