import { finished, type Readable } from 'node:stream';
import type { Logger } from '../log.ts';
import { Backoff } from '../util/backoff.ts';
import { roundDuration } from '../util/duration.ts';
import { errorMessage } from '../util/errors.ts';
import { decodeEvent, refuseLongLine, type DockerEvent } from './event.ts';
import { LineSplitter, nestsDeeperThan, type LineCap } from './lines.ts';
import { pacePerTurn, TURN_BUDGET_BYTES } from '../util/pace.ts';
import { SeenEvents } from './seen-events.ts';

/** Where the stream comes from: dockerode in production (docker/daemon-client.ts), fakes in tests. */
export interface EventSource {
  /**
   * Opens the container event stream, replaying the daemon's buffered events from `since`
   * (unix seconds) when given. Resolves once the daemon answered 200.
   */
  open(since: number | undefined, signal: AbortSignal): Promise<Readable>;
}

export interface FollowerOptions {
  source: EventSource;
  log: Logger;
  /** Each new event, once: replays of events already seen are dropped before this. */
  onEvent(ev: DockerEvent): void;
  /** Answer (headers) within this, or the attempt fails. */
  connectTimeoutMs: number;
  /** Delays between attempts: default 1 s doubling up to 30 s, each drawn from the upper half of its range. */
  backoff?: { initialMs: number; maxMs: number; random?: () => number };
}

/** A line longer than this is not an event (a real one is 0.3-3 KB): the stream is cut and reopened. */
export const MAX_EVENT_LINE_BYTES = 1024 * 1024;
/** A line nested deeper than this is not an event (a real one nests 3): the stream is cut and reopened. */
export const MAX_EVENT_LINE_DEPTH = 32;

const CAP_PROBLEMS: Readonly<Record<LineCap, string>> = {
  line_bytes: `an event line longer than ${MAX_EVENT_LINE_BYTES / 1024 / 1024} MiB`,
  line_depth: `an event line nested deeper than ${MAX_EVENT_LINE_DEPTH} levels`,
};
/**
 * `since` is this much before the newest event seen: the daemon stamps an event before it
 * queues it, so two events can reach the stream out of time order. The overlap is replayed and
 * dropped as seen, and it makes a float's rounding of `since` (~0.2 us) harmless.
 */
const SINCE_OVERLAP_NS = 1_000_000_000n;
/** A stream that stayed up this long resets the backoff: a daemon that cuts every stream at once keeps backing off. */
const STABLE_MS = 10_000;

type State =
  | { kind: 'idle' }
  | { kind: 'connecting'; abort: AbortController }
  | { kind: 'up'; abort: AbortController; stream: Readable; upAt: number }
  | { kind: 'waiting'; timer: NodeJS.Timeout }
  | { kind: 'closed' };

/**
 * Follows one daemon's event stream for as long as it is started: parses the JSON lines,
 * hands each new event on once, and after a drop reconnects with capped, jittered backoff and
 * `since` = the newest event seen, so the daemon replays what the drop missed (as far as its
 * buffer reaches) and the replay's repeats are dropped by (timeNano, id, action).
 */
export class EventFollower {
  #state: State = { kind: 'idle' };
  readonly #opts: FollowerOptions;
  readonly #backoff: Backoff;
  readonly #seen = new SeenEvents();
  /** newest timeNano seen; the next `since` */
  #newest: bigint | undefined;
  #everUp = false;
  #reconnects = 0;
  /**
   * The failure last logged, so an outage logs once, not at every attempt; kept through short
   * reconnects, so a daemon that sends the same bad line to every new stream logs it once.
   * Cleared by a stream that stayed up STABLE_MS.
   */
  #lastProblem: string | undefined;
  /** the next stream established is announced at info (the one after a logged problem) */
  #announce = false;
  /** why lines were skipped, each logged once until a stream stays up STABLE_MS */
  readonly #skipsLogged = new Set<string>();
  /** streams cut at a cap, by cap */
  readonly #capped: Record<LineCap, number> = { line_bytes: 0, line_depth: 0 };

  constructor(opts: FollowerOptions) {
    this.#opts = opts;
    // A first retry within 0.5-1 s: the replay fills the gap, and 200 streams cut at once come
    // back over half a second, not in one instant (measured: bench/events.ts).
    const b = opts.backoff ?? { initialMs: 1000, maxMs: 30_000 };
    this.#backoff = new Backoff(b.initialMs, b.maxMs, b.random ?? Math.random);
  }

  get connected(): boolean {
    return this.#state.kind === 'up';
  }

  /** Streams established after a lost one. */
  get reconnects(): number {
    return this.#reconnects;
  }

  /** unix seconds of the newest event seen; NaN before the first */
  get newestEventSeconds(): number {
    return this.#newest === undefined ? NaN : Number(this.#newest) / 1e9;
  }

  /** Streams cut because a line passed a cap, by cap. */
  get capped(): Readonly<Record<LineCap, number>> {
    return this.#capped;
  }

  /** A getter: a direct read of #state after an await is narrowed wrongly by TypeScript. */
  get #closed(): boolean {
    return this.#state.kind === 'closed';
  }

  start(): void {
    if (this.#state.kind !== 'idle') return;
    void this.#connect();
  }

  /** Stops for good: the stream is cut, a pending retry cancelled. */
  async close(): Promise<void> {
    const s = this.#state;
    this.#state = { kind: 'closed' };
    if (s.kind === 'waiting') clearTimeout(s.timer);
    if (s.kind === 'connecting' || s.kind === 'up') s.abort.abort();
    if (s.kind === 'up') s.stream.destroy();
  }

  async #connect(): Promise<void> {
    const abort = new AbortController();
    this.#state = { kind: 'connecting', abort };
    const since = this.#newest === undefined ? undefined : Number(this.#newest - SINCE_OVERLAP_NS) / 1e9;
    const timer = setTimeout(() => abort.abort(new Error(`no answer within ${roundDuration(this.#opts.connectTimeoutMs)}`)), this.#opts.connectTimeoutMs);
    let stream: Readable;
    try {
      stream = await this.#opts.source.open(since, abort.signal);
    } catch (err) {
      clearTimeout(timer);
      if (this.#closed) return;
      const reason = abort.signal.aborted && abort.signal.reason instanceof Error ? abort.signal.reason.message : errorMessage(err);
      return this.#retry(`cannot open the event stream: ${reason}`);
    }
    clearTimeout(timer);
    if (this.#closed) {
      stream.destroy();
      return;
    }
    this.#state = { kind: 'up', abort, stream, upAt: Date.now() };
    if (this.#everUp) this.#reconnects++;
    this.#everUp = true;
    if (this.#announce) this.#opts.log.info({ since, reconnects: this.#reconnects }, 'events: stream connected');
    else if (this.#reconnects > 0) this.#opts.log.debug({ since, reconnects: this.#reconnects }, 'events: stream connected');
    this.#announce = false;
    this.#read(stream);
  }

  #read(stream: Readable): void {
    const lines = new LineSplitter(MAX_EVENT_LINE_BYTES);
    let cut: LineCap | undefined;
    const onLine = (bytes: Buffer): void => {
      if (cut !== undefined) return;
      if (nestsDeeperThan(bytes, MAX_EVENT_LINE_DEPTH)) {
        cut = 'line_depth';
        return;
      }
      const refused = refuseLongLine(bytes);
      if (refused !== undefined) return this.#skipped(refused, bytes.subarray(0, 200).toString('utf8'));
      // split on the '\n' byte, which is never inside a UTF-8 sequence: the line decodes alone
      const line = bytes.toString('utf8').trim();
      if (line.length === 0) return;
      const ev = decodeEvent(line);
      if (typeof ev === 'string') return this.#skipped(ev, line);
      this.#accept(ev);
    };
    const pace = pacePerTurn(stream, TURN_BUDGET_BYTES);
    stream.on('data', (chunk: Buffer | string) => {
      if (cut !== undefined) return;
      pace(chunk.length);
      cut = lines.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk, onLine) ?? cut;
      if (cut === undefined) return;
      this.#capped[cut]++;
      stream.destroy();
    });
    finished(stream, (err) => {
      const s = this.#state;
      if (s.kind !== 'up' || s.stream !== stream) return; // closed, or already replaced
      stream.destroy();
      if (Date.now() - s.upAt >= STABLE_MS) {
        this.#backoff.reset();
        this.#lastProblem = undefined;
        this.#skipsLogged.clear();
      }
      const reason = cut !== undefined ? CAP_PROBLEMS[cut] : err ? errorMessage(err) : 'the daemon ended the stream';
      this.#retry(`event stream lost: ${reason}`);
    });
  }

  #skipped(reason: string, line: string): void {
    if (this.#skipsLogged.has(reason)) return;
    this.#skipsLogged.add(reason);
    this.#opts.log.warn({ err: reason, line: line.slice(0, 200) }, 'events: line skipped (logged once per cause)');
  }

  #accept(ev: DockerEvent): void {
    if (!this.#seen.add(ev.key)) return;
    if (this.#newest === undefined || ev.timeNano > this.#newest) this.#newest = ev.timeNano;
    try {
      this.#opts.onEvent(ev);
    } catch (err) {
      // A bug in counting must not cut the stream (and replay, and count again).
      this.#opts.log.error({ err: errorMessage(err) }, 'events: handling an event failed');
    }
  }

  #retry(problem: string): void {
    if (this.#state.kind === 'closed') return;
    const delay = this.#backoff.next();
    const timer = setTimeout(() => {
      if (this.#state.kind === 'waiting') void this.#connect();
    }, delay);
    // The HTTP server keeps the process alive; a pending retry alone should not.
    timer.unref();
    this.#state = { kind: 'waiting', timer };
    if (problem !== this.#lastProblem) {
      this.#opts.log.warn({ err: problem, retryInMs: delay }, 'events: stream down');
      this.#announce = true;
    } else {
      this.#opts.log.debug({ err: problem, retryInMs: delay }, 'events: stream still down');
    }
    this.#lastProblem = problem;
  }
}
