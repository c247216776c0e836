/**
 * Capped exponential delay between reconnection attempts: initial, 2x, 4x, ... up to max. With
 * `jitter` (a random source in [0, 1)), each delay is drawn from the upper half of its range:
 * otherwise every connection cut by one cause (the exporter's network, a restarted proxy)
 * would come back at the same instants and hit the daemons together.
 */
export class Backoff {
  private attempt = 0;

  constructor(
    readonly initialMs: number,
    readonly maxMs: number,
    private readonly jitter?: () => number,
  ) {}

  /** The delay before the next attempt; each call doubles the following one. */
  next(): number {
    const delay = Math.min(this.maxMs, this.initialMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return this.jitter ? Math.round(delay / 2 + (delay / 2) * this.jitter()) : delay;
  }

  reset(): void {
    this.attempt = 0;
  }
}
