/**
 * A counting semaphore with a FIFO queue: bounds the channels open on one SSH connection.
 * http.Agent cannot do it when createConnection is asynchronous (it counts a socket only
 * once the callback has delivered it).
 */
export class Slots {
  private used = 0;
  private readonly queue: { grant: () => void; fail: (err: Error) => void }[] = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`maxInFlight must be a positive integer, got ${limit}`);
  }

  get inUse(): number {
    return this.used;
  }

  get waiting(): number {
    return this.queue.length;
  }

  /** Resolves with a release function, to be called exactly once (extra calls are ignored). */
  acquire(): Promise<() => void> {
    if (this.used < this.limit) {
      this.used++;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ grant: () => resolve(this.releaser()), fail: reject });
    });
  }

  /** Fails everyone waiting (the connection is gone); slots in use stay until released. */
  failWaiting(err: Error): void {
    for (const w of this.queue.splice(0)) w.fail(err);
  }

  private releaser(): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const next = this.queue.shift();
      // Hand the slot straight to the next waiter: the count stays the same.
      if (next) next.grant();
      else this.used--;
    };
  }
}
