import type { Agent, IncomingMessage } from 'node:http';
import type { Transport } from '../transport/types.ts';
import { Readable } from 'node:stream';
import { inspect } from 'node:util';
import Docker from 'dockerode';
import { roundDuration } from '../util/duration.ts';
import { workTurn } from '../util/turns.ts';
import { BODY_CAPS, EngineError, daemonMessage, jsonBody, wrap } from './engine-client.ts';

/**
 * dockerode, for the calls where its cost does not matter: the daemon's metadata (`/version`,
 * `/info`, every few minutes) and the event stream (one request per connection). The hot path
 * (list, inspect, stats) stays on engine-client.ts, for the reason given there.
 *
 * Its modem is dialled directly rather than through `version()`, `info()` and `getEvents()`:
 * each of those accepts only the statuses it lists and reads any other answer whole, without a
 * bound, to build its error (a daemon can send an endless error body), and `version()`/`info()`
 * buffer and JSON.parse a 200 body without a bound too (the test beside this file shows both).
 * So does every other call of its, the Swarm ones (`listNodes()`, `listTasks()`...) included:
 * they belong here as one #getJson line each. Here every answer is read up to a cap and its
 * status is checked after, which is why every status is "expected" to the modem.
 */

/**
 * Read by every docker-modem constructor and merged UNDER the options given: with DOCKER_HOST
 * set, a client built with `socketPath` goes to DOCKER_HOST's TCP host; with DOCKER_CERT_PATH
 * naming missing files, the constructor throws. None of them may reach a configured host.
 */
const MODEM_ENV = ['DOCKER_HOST', 'DOCKER_TLS_VERIFY', 'DOCKER_CERT_PATH', 'DOCKER_CLIENT_TIMEOUT', 'DOCKER_PATH_PREFIX', 'SSH_AUTH_SOCK'] as const;

/** One dockerode per host, from the host's endpoint and agent only; never from DOCKER_* variables. */
export function createDockerode(endpoint: Transport['requestOptions'], agent: Agent): Docker {
  const saved = MODEM_ENV.map((k) => [k, process.env[k]] as const);
  for (const k of MODEM_ENV) delete process.env[k];
  try {
    const where = endpoint.socketPath !== undefined ? { socketPath: endpoint.socketPath } : { host: endpoint.host, port: endpoint.port };
    // docker-modem formats every request's options for its debug log, log off or not, with
    // util.inspect at full depth: the agent's whole object graph, its sockets' too (200 hosts'
    // dials at start took 172 ms in one turn). The agent answers that with its name alone.
    Object.defineProperty(agent, inspect.custom, { value: () => '[Agent]', configurable: true });
    // `agent` is a docker-modem option that @types/dockerode does not list: passed as a variable.
    const options = { protocol: endpoint.protocol === 'https:' ? ('https' as const) : ('http' as const), ...where, agent };
    return new Docker(options);
  } finally {
    // Synchronous: nothing else runs between the delete and the restore.
    for (const [k, v] of saved) if (v !== undefined) process.env[k] = v;
  }
}

/** First TCP keep-alive probe of an idle event stream after this long. */
const STREAM_KEEPALIVE_MS = 15_000;

/**
 * The events asked for, as the daemon names them (model.ts CONTAINER_EVENTS). `health_status`
 * matches `health_status: healthy` and `: unhealthy` (the daemon matches that one by prefix).
 * Filtering there keeps healthchecks' exec_create/exec_start/exec_die (three per check) off the wire.
 */
const EVENT_FILTER = { type: ['container'], event: ['start', 'die', 'oom', 'kill', 'restart', 'health_status', 'destroy'] };

/** Every status is "expected" to the modem, so it hands over the response and we check it. */
const ANY_STATUS: Readonly<Record<number, boolean>> = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [i + 100, true]));

/** A daemon's metadata and event stream through dockerode (see above). */
export class DaemonClient {
  readonly #docker: Docker;
  /** aborts every request in flight, at shutdown */
  readonly #closed = new AbortController();

  constructor(docker: Docker) {
    this.#docker = docker;
  }

  /** GET /version, unversioned (every daemon accepts it). */
  version(timeoutMs: number): Promise<unknown> {
    return this.#getJson('/version', timeoutMs);
  }

  /** GET /v<apiVersion>/info */
  info(apiVersion: string, timeoutMs: number): Promise<unknown> {
    return this.#getJson(`/v${apiVersion}/info`, timeoutMs);
  }

  /**
   * The Swarm control plane, as dockerode's listServices, listNodes and listTasks ask it (a
   * manager answers; any other node 503), read with a cap like every other answer here.
   * `status=true` (API 1.41+) adds each service's running and desired task counts, so a
   * healthy service needs no task list at all.
   */
  services(apiVersion: string, timeoutMs: number): Promise<unknown> {
    return this.#getJson(`/v${apiVersion}/services?`, timeoutMs, { status: true }, BODY_CAPS.swarm);
  }

  nodes(apiVersion: string, timeoutMs: number): Promise<unknown> {
    return this.#getJson(`/v${apiVersion}/nodes?`, timeoutMs, {}, BODY_CAPS.swarm);
  }

  /** `filters` as the Engine API reads them (e.g. {service: [...ids]}). */
  tasks(apiVersion: string, filters: Record<string, string[]>, timeoutMs: number): Promise<unknown> {
    return this.#getJson(`/v${apiVersion}/tasks?`, timeoutMs, { filters }, BODY_CAPS.swarm);
  }

  /** GET /events: container events of the counted kinds, replayed from `since` when given (events/follower.ts EventSource). */
  async open(since: number | undefined, signal: AbortSignal): Promise<Readable> {
    const query: Record<string, unknown> = { filters: EVENT_FILTER };
    if (since !== undefined) query.since = since;
    const res = await this.#dial('/events?', query, AbortSignal.any([signal, this.#closed.signal]));
    const status = res.statusCode ?? 0;
    if (status === 200) {
      // An idle stream sends nothing: without TCP keep-alive a peer that vanished without a
      // word (power loss, a NAT dropping the flow) would leave it "connected" for ever. Over
      // SSH the session's own keep-alive does this; its channel ignores the call.
      res.socket?.setKeepAlive(true, STREAM_KEEPALIVE_MS);
      return res;
    }
    const body = await readCapped(res, BODY_CAPS.daemon, '/events');
    throw new EngineError(`GET /events: HTTP ${status}${daemonMessage(body)}`, status);
  }

  close(): void {
    this.#closed.abort();
  }

  async #getJson(target: string, timeoutMs: number, query?: Record<string, unknown>, cap: number = BODY_CAPS.daemon): Promise<unknown> {
    const path = target.endsWith('?') ? target.slice(0, -1) : target;
    const timeout = AbortSignal.timeout(timeoutMs);
    let body: Buffer;
    let status: number;
    try {
      const res = await this.#dial(target, query, AbortSignal.any([timeout, this.#closed.signal]));
      status = res.statusCode ?? 0;
      body = await readCapped(res, cap, path);
    } catch (err) {
      if (timeout.aborted && !(err instanceof EngineError)) throw new EngineError(`GET ${path}: timed out after ${roundDuration(timeoutMs)}`);
      throw wrap(path, err instanceof Error ? err : new Error(String(err)));
    }
    if (status < 200 || status >= 300) throw new EngineError(`GET ${path}: HTTP ${status}${daemonMessage(body)}`, status);
    // a fleet's /info and Swarm answers land together: decoded a few per turn (engine-client.ts getJson)
    await workTurn();
    return jsonBody(path, body);
  }

  #dial(path: string, query: Record<string, unknown> | undefined, signal: AbortSignal): Promise<IncomingMessage> {
    return new Promise<IncomingMessage>((resolve, reject) => {
      this.#docker.modem.dial(
        { path, method: 'GET', options: query, isStream: true, statusCodes: ANY_STATUS, abortSignal: signal },
        (err, result) => {
          if (err) return reject(err);
          if (result instanceof Readable) return resolve(result as IncomingMessage);
          reject(new EngineError(`GET ${path}: no response stream`));
        },
      );
    });
  }
}

/** The whole body, failing past `cap` bytes (refused up front when the daemon says its size). */
function readCapped(res: IncomingMessage, cap: number, path: string): Promise<Buffer> {
  const tooLarge = () => new EngineError(`GET ${path}: body larger than its ${cap / 1024 / 1024} MiB cap`);
  return new Promise<Buffer>((resolve, reject) => {
    if (Number(res.headers['content-length']) > cap) {
      res.destroy();
      return reject(tooLarge());
    }
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > cap) {
        res.destroy();
        return reject(tooLarge());
      }
      chunks.push(chunk);
    });
    res.on('error', reject);
    res.on('end', () => resolve(Buffer.concat(chunks, size)));
  });
}
