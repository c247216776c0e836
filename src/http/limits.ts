// --web.max-requests, twice over: requests collecting and rendering (beyond: 503 at once), and
// responses being sent (one more cuts off the one that has been sending longest).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../log.ts';
import type { WebMetrics } from './self-metrics.ts';

export class RequestLimits {
  readonly #max: number;
  readonly #metrics: WebMetrics;
  readonly #log: Logger;
  #inFlight = 0;
  /**
   * Responses being sent, oldest first. Not counted in inFlight: 40 clients that never read
   * would otherwise hold every slot until --web.write-timeout and lock Prometheus out (seen:
   * 503 to an ordinary scrape 33 s later). Bounded separately, as each pins the body it was given.
   */
  readonly #sending = new Set<ServerResponse>();

  /** `max` 0: no limit */
  constructor(max: number, metrics: WebMetrics, log: Logger) {
    this.#max = max;
    this.#metrics = metrics;
    this.#log = log;
  }

  /** requests collecting or rendering: what --web.max-requests bounds */
  get inFlight(): number {
    return this.#inFlight;
  }

  get max(): number {
    return this.#max;
  }

  /**
   * A slot to collect and render in, or undefined at the limit (counted as rejected). The slot
   * is freed by the function returned, or when the response closes, whichever comes first.
   */
  admit(req: IncomingMessage, res: ServerResponse): (() => void) | undefined {
    if (this.#max > 0 && this.#inFlight >= this.#max) {
      this.#metrics.rejected.inc();
      this.#log.debug({ url: req.url, inFlight: this.#inFlight }, 'too many requests in flight; answered 503');
      return undefined;
    }
    this.#inFlight++;
    let held = true;
    const release = (): void => {
      if (held) this.#inFlight--;
      held = false;
    };
    res.once('close', release);
    return release;
  }

  /** Makes room to send one more response: cuts off the longest-sending one at the limit. */
  startSending(req: IncomingMessage, res: ServerResponse): void {
    if (this.#max > 0 && this.#sending.size >= this.#max) {
      const oldest = this.#sending.values().next().value!;
      this.#sending.delete(oldest);
      this.#metrics.evicted.inc();
      this.#log.debug({ url: req.url }, `${this.#max} responses being sent (--web.max-requests); cut off the one sending longest`);
      oldest.destroy();
    }
    this.#sending.add(res);
    res.once('close', () => this.#sending.delete(res));
  }
}
