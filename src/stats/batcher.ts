// Fleet-wide batching of stats parse requests: the bodies hosts submit within a few ms go to
// the runner together, in chunks of up to chunkSize bodies. Measured at M (50 hosts x 40):
// piscina's postTask costs ~0.6 ms of main-thread CPU per task; a task per host would be 50
// tasks per scrape where a handful carry the same bodies.
import { FIELD_COUNT, type NetworkSample, type ParseResult } from './layout.ts';
import type { RunChunk } from './runner.ts';

interface Request {
  bodies: Uint8Array[];
  signal?: AbortSignal;
  resolve(r: ParseResult): void;
  reject(err: unknown): void;
}

/** Where a run of a request's bodies sits in a chunk. */
interface Segment {
  chunk: number;
  row: number;
  count: number;
}

/** Requests' bodies laid out in chunks, in order; a request is split where a chunk is full. */
interface Layout {
  chunks: Uint8Array[][];
  /** per request, where its bodies went */
  segments: Segment[][];
  /** per chunk, how many requests have bodies in it */
  owners: number[];
}

function layOut(requests: readonly Uint8Array[][], chunkSize: number): Layout {
  const chunks: Uint8Array[][] = [[]];
  const owners: number[] = [0];
  const segments = requests.map((bodies) => {
    const segs: Segment[] = [];
    for (let i = 0; i < bodies.length; ) {
      if (chunks[chunks.length - 1]!.length === chunkSize) {
        chunks.push([]);
        owners.push(0);
      }
      const chunk = chunks.length - 1;
      const cur = chunks[chunk]!;
      const count = Math.min(chunkSize - cur.length, bodies.length - i);
      segs.push({ chunk, row: cur.length, count });
      for (let k = 0; k < count; k++) cur.push(bodies[i + k]!);
      owners[chunk]!++;
      i += count;
    }
    return segs;
  });
  return { chunks, segments, owners };
}

export class StatsBatcher {
  #pending: Request[] = [];
  #pendingBodies = 0;
  #timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly run: RunChunk,
    private readonly chunkSize: number,
    /** How long the first pending request waits for others (a full chunk goes at once). */
    private readonly windowMs: number,
  ) {}

  /** Row i of the result belongs to bodies[i]; `signal` rejects this request only. */
  submit(bodies: Uint8Array[], signal?: AbortSignal): Promise<ParseResult> {
    return new Promise<ParseResult>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      let req: Request = { bodies, resolve, reject };
      if (signal !== undefined) {
        const onAbort = (): void => reject(signal.reason);
        signal.addEventListener('abort', onAbort, { once: true });
        const done = (): void => signal.removeEventListener('abort', onAbort);
        req = {
          bodies,
          signal,
          resolve: (r) => (done(), resolve(r)),
          reject: (e) => (done(), reject(e)),
        };
      }
      // a host's bodies stay in one task unless they alone fill more than one
      if (this.#pendingBodies > 0 && this.#pendingBodies + bodies.length > this.chunkSize) this.flush();
      this.#pending.push(req);
      this.#pendingBodies += bodies.length;
      if (this.#pendingBodies >= this.chunkSize) this.flush();
      else this.#timer ??= setTimeout(() => this.flush(), this.windowMs);
    });
  }

  /** Sends what is pending now (the window's timer does it otherwise; close() before the pool closes). */
  flush(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    // a request that gave up while waiting for its window is not parsed at all
    const requests = this.#pending.filter((r) => r.signal?.aborted !== true);
    this.#pending = [];
    this.#pendingBodies = 0;
    if (requests.length === 0) return;

    const { chunks, segments, owners } = layOut(
      requests.map((r) => r.bodies),
      this.chunkSize,
    );
    // A request that gives up (its probe's deadline) stops the tasks carrying its bodies, so
    // one host's slow bodies cannot keep a worker from the others; those run again alone.
    const stops = chunks.map(() => new AbortController());
    const unlisten: (() => void)[] = [];
    requests.forEach((req, i) => {
      const signal = req.signal;
      if (signal === undefined) return;
      for (const s of segments[i]!) {
        const stop = (): void => stops[s.chunk]!.abort(signal.reason);
        signal.addEventListener('abort', stop, { once: true });
        unlisten.push(() => signal.removeEventListener('abort', stop));
      }
    });
    const hostStarts = chunks.map((): number[] => []);
    for (const segs of segments) for (const s of segs) hostStarts[s.chunk]!.push(s.row);
    const results = chunks.map((c, k) => (c.length === 0 ? Promise.resolve(EMPTY) : this.run(c, stops[k]!.signal, hostStarts[k])));
    // every rejection is also awaited below; this keeps one awaited twice from counting as unhandled
    for (const r of results) r.catch(() => {});
    void Promise.allSettled(results).then(() => unlisten.forEach((f) => f()));

    requests.forEach(async (req, i) => {
      const segs = segments[i]!;
      try {
        req.resolve(await collect(results, segs));
      } catch (err) {
        // Given up: rejected already by its own signal, nothing to run again.
        if (req.signal?.aborted) return;
        // A failed task (a worker died or threw, or another host gave up on it) must not fail
        // the other hosts that shared it: each runs again alone, so only its cause fails.
        if (!segs.some((s) => owners[s.chunk]! > 1)) {
          req.reject(err);
          return;
        }
        try {
          req.resolve(await this.#runAlone(req.bodies, req.signal));
        } catch (again) {
          req.reject(again);
        }
      }
    });
  }

  #runAlone(bodies: Uint8Array[], signal: AbortSignal | undefined): Promise<ParseResult> {
    const { chunks, segments } = layOut([bodies], this.chunkSize);
    return collect(
      chunks.map((c) => this.run(c, signal)),
      segments[0]!,
    );
  }
}

const EMPTY: ParseResult = { values: new Float64Array(0), errors: [], networks: [] };

/** A request's rows from the results of the chunks its segments are in. */
async function collect(results: readonly Promise<ParseResult>[], segs: readonly Segment[]): Promise<ParseResult> {
  const parts = await Promise.all(segs.map((s) => results[s.chunk]!.then((r) => rows(r, s.row, s.count))));
  return parts.length === 1 ? parts[0]! : concatResults(parts);
}

/** Rows [row, row + count) of a result; the values share its buffer. */
function rows(r: ParseResult, row: number, count: number): ParseResult {
  if (row === 0 && count === r.errors.length) return r;
  return {
    values: r.values.subarray(row * FIELD_COUNT, (row + count) * FIELD_COUNT),
    errors: r.errors.slice(row, row + count),
    networks: r.networks.slice(row, row + count),
  };
}

function concatResults(parts: readonly ParseResult[]): ParseResult {
  let count = 0;
  for (const p of parts) count += p.errors.length;
  const values = new Float64Array(count * FIELD_COUNT);
  const errors: (string | null)[] = [];
  const networks: NetworkSample[][] = [];
  let row = 0;
  for (const p of parts) {
    values.set(p.values, row * FIELD_COUNT);
    row += p.errors.length;
    for (const e of p.errors) errors.push(e);
    for (const n of p.networks) networks.push(n);
  }
  return { values, errors, networks };
}
