// The background `/system/df` of one host. The daemon walks every container's writable layer and
// every volume to answer it (measured on vfs: about 8 ms of dockerd CPU per container, 0.85 s for
// 44 containers), and while it walks dockerd 20.10 answers another df with "a disk usage operation
// is already running". So it never runs on the scrape path: scrapes serve the last result with its age.
import type { Logger } from '../log.ts';
import type { DiskUsage } from '../model.ts';
import { MAX_TIMER_MS, roundDuration } from '../util/duration.ts';
import { errorMessage } from '../util/errors.ts';

/**
 * Each walk's deadline, whatever the interval (walks never overlap, so a long one costs no
 * second walk): long enough for a big host (`docker system df` is reported to take minutes on
 * hosts with hundreds of containers), short enough that a hung daemon or connection is given up.
 */
export const DISK_TIMEOUT_MS = 10 * 60_000;

export interface DiskResult {
  usage: DiskUsage;
  /** unix ms when the daemon's answer arrived */
  finishedAt: number;
}

/** Runs `fn` after `ms`; returns a cancel function. */
export type Schedule = (fn: () => void, ms: number) => () => void;

const defaultSchedule: Schedule = (fn, ms) => {
  // unref: a pending walk never keeps the process alive; a longer interval waits MAX_TIMER_MS
  const t = setTimeout(fn, Math.min(ms, MAX_TIMER_MS)).unref();
  return () => clearTimeout(t);
};

export interface DiskPollerOptions {
  /** > 0 */
  intervalMs: number;
  /** One call to the daemon, decoded; rejects or returns an error message on failure. */
  fetch(timeoutMs: number): Promise<DiskUsage | string>;
  log: Logger;
  /** [0, 1); Math.random by default */
  random?: () => number;
  schedule?: Schedule;
}

/**
 * One walk at a time, `intervalMs` from the end of one to the start of the next, so the daemon
 * always rests an interval between walks however long one takes.
 *
 * The first walk starts at a random point of the first interval: an exporter starting with
 * 200 hosts would otherwise ask all of them at once, and each walk is heavy I/O on its host
 * (a burst on storage that hosts share: VM disks on one array, NFS-backed volumes) and a body
 * of up to megabytes for this process to parse, 200 of them in the same second. Spread at
 * start, they stay spread: each host keeps its own rhythm.
 */
export class DiskPoller {
  readonly #opts: DiskPollerOptions;
  readonly #schedule: Schedule;
  #cancel: (() => void) | null = null;
  #running: Promise<void> | null = null;
  #stopped = true;
  #last: DiskResult | null = null;
  #failures = 0;
  /** the error last logged; null while healthy (logged once per change) */
  #error: string | null = null;
  /** what the last walk left out at the caps, as logged (once per change) */
  #dropped = '';

  constructor(opts: DiskPollerOptions) {
    if (!(opts.intervalMs > 0)) throw new Error(`disk poller: interval must be positive, got ${opts.intervalMs}`);
    this.#opts = opts;
    this.#schedule = opts.schedule ?? defaultSchedule;
  }

  /** The last good result; null until the first walk succeeded. Kept through failures (its age tells). */
  get last(): DiskResult | null {
    return this.#last;
  }

  /** Failed walks since start: errors, timeouts, unreadable answers. */
  get failures(): number {
    return this.#failures;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    const random = this.#opts.random ?? Math.random;
    this.#next(Math.floor(random() * this.#opts.intervalMs));
  }

  /** No walk starts after this; resolves when the one in flight (if any) has settled. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#cancel?.();
    this.#cancel = null;
    await this.#running;
  }

  #next(delayMs: number): void {
    this.#cancel = this.#schedule(() => {
      this.#cancel = null;
      if (this.#stopped) return;
      this.#running = this.#walk().finally(() => {
        this.#running = null;
        if (!this.#stopped) this.#next(this.#opts.intervalMs);
      });
    }, delayMs);
  }

  #noteDropped(usage: DiskUsage): void {
    const d = usage.dropped;
    const text = d.containers + d.volumes + d.mounts > 0 ? JSON.stringify(d) : '';
    if (text === this.#dropped) return;
    this.#dropped = text;
    if (text !== '') this.#opts.log.warn({ ...d }, 'disk usage (/system/df) lists more than is kept per item: the rest is counted in the totals only');
  }

  async #walk(): Promise<void> {
    const start = performance.now();
    let error: string | null;
    try {
      const usage = await this.#opts.fetch(DISK_TIMEOUT_MS);
      if (typeof usage === 'string') {
        error = usage;
      } else {
        this.#last = { usage, finishedAt: Date.now() };
        error = null;
        this.#noteDropped(usage);
      }
    } catch (err) {
      error = errorMessage(err);
    }
    // A walk aborted by shutdown is not news.
    if (this.#stopped) return;
    if (error !== null) this.#failures++;
    if (error === this.#error) return;
    if (error !== null) this.#opts.log.warn({ err: error }, 'disk usage (/system/df) failed: the last figures are served with their age');
    else this.#opts.log.info({ took: roundDuration(performance.now() - start) }, 'disk usage (/system/df) recovered');
    this.#error = error;
  }
}
