import { request as httpRequest, type ClientRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Transport } from '../transport/types.ts';
import { workTurn } from '../util/turns.ts';
import { roundDuration } from '../util/duration.ts';
import { asRecord, str } from '../util/json.ts';
import type { DiskUsage } from '../model.ts';
import { DiskUsageDecoder } from './disk-usage.ts';
import { pacePerTurn, TURN_BUDGET_BYTES } from '../util/pace.ts';

/**
 * The only code that talks to a daemon: read-only GETs of the Engine API over one host's
 * transport. Bodies come back as raw bytes; callers decide where to parse them.
 *
 * Not dockerode: its modem util.inspect()s every request's options, agent included, and
 * buffers + JSON.parses every body. Measured here: ~119 ms of CPU per request with 500
 * requests queued on one agent, against ~0.5 ms for node:http.
 */

/** Newest Engine API version whose shapes this exporter was checked against. */
export const MAX_API_VERSION = '1.51';
/** `one-shot` stats (no second sample, no 1 s extra wait) exist from this version on. */
export const ONE_SHOT_API_VERSION = '1.41';
/** GET /system/df exists from this version (Docker 1.13) on; an older daemon answers 404. */
export const SYSTEM_DF_API_VERSION = '1.25';
const MiB = 1024 * 1024;

/**
 * Largest body accepted per kind of call; a larger one fails that call (and is counted and
 * logged as its container's or list's failure). A real stats body is 2-10 KB and an inspect
 * 5-30 KB, so 1 MiB is generous; a list entry is 1-2 KB, so 32 MiB is 16,000+ containers.
 * Without caps a daemon answering 30 MB of nested arrays kept a parse busy for 40 s.
 * `/system/df` lists every container, image, volume and build cache record (0.3-2 KB each); it
 * is decoded as it arrives (docker/disk-usage.ts), never held, so its cap bounds time, not memory.
 */
export const BODY_CAPS = { daemon: MiB, swarm: 32 * MiB, list: 32 * MiB, inspect: MiB, stats: MiB, df: 64 * MiB } as const;
export type BodyKind = keyof typeof BODY_CAPS;

/** Where a streamed body goes (see EngineClient.getDecoded). */
export interface BodySink<T> {
  write(chunk: Buffer): void;
  end(): T;
}

export class EngineError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'EngineError';
  }
}

export interface VersionInfo {
  apiVersion: string;
  minApiVersion: string;
  serverVersion: string;
  os: string;
  arch: string;
  kernelVersion: string;
}

/** "1.43" -> comparable number; NaN for anything else. */
export function apiVersionNumber(v: string): number {
  const m = /^(\d+)\.(\d+)$/.exec(v);
  return m ? Number(m[1]) * 1000 + Number(m[2]) : NaN;
}

/** The version to speak: the daemon's own, capped at ours, never below the daemon's minimum. */
export function chooseApiVersion(daemon: string, daemonMin: string): string {
  const d = apiVersionNumber(daemon);
  if (Number.isNaN(d)) return MAX_API_VERSION;
  let chosen = d > apiVersionNumber(MAX_API_VERSION) ? MAX_API_VERSION : daemon;
  const min = apiVersionNumber(daemonMin);
  if (!Number.isNaN(min) && apiVersionNumber(chosen) < min) chosen = daemonMin;
  return chosen;
}

/** A request in flight: what the deadline sweep and close() need to end it. */
interface InFlight {
  req: ClientRequest;
  /** performance.now() past which it is timed out */
  deadline: number;
  /** as the caller named it (unversioned), for messages */
  path: string;
  timeoutMs: number;
}

export class EngineClient {
  /**
   * Every request in flight or queued on the agent, so close() and the deadline sweep can end
   * it. Measured on the real engine (docs/performance.md): an AbortSignal listener plus a timer per request cost
   * ~100 us of CPU per request on the real engine; a Set entry and one timer per client do not.
   */
  readonly #inFlight = new Set<InFlight>();
  /** one timer for the whole client, due at the earliest deadline in flight (or later) */
  #sweep: NodeJS.Timeout | undefined;
  #sweepAt = Infinity;
  #closed = false;
  #prefix = '';
  #apiVersion = '';
  readonly #transport: Transport;
  readonly #request: typeof httpRequest;

  constructor(transport: Transport) {
    this.#transport = transport;
    this.#request = transport.requestOptions.protocol === 'https:' ? httpsRequest : httpRequest;
  }

  /** Empty until negotiate() succeeded. */
  get apiVersion(): string {
    return this.#apiVersion;
  }

  get oneShot(): boolean {
    return this.#apiVersion !== '' && apiVersionNumber(this.#apiVersion) >= apiVersionNumber(ONE_SHOT_API_VERSION);
  }

  /** Pins the version to speak, from the daemon's GET /version (asked through docker/daemon-client.ts). */
  negotiate(info: VersionInfo): void {
    this.#apiVersion = chooseApiVersion(info.apiVersion, info.minApiVersion);
    this.#prefix = `/v${this.#apiVersion}`;
  }

  /** Forget the negotiated version, e.g. after the daemon went away (it may come back upgraded). */
  reset(): void {
    this.#apiVersion = '';
    this.#prefix = '';
  }

  listContainers(timeoutMs: number): Promise<unknown> {
    return this.getJson('/containers/json?all=1', timeoutMs, 'list');
  }

  inspect(id: string, timeoutMs: number): Promise<unknown> {
    return this.getJson(`/containers/${encodeURIComponent(id)}/json`, timeoutMs, 'inspect');
  }

  /** Raw stats body: parsed later, off the main thread. */
  statsRaw(id: string, timeoutMs: number): Promise<Buffer> {
    const q = this.oneShot ? 'stream=false&one-shot=true' : 'stream=false';
    return this.get(`/containers/${encodeURIComponent(id)}/stats?${q}`, timeoutMs, 'stats');
  }

  /**
   * GET /system/df, everything: images, containers, volumes and build cache. All four are
   * exported, so `type=` (API 1.42+) would ask for the same walk by another name. Speaking at
   * most API 1.51 keeps the answer in the shape that lists every item (1.52 lists them only
   * with verbose=1).
   */
  systemDf(timeoutMs: number): Promise<DiskUsage> {
    if (this.#apiVersion !== '' && apiVersionNumber(this.#apiVersion) < apiVersionNumber(SYSTEM_DF_API_VERSION)) {
      return Promise.reject(new EngineError(`GET /system/df: needs API ${SYSTEM_DF_API_VERSION} or later; this daemon speaks ${this.#apiVersion} (not asked)`));
    }
    return this.getDecoded('/system/df', timeoutMs, 'df', new DiskUsageDecoder());
  }

  /** Fail everything in flight now and every later request. */
  close(): void {
    this.#closed = true;
    for (const f of this.#inFlight) f.req.destroy(shuttingDown(f.path));
  }

  /**
   * Decoded in a turn of the work queue, with what the caller does next up to its next await:
   * at L the 200 hosts' lists land together, and parsed where they arrived, their JSON.parse
   * and decode held the loop for up to 130 ms.
   */
  async getJson(path: string, timeoutMs: number, kind: BodyKind, versioned = true): Promise<unknown> {
    const body = await this.get(path, timeoutMs, kind, versioned);
    await workTurn();
    return jsonBody(path, body);
  }

  /**
   * No AbortSignal and no timer per request: close() and the client's one deadline timer end
   * requests through the in-flight set. (AbortSignal.any() per request also kept memory
   * growing on Node 20: +40 MB per million.)
   */
  get(path: string, timeoutMs: number, kind: BodyKind, versioned = true): Promise<Buffer> {
    return this.#get(path, timeoutMs, kind, versioned, undefined);
  }

  /**
   * A 2xx body handed to `sink` chunk by chunk as it arrives, never held whole: each chunk
   * costs the main thread only its own bytes. A sink that throws fails the request.
   */
  getDecoded<T>(path: string, timeoutMs: number, kind: BodyKind, sink: BodySink<T>): Promise<T> {
    return this.#get(path, timeoutMs, kind, true, sink);
  }

  #get<T>(path: string, timeoutMs: number, kind: BodyKind, versioned: boolean, sink: BodySink<T>): Promise<T>;
  #get(path: string, timeoutMs: number, kind: BodyKind, versioned: boolean, sink: undefined): Promise<Buffer>;
  #get<T>(path: string, timeoutMs: number, kind: BodyKind, versioned: boolean, sink: BodySink<T> | undefined): Promise<T | Buffer> {
    const cap = BODY_CAPS[kind];
    const tooLarge = () => new EngineError(`GET ${path}: ${kind} body larger than its ${cap / MiB} MiB cap`);
    if (this.#closed) return Promise.reject(shuttingDown(path));
    const fullPath = versioned ? this.#prefix + path : path;
    const options: RequestOptions = {
      ...this.#transport.requestOptions,
      agent: this.#transport.agent,
      method: 'GET',
      path: fullPath,
      headers: { accept: 'application/json' },
    };
    return new Promise<T | Buffer>((resolve, reject) => {
      let entry: InFlight | undefined;
      const settle = () => {
        if (entry && this.#inFlight.delete(entry) && this.#inFlight.size === 0) this.#disarmSweep();
      };
      const fail = (err: Error) => {
        settle();
        reject(wrap(path, err));
      };
      try {
        const req = this.#request(options, (res: IncomingMessage) => {
          const chunks: Buffer[] = [];
          let size = 0;
          const status = res.statusCode ?? 0;
          const ok = status >= 200 && status < 300;
          const decoding = ok ? sink : undefined;
          res.on('error', fail);
          // Refused before reading when the daemon says the size up front.
          if (Number(res.headers['content-length']) > cap) {
            res.destroy(tooLarge());
            return;
          }
          const pace = decoding ? pacePerTurn(res, TURN_BUDGET_BYTES) : undefined;
          const decodeFailed = (err: unknown) => new EngineError(`GET ${path}: ${err instanceof Error ? err.message : String(err)}`);
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > cap) {
              res.destroy(tooLarge());
              return;
            }
            if (!decoding) return void chunks.push(chunk);
            pace!(chunk.length);
            try {
              decoding.write(chunk);
            } catch (err) {
              res.destroy(decodeFailed(err));
            }
          });
          res.on('end', () => {
            settle();
            if (decoding) {
              try {
                resolve(decoding.end());
              } catch (err) {
                reject(decodeFailed(err));
              }
              return;
            }
            const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
            if (ok) resolve(body);
            else reject(new EngineError(`GET ${path}: HTTP ${status}${daemonMessage(body)}`, status));
          });
        });
        entry = { req, deadline: performance.now() + timeoutMs, path, timeoutMs };
        this.#inFlight.add(entry);
        this.#armSweep(entry.deadline);
        req.on('error', fail);
        req.end();
      } catch (err) {
        // The agent may throw while connecting (tls.connect on bad TLS material): a failed
        // request like any other, and nothing of it may stay armed.
        entry?.req.destroy();
        fail(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  /** Makes sure the sweep runs by `deadline`. Deadlines in a probe are close together: one timer serves them. */
  #armSweep(deadline: number): void {
    if (deadline >= this.#sweepAt) return;
    if (this.#sweep) clearTimeout(this.#sweep);
    this.#sweepAt = deadline;
    this.#sweep = setTimeout(() => this.#runSweep(), Math.max(0, deadline - performance.now()));
  }

  /** Nothing in flight: no timer left armed (it would hold the process open until it fired). */
  #disarmSweep(): void {
    if (this.#sweep) clearTimeout(this.#sweep);
    this.#sweep = undefined;
    this.#sweepAt = Infinity;
  }

  /** Times out what is past its deadline, then re-arms for the earliest deadline left. */
  #runSweep(): void {
    this.#sweep = undefined;
    this.#sweepAt = Infinity;
    // a timer may fire up to 1 ms before performance.now() reaches the deadline it was set for
    const now = performance.now() + 1;
    let next = Infinity;
    for (const f of this.#inFlight) {
      if (f.deadline <= now) {
        this.#inFlight.delete(f);
        f.req.destroy(new EngineError(`GET ${f.path}: timed out after ${roundDuration(f.timeoutMs)}`));
      } else if (f.deadline < next) next = f.deadline;
    }
    if (next !== Infinity) this.#armSweep(next);
  }
}

/** The parts of GET /version the exporter uses. */
export function decodeVersion(body: unknown): VersionInfo {
  const v = asRecord(body);
  return {
    apiVersion: str(v.ApiVersion),
    minApiVersion: str(v.MinAPIVersion),
    serverVersion: str(v.Version),
    os: str(v.Os),
    arch: str(v.Arch),
    kernelVersion: str(v.KernelVersion),
  };
}

/** A failed request as an EngineError naming its path. */
export function wrap(path: string, err: Error): EngineError {
  if (err instanceof EngineError) return err;
  const code = (err as NodeJS.ErrnoException).code;
  if (err.name === 'AbortError' || code === 'ABORT_ERR') return shuttingDown(path);
  return new EngineError(`GET ${path}: ${code ? `${code} ` : ''}${err.message}`.trimEnd());
}

function shuttingDown(path: string): EngineError {
  return new EngineError(`GET ${path}: aborted (shutting down)`);
}

/** A 2xx body as JSON; anything else is a failed request naming its path. */
export function jsonBody(path: string, body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    throw new EngineError(`GET ${path}: response is not JSON`);
  }
}

/** The daemon's {"message": "..."} on errors, shortened: it is logged and shown on the status page. */
export function daemonMessage(body: Buffer): string {
  if (body.length === 0) return '';
  try {
    const m = (JSON.parse(body.toString('utf8')) as { message?: unknown }).message;
    if (typeof m === 'string') return `: ${m.slice(0, 200)}`;
  } catch {
    /* not JSON: fall through */
  }
  return `: ${body.toString('utf8', 0, Math.min(body.length, 200)).replace(/\s+/g, ' ')}`;
}
