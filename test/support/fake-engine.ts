// A fake Docker Engine API for integration tests, fault injection and the benchmark: the
// read-only endpoints the exporter uses, on a unix socket or TCP (optionally mutual TLS),
// with state tests can change and faults they can inject. Light on purpose: list and inspect
// bodies are rendered when the state changes, not per request.
import { existsSync, lstatSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { dfBody, emptyDisk, type FakeDisk } from './disk-bodies.ts';
import {
  containerFrom,
  containerStatsBody,
  inspectBody,
  listEntry,
  type ContainerInput,
  type ContainerState,
  type FakeContainer,
} from './stats-bodies.ts';
import { FakeEventHub, hostileEvents, type HostileEvents } from './fake-events.ts';

export type EndpointKind = 'ping' | 'version' | 'info' | 'list' | 'inspect' | 'stats' | 'df' | 'events' | 'unknown';
const KINDS: readonly EndpointKind[] = ['ping', 'version', 'info', 'list', 'inspect', 'stats', 'df', 'events', 'unknown'];

export interface Fault {
  /** Added to the answer's wait; delays of every matching rule add up. */
  delayMs?: number;
  /** Answer this status with {"message": message}. */
  status?: number;
  message?: string;
  /** Answer this exact body (e.g. malformed JSON), with `status` or 200. */
  body?: string;
  /** Never answer; the socket stays open until the client gives up or the engine closes. */
  hang?: boolean;
  /** Drop the connection without an answer. */
  destroy?: boolean;
  /** Send 200 and the headers (chunked), then nothing: the body never starts. */
  stallAfterHeaders?: boolean;
  /** Send 200 and a body that never ends: a JSON string growing by `chunkBytes` (64 KiB) every `everyMs` (10). */
  streamForever?: { chunkBytes?: number; everyMs?: number };
  /** Send 200 and valid JSON of about this many bytes ({"pad":"aaa…"}), written as the client reads: never held whole. */
  hugeBodyBytes?: number;
  /** Send 200 and a stats-like body whose cpu_stats is nested arrays ([[[…]]]) of about this many bytes, streamed. */
  nestedArrayBytes?: number;
  /** Send 200 and `head`, `unit` repeated, `tail`: about `bytes` in all, streamed from a 1 MiB run of units (never held). */
  repeatBody?: { head: string; unit: string; tail: string; bytes: number };
  /** GET /events: a hostile stream of this shape instead of the events (fake-events.ts hostileEvents). */
  eventStream?: HostileEvents;
  /** List only (other kinds answer normally): every entry twice, the copy with this State and a legacy link alias as its first name. */
  duplicateIds?: ContainerState;
  /** Match only this many more requests, then stay inert; default: every request. */
  times?: number;
}

/**
 * A fault for requests of one kind and/or one container (id or name); neither = every request.
 * When several rules match, delays add up and the most specific rule with an outcome
 * (status/body/hang/destroy) decides: container+kind > container > kind > global, later wins ties.
 */
export interface FaultRule extends Fault {
  kind?: EndpointKind;
  container?: string;
}

export interface RequestRecord {
  method: string;
  /** the request target as sent, with query */
  path: string;
  kind: EndpointKind;
  /** resolved container id, for inspect/stats */
  container?: string;
  /** unix ms */
  at: number;
  /** the answer's status, once sent (a destroyed or hung request has none) */
  status?: number;
}

export interface RequestLog {
  /** newest last; trimmed to the last `logLimit` records */
  log: RequestRecord[];
  total: number;
  byKind: Record<EndpointKind, number>;
  byMethod: Record<string, number>;
}

/** What /version and /info report. */
export interface DaemonFacts {
  serverVersion: string;
  os: string;
  /** /version "Arch" (Go's GOARCH) */
  arch: string;
  /** /info "Architecture" (uname -m) */
  architecture: string;
  kernelVersion: string;
  operatingSystem: string;
  driver: string;
  cgroupVersion: '1' | '2';
  cgroupDriver: string;
  ncpu: number;
  memTotal: number;
  name: string;
}

export interface FakeEngineOptions {
  socketPath?: string;
  /** TCP on 127.0.0.1 when no socketPath; 0 = ephemeral */
  port?: number;
  tls?: { key: string; cert: string; ca: string; requestCert: true };
  /** cgroup version of the daemon and default of its containers; default 2 */
  cgroup?: 1 | 2;
  containers?: ContainerInput[];
  /** default 10 000 */
  logLimit?: number;
  /** idle keep-alive timeout; default 0 = never, like dockerd */
  keepAliveTimeoutMs?: number;
}

interface Entry {
  c: FakeContainer;
  list?: string;
  inspect?: string;
  ticks: number;
}

/** The containers of a fake daemon. Entries are frozen: change them through update(). */
export class ContainerStore {
  private readonly byId = new Map<string, Entry>();
  private readonly byName = new Map<string, string>();
  /** bumps on every change; cached bodies compare against it */
  version = 0;

  constructor(private readonly defaults: () => { cgroup: 1 | 2 }) {}

  get size(): number {
    return this.byId.size;
  }

  add(input: ContainerInput | FakeContainer): FakeContainer {
    const c = Object.freeze(containerFrom(input, this.defaults()));
    if (this.byId.has(c.id)) throw new Error(`fake engine: container id ${c.id.slice(0, 12)} already exists`);
    if (this.byName.has(c.name)) throw new Error(`fake engine: container name "${c.name}" already exists`);
    this.byId.set(c.id, { c, ticks: 0 });
    this.byName.set(c.name, c.id);
    this.version++;
    return c;
  }

  /** Full id, name (with or without "/"), or a unique id prefix, as the daemon resolves them. */
  get(ref: string): FakeContainer | undefined {
    return this.entry(ref)?.c;
  }

  update(ref: string, patch: ContainerInput): FakeContainer {
    const e = this.entry(ref);
    if (!e) throw new Error(`fake engine: no container "${ref}" to update`);
    const { id: _id, ...rest } = patch;
    const limits = { ...e.c.limits, ...(patch.limits ?? {}) };
    const merged: ContainerInput = { ...e.c, ...rest, limits, id: e.c.id };
    if (patch.state !== undefined && patch.state !== e.c.state) {
      // a state change moves the times and pid the way the daemon would, unless the patch says
      const live = (s: string): boolean => s === 'running' || s === 'paused';
      if (patch.pid === undefined) delete merged.pid;
      if (live(patch.state) && !live(e.c.state) && patch.startedAt === undefined) merged.startedAt = Date.now();
      if ((patch.state === 'exited' || patch.state === 'dead') && patch.finishedAt === undefined) merged.finishedAt = Date.now();
    }
    const c = Object.freeze(containerFrom(merged, this.defaults()));
    if (c.name !== e.c.name) {
      if (this.byName.has(c.name)) throw new Error(`fake engine: container name "${c.name}" already exists`);
      this.byName.delete(e.c.name);
      this.byName.set(c.name, c.id);
    }
    e.c = c;
    e.list = e.inspect = undefined;
    this.version++;
    return c;
  }

  remove(ref: string): boolean {
    const e = this.entry(ref);
    if (!e) return false;
    this.byId.delete(e.c.id);
    this.byName.delete(e.c.name);
    this.version++;
    return true;
  }

  clear(): void {
    this.byId.clear();
    this.byName.clear();
    this.version++;
  }

  all(): FakeContainer[] {
    return [...this.byId.values()].map((e) => e.c);
  }

  /** @internal the engine's view, with cached bodies */
  entry(ref: string): Entry | undefined {
    const direct = this.byId.get(ref);
    if (direct) return direct;
    const byName = this.byName.get(ref.startsWith('/') ? ref.slice(1) : ref);
    if (byName) return this.byId.get(byName);
    if (ref.length === 0 || !/^[0-9a-f]+$/.test(ref)) return undefined;
    let found: Entry | undefined;
    for (const [id, e] of this.byId) {
      if (!id.startsWith(ref)) continue;
      if (found) return undefined; // ambiguous prefix
      found = e;
    }
    return found;
  }

  /** @internal */
  entries(): IterableIterator<Entry> {
    return this.byId.values();
  }
}

export interface FakeEngine {
  readonly containers: ContainerStore;
  apiVersion: string;
  minApiVersion: string;
  daemon: DaemonFacts;
  /** GET /events: emit events, cut streams, restart the buffer (fake-events.ts). */
  readonly events: FakeEventHub;
  /** Mutable list of fault rules; see FaultRule. */
  faults: FaultRule[];
  /** >0: stats answer at the next multiple of this since the epoch (the daemon's sampling tick, 1000 in real life). */
  statsTickMs: number;
  /** What GET /system/df reports besides the store's containers; mutable. */
  disk: FakeDisk;
  /** GET /system/df answers after this long (a real daemon walks every layer: seconds to minutes). */
  dfDelayMs: number;
  readonly requests: RequestLog;
  /** accepted sockets (TCP or unix), before any TLS handshake */
  readonly connections: number;
  readonly tlsHandshakes: number;
  /** handshakes that failed (e.g. a client certificate from another CA) */
  readonly tlsErrors: number;
  readonly inFlight: number;
  readonly maxInFlight: number;
  /** "unix:///path" or "tcp://127.0.0.1:port" */
  readonly url: string;
  readonly socketPath?: string;
  readonly port?: number;
  /** Adds a rule; returns its remover. */
  addFault(rule: FaultRule): () => void;
  clearFaults(): void;
  /** Zeroes request, connection and in-flight-peak counters. */
  resetCounters(): void;
  close(): Promise<void>;
}

const VERSION_PREFIX = /^\/v(\d+)\.(\d+)(\/.*)$/;

function cmpVersion(a: string, b: string): number {
  const [a1 = 0, a2 = 0] = a.split('.').map(Number);
  const [b1 = 0, b2 = 0] = b.split('.').map(Number);
  return a1 - b1 || a2 - b2;
}

function emptyLog(): RequestLog {
  const byKind = Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<EndpointKind, number>;
  return { log: [], total: 0, byKind, byMethod: {} };
}

interface Route {
  kind: EndpointKind;
  ref?: string;
  /** the path without the version prefix */
  path: string;
  /** the requested version, when prefixed */
  version?: string;
}

function route(target: string): Route {
  const q = target.indexOf('?');
  let path = q < 0 ? target : target.slice(0, q);
  let version: string | undefined;
  const m = VERSION_PREFIX.exec(path);
  if (m) {
    version = `${m[1]}.${m[2]}`;
    path = m[3]!;
  }
  if (path === '/_ping') return { kind: 'ping', path, version };
  if (path === '/version') return { kind: 'version', path, version };
  if (path === '/info') return { kind: 'info', path, version };
  if (path === '/containers/json') return { kind: 'list', path, version };
  if (path === '/system/df') return { kind: 'df', path, version };
  if (path === '/events') return { kind: 'events', path, version };
  if (path.startsWith('/containers/')) {
    const rest = path.slice('/containers/'.length);
    const slash = rest.indexOf('/');
    if (slash > 0) {
      const ref = decodeURIComponent(rest.slice(0, slash));
      const tail = rest.slice(slash);
      if (tail === '/json') return { kind: 'inspect', ref, path, version };
      if (tail === '/stats') return { kind: 'stats', ref, path, version };
    }
  }
  return { kind: 'unknown', path, version };
}

function queryFlag(target: string, name: string): boolean | undefined {
  const q = target.indexOf('?');
  if (q < 0) return undefined;
  const v = new URLSearchParams(target.slice(q + 1)).get(name);
  if (v === null) return undefined;
  return v === '1' || v.toLowerCase() === 'true';
}

/** Streamed bodies are written from these, so a 200 MB body costs the fake 1 MiB. */
const PAD_CHUNK = Buffer.alloc(1 << 20, 'a');
const OPEN_CHUNK = Buffer.alloc(1 << 20, '[');
const CLOSE_CHUNK = Buffer.alloc(1 << 20, ']');

const message = (text: string): string => `${JSON.stringify({ message: text })}\n`;

export async function startFakeEngine(opts: FakeEngineOptions = {}): Promise<FakeEngine> {
  const logLimit = opts.logLimit ?? 10_000;
  const cgroup: 1 | 2 = opts.cgroup ?? 2;
  // containers added later take the daemon's cgroup version unless they say otherwise
  const store: ContainerStore = new ContainerStore((): { cgroup: 1 | 2 } => ({ cgroup: engine.daemon.cgroupVersion === '1' ? 1 : 2 }));

  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let requests = emptyLog();
  let connections = 0, tlsHandshakes = 0, tlsErrors = 0, inFlight = 0, maxInFlight = 0;

  // list bodies, rebuilt when the store's version moves (so "Up 5 minutes" does not age)
  let listVersion = -1;
  let listAll = '[]\n';
  let listRunning = '[]\n';
  const listBodies = (): void => {
    if (listVersion === store.version) return;
    const now = Date.now();
    const all: string[] = [];
    const running: string[] = [];
    for (const e of store.entries()) {
      e.list ??= listEntry(e.c, now);
      all.push(e.list);
      // without all=1 the daemon lists what it considers running: running, paused, restarting
      if (e.c.state === 'running' || e.c.state === 'paused' || e.c.state === 'restarting') running.push(e.list);
    }
    listAll = `[${all.join(',')}]\n`;
    listRunning = `[${running.join(',')}]\n`;
    listVersion = store.version;
  };

  const engine: Omit<FakeEngine, 'url' | 'port'> & { url: string; port?: number } = {
    containers: store,
    apiVersion: '1.43',
    minApiVersion: '1.24',
    daemon: {
      serverVersion: '24.0.7',
      os: 'linux',
      arch: 'amd64',
      architecture: 'x86_64',
      kernelVersion: '6.1.0-27-amd64',
      operatingSystem: 'Debian GNU/Linux 12 (bookworm)',
      driver: 'overlay2',
      cgroupVersion: cgroup === 1 ? '1' : '2',
      cgroupDriver: cgroup === 1 ? 'cgroupfs' : 'systemd',
      ncpu: 2,
      memTotal: 8 * 1024 ** 3,
      name: 'fake-engine',
    },
    events: new FakeEventHub(),
    faults: [],
    statsTickMs: 0,
    disk: emptyDisk(),
    dfDelayMs: 0,
    get requests() {
      return requests;
    },
    get connections() {
      return connections;
    },
    get tlsHandshakes() {
      return tlsHandshakes;
    },
    get tlsErrors() {
      return tlsErrors;
    },
    get inFlight() {
      return inFlight;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    url: '',
    socketPath: opts.socketPath,
    port: undefined,
    addFault(rule: FaultRule): () => void {
      engine.faults.push(rule);
      return () => {
        const i = engine.faults.indexOf(rule);
        if (i >= 0) engine.faults.splice(i, 1);
      };
    },
    clearFaults(): void {
      engine.faults.length = 0;
    },
    resetCounters(): void {
      requests = emptyLog();
      connections = tlsHandshakes = tlsErrors = 0;
      maxInFlight = inFlight;
    },
    close,
  };
  for (const c of opts.containers ?? []) store.add(c);

  const headers = (contentType: string): Record<string, string> => ({
    'Api-Version': engine.apiVersion,
    'Content-Type': contentType,
    'Docker-Experimental': 'false',
    Ostype: engine.daemon.os,
    Server: `Docker/${engine.daemon.serverVersion} (${engine.daemon.os})`,
  });

  const send = (res: http.ServerResponse, status: number, body: string, type = 'application/json'): void => {
    if (res.destroyed || res.writableEnded) return;
    // Go sets Content-Length only on small bodies; bigger ones (stats) come chunked.
    if (body.length > 2048) {
      res.writeHead(status, headers(type));
      res.write(body);
      res.end();
    } else {
      res.writeHead(status, { ...headers(type), 'Content-Length': String(Buffer.byteLength(body)) });
      res.end(body);
    }
  };

  const later = (ms: number, fn: () => void): void => {
    if (ms <= 0) return fn();
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };

  const resolveFaults = (kind: EndpointKind, c: FakeContainer | undefined): { delay: number; outcome?: FaultRule } => {
    let delay = 0;
    let outcome: FaultRule | undefined;
    let best = -1;
    for (const rule of engine.faults) {
      if (rule.kind !== undefined && rule.kind !== kind) continue;
      if (rule.container !== undefined && !(c && (rule.container === c.id || rule.container.replace(/^\//, '') === c.name))) continue;
      if (rule.times !== undefined) {
        if (rule.times <= 0) continue;
        rule.times--;
      }
      delay += rule.delayMs ?? 0;
      const decides =
        rule.status !== undefined ||
        rule.body !== undefined ||
        rule.hang ||
        rule.destroy ||
        rule.stallAfterHeaders ||
        rule.streamForever !== undefined ||
        rule.hugeBodyBytes !== undefined ||
        rule.nestedArrayBytes !== undefined ||
        rule.repeatBody !== undefined ||
        rule.eventStream !== undefined ||
        rule.duplicateIds !== undefined;
      const specificity = (rule.container !== undefined ? 2 : 0) + (rule.kind !== undefined ? 1 : 0);
      if (decides && specificity >= best) {
        best = specificity;
        outcome = rule;
      }
    }
    return { delay, outcome };
  };

  const record = (req: http.IncomingMessage, res: http.ServerResponse, kind: EndpointKind, container?: string): void => {
    const method = req.method ?? 'GET';
    requests.total++;
    requests.byKind[kind]++;
    requests.byMethod[method] = (requests.byMethod[method] ?? 0) + 1;
    const rec: RequestRecord = { method, path: req.url ?? '/', kind, container, at: Date.now() };
    requests.log.push(rec);
    res.once('finish', () => (rec.status = res.statusCode));
    if (requests.log.length > logLimit * 2) requests.log.splice(0, requests.log.length - logLimit);
  };

  const pingBody = (res: http.ServerResponse): void => {
    if (res.destroyed) return;
    res.writeHead(200, { ...headers('text/plain; charset=utf-8'), 'Cache-Control': 'no-cache, no-store, must-revalidate', Pragma: 'no-cache', 'Content-Length': '2' });
    res.end('OK');
  };

  const versionBody = (): string => {
    // daemons before API 1.25 (Docker 1.13) do not say their minimum
    const minApi = engine.minApiVersion === '' ? {} : { MinAPIVersion: engine.minApiVersion };
    return `${JSON.stringify({
      Platform: { Name: 'Docker Engine - Community' },
      Components: [{ Name: 'Engine', Version: engine.daemon.serverVersion, Details: { ApiVersion: engine.apiVersion, ...minApi, Os: engine.daemon.os, Arch: engine.daemon.arch } }],
      Version: engine.daemon.serverVersion,
      ApiVersion: engine.apiVersion,
      ...minApi,
      GitCommit: '311b9ff',
      GoVersion: 'go1.20.10',
      Os: engine.daemon.os,
      Arch: engine.daemon.arch,
      KernelVersion: engine.daemon.kernelVersion,
      BuildTime: '2023-10-26T09:08:01.000000000+00:00',
    })}\n`;
  };

  const infoBody = (): string => {
    let running = 0, paused = 0, stopped = 0;
    for (const e of store.entries()) {
      if (e.c.state === 'running') running++;
      else if (e.c.state === 'paused') paused++;
      else stopped++;
    }
    const d = engine.daemon;
    return `${JSON.stringify({
      ID: 'FAKE:ENGI:NE00:0000:0000:0000:0000:0000:0000:0000:0000:0000',
      Containers: store.size,
      ContainersRunning: running,
      ContainersPaused: paused,
      ContainersStopped: stopped,
      Images: new Set(store.all().map((c) => c.imageId)).size,
      Driver: d.driver,
      DriverStatus: [['Backing Filesystem', 'extfs'], ['Supports d_type', 'true']],
      MemoryLimit: true,
      SwapLimit: d.cgroupVersion === '2',
      CpuCfsPeriod: true,
      CpuCfsQuota: true,
      PidsLimit: true,
      LoggingDriver: 'json-file',
      CgroupDriver: d.cgroupDriver,
      CgroupVersion: d.cgroupVersion,
      KernelVersion: d.kernelVersion,
      OperatingSystem: d.operatingSystem,
      OSVersion: '12',
      OSType: d.os,
      Architecture: d.architecture,
      IndexServerAddress: 'https://index.docker.io/v1/',
      NCPU: d.ncpu,
      MemTotal: d.memTotal,
      DockerRootDir: '/var/lib/docker',
      Name: d.name,
      Labels: [],
      ExperimentalBuild: false,
      ServerVersion: d.serverVersion,
      Runtimes: { runc: { path: 'runc' } },
      DefaultRuntime: 'runc',
      LiveRestoreEnabled: false,
      Isolation: '',
      InitBinary: 'docker-init',
      SecurityOptions: d.cgroupVersion === '2' ? ['name=seccomp,profile=builtin', 'name=cgroupns'] : ['name=seccomp,profile=builtin'],
      Warnings: null,
    })}\n`;
  };

  // ms until the daemon's next sampling tick (ticks fall on multiples of statsTickMs since
  // the epoch, so a test can line up with them); one-shot waits one tick, two-sample two
  const tickWait = (ticks: number): number => {
    const tick = engine.statsTickMs;
    if (tick <= 0) return 0;
    const now = Date.now();
    return (Math.floor(now / tick) + ticks) * tick - now;
  };

  const serveStats = (req: http.IncomingMessage, res: http.ServerResponse, e: Entry): void => {
    const target = req.url ?? '';
    // `one-shot` exists from API 1.41 on; an older daemon ignores it and takes two samples
    const oneShot = queryFlag(target, 'one-shot') === true && cmpVersion(engine.apiVersion, '1.41') >= 0;
    const stream = queryFlag(target, 'stream') !== false;
    const body = (): string => containerStatsBody(e.c, e.ticks++, { oneShot, onlineCpus: engine.daemon.ncpu });
    if (!stream) return later(tickWait(oneShot ? 1 : 2), () => send(res, 200, body()));
    // a stream (never used by the exporter): one body per tick until the client leaves
    res.writeHead(200, headers('application/json'));
    const every = engine.statsTickMs > 0 ? engine.statsTickMs : 1000;
    const t = setInterval(() => {
      if (res.destroyed) return;
      res.write(body());
    }, every);
    timers.add(t);
    res.on('close', () => {
      clearInterval(t);
      timers.delete(t);
    });
  };

  /**
   * Writes `pieces` in order as a chunked 200 body, one every `everyMs` (0: as fast as the client
   * reads), waiting for 'drain' when the client is slower; stops when the client goes away.
   */
  const stream = (res: http.ServerResponse, pieces: Iterator<Buffer | string>, everyMs = 0): void => {
    if (res.destroyed) return;
    res.writeHead(200, headers('application/json'));
    const pump = (): void => {
      while (!res.destroyed) {
        const next = pieces.next();
        if (next.done) return void res.end();
        const more = res.write(next.value);
        if (!more) return void res.once('drain', () => (everyMs > 0 ? later(everyMs, pump) : pump()));
        if (everyMs > 0) return later(everyMs, pump);
      }
    };
    pump();
  };

  const streamForever = (res: http.ServerResponse, opts: { chunkBytes?: number; everyMs?: number }): void => {
    const chunk = Buffer.alloc(opts.chunkBytes ?? 64 * 1024, 'a');
    function* pieces(): Generator<Buffer | string> {
      yield '{"read":"2024-01-01T00:00:00Z","pad":"';
      for (;;) yield chunk;
    }
    stream(res, pieces(), opts.everyMs ?? 10);
  };

  const hugeBody = (res: http.ServerResponse, bytes: number): void => {
    const head = '{"pad":"';
    const tail = '"}\n';
    function* pieces(): Generator<Buffer | string> {
      yield head;
      for (let left = Math.max(0, bytes - head.length - tail.length); left > 0; left -= PAD_CHUNK.length) {
        yield left >= PAD_CHUNK.length ? PAD_CHUNK : PAD_CHUNK.subarray(0, left);
      }
      yield tail;
    }
    stream(res, pieces());
  };

  const nestedArrays = (res: http.ServerResponse, bytes: number): void => {
    const head = '{"read":"2024-01-01T00:00:00Z","cpu_stats":';
    const depth = Math.max(1, Math.floor((bytes - head.length - 2) / 2));
    function* run(bracket: Buffer): Generator<Buffer> {
      for (let left = depth; left > 0; left -= bracket.length) yield left >= bracket.length ? bracket : bracket.subarray(0, left);
    }
    function* pieces(): Generator<Buffer | string> {
      yield head;
      yield* run(OPEN_CHUNK);
      yield* run(CLOSE_CHUNK);
      yield '}\n';
    }
    stream(res, pieces());
  };

  const repeatBody = (res: http.ServerResponse, r: { head: string; unit: string; tail: string; bytes: number }): void => {
    const unit = Buffer.from(r.unit);
    const run = Buffer.alloc(Math.max(1, Math.floor(PAD_CHUNK.length / unit.length)) * unit.length, unit);
    const units = Math.max(0, Math.floor((r.bytes - Buffer.byteLength(r.head) - Buffer.byteLength(r.tail)) / unit.length));
    function* pieces(): Generator<Buffer | string> {
      yield r.head;
      for (let left = units * unit.length; left > 0; left -= run.length) yield left >= run.length ? run : run.subarray(0, left);
      yield r.tail;
    }
    stream(res, pieces());
  };

  /** The list with every entry twice: the copy keeps the Id, takes `state` and a link alias. */
  const duplicatedList = (all: boolean, state: ContainerState): string => {
    const now = Date.now();
    const out: string[] = [];
    for (const e of store.entries()) {
      if (!all && e.c.state !== 'running' && e.c.state !== 'paused' && e.c.state !== 'restarting') continue;
      e.list ??= listEntry(e.c, now);
      const copy = JSON.parse(e.list) as Record<string, unknown>;
      copy.Names = [`/linker/${e.c.name}`, `/${e.c.name}`];
      copy.State = state;
      copy.Status = state === 'running' ? 'Up 2 hours' : 'Exited (0) 5 minutes ago';
      out.push(e.list, JSON.stringify(copy));
    }
    return `[${out.join(',')}]\n`;
  };

  // dockerd 20.10 refuses a second walk while one runs; later versions share it.
  let dfRunning = false;
  const serveDf = (req: http.IncomingMessage, res: http.ServerResponse, r: Route): void => {
    if (dfRunning) return send(res, 500, message('a disk usage operation is already running'));
    dfRunning = true;
    const target = req.url ?? '';
    const q = target.indexOf('?');
    // `type=` exists from API 1.42 on; older daemons ignore it
    const typed = cmpVersion(r.version ?? engine.apiVersion, '1.42') >= 0 && q >= 0;
    const types = typed ? new Set(new URLSearchParams(target.slice(q + 1)).getAll('type')) : undefined;
    later(engine.dfDelayMs, () => {
      dfRunning = false;
      send(res, 200, dfBody(store.all(), engine.disk, { types }));
    });
  };

  const answer = (req: http.IncomingMessage, res: http.ServerResponse, r: Route, e: Entry | undefined): void => {
    switch (r.kind) {
      case 'ping':
        return pingBody(res);
      case 'version':
        return send(res, 200, versionBody());
      case 'info':
        return send(res, 200, infoBody());
      case 'list':
        listBodies();
        return send(res, 200, queryFlag(req.url ?? '', 'all') ? listAll : listRunning);
      case 'inspect':
        if (!e) return send(res, 404, message(`No such container: ${r.ref}`));
        e.inspect ??= `${inspectBody(e.c)}\n`;
        return send(res, 200, e.inspect);
      case 'stats':
        if (!e) return send(res, 404, message(`No such container: ${r.ref}`));
        return serveStats(req, res, e);
      case 'df':
        // GET /system/df exists from API 1.25 (Docker 1.13) on
        if (cmpVersion(engine.apiVersion, '1.25') < 0) return send(res, 404, message('page not found'));
        return serveDf(req, res, r);
      case 'events':
        return engine.events.serve(req, res, headers('application/json'));
      case 'unknown':
        return send(res, 404, message('page not found'));
    }
  };

  const handle = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    inFlight++;
    if (inFlight > maxInFlight) maxInFlight = inFlight;
    res.once('close', () => inFlight--);
    req.resume(); // drain any body so keep-alive continues

    const r = route(req.url ?? '/');
    const e = r.ref !== undefined ? store.entry(r.ref) : undefined;
    record(req, res, r.kind, e?.c.id);

    if (req.method !== 'GET') return send(res, 405, message(`fake engine: ${req.method} ${r.path} refused: read-only API`));
    if (r.version !== undefined) {
      if (cmpVersion(r.version, engine.apiVersion) > 0) {
        return send(res, 400, message(`client version ${r.version} is too new. Maximum supported API version is ${engine.apiVersion}`));
      }
      if (cmpVersion(r.version, engine.minApiVersion) < 0) {
        return send(res, 400, message(`client version ${r.version} is too old. Minimum supported API version is ${engine.minApiVersion}, please upgrade your client to a newer version`));
      }
    }

    const { delay, outcome } = resolveFaults(r.kind, e?.c);
    later(delay, () => {
      if (res.destroyed) return;
      if (!outcome) return answer(req, res, r, e);
      if (outcome.destroy) return void req.socket.destroy();
      if (outcome.hang) return;
      if (outcome.stallAfterHeaders) {
        res.writeHead(200, headers('application/json'));
        return void res.flushHeaders();
      }
      if (outcome.streamForever) return streamForever(res, outcome.streamForever);
      if (outcome.hugeBodyBytes !== undefined) return hugeBody(res, outcome.hugeBodyBytes);
      if (outcome.nestedArrayBytes !== undefined) return nestedArrays(res, outcome.nestedArrayBytes);
      if (outcome.repeatBody !== undefined) return repeatBody(res, outcome.repeatBody);
      if (outcome.eventStream !== undefined) return stream(res, hostileEvents(outcome.eventStream, engine.events));
      if (outcome.duplicateIds !== undefined) {
        if (r.kind !== 'list') return answer(req, res, r, e);
        return send(res, 200, duplicatedList(queryFlag(req.url ?? '', 'all') === true, outcome.duplicateIds));
      }
      if (outcome.body !== undefined) return send(res, outcome.status ?? 200, outcome.body);
      send(res, outcome.status ?? 500, message(outcome.message ?? `fake engine: injected ${outcome.status} for ${r.kind}`));
    });
  };

  const server: http.Server | https.Server = opts.tls
    ? https.createServer({ key: opts.tls.key, cert: opts.tls.cert, ca: opts.tls.ca, requestCert: true, rejectUnauthorized: true }, handle)
    : http.createServer(handle);
  server.keepAliveTimeout = opts.keepAliveTimeoutMs ?? 0;
  server.on('connection', (s: Socket) => {
    connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {}); // a client that vanishes is not the fake's problem
  });
  server.on('secureConnection', () => tlsHandshakes++);
  server.on('tlsClientError', () => tlsErrors++);
  server.on('clientError', (_err: Error, s: Socket) => s.destroy());

  if (opts.socketPath !== undefined && existsSync(opts.socketPath)) {
    if (!lstatSync(opts.socketPath).isSocket()) throw new Error(`fake engine: ${opts.socketPath} exists and is not a socket`);
    rmSync(opts.socketPath); // a stale socket from a previous run
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    const ready = (): void => {
      server.off('error', reject);
      resolve();
    };
    if (opts.socketPath !== undefined) server.listen(opts.socketPath, ready);
    else server.listen(opts.port ?? 0, '127.0.0.1', ready);
  });
  if (opts.socketPath !== undefined) {
    engine.url = `unix://${opts.socketPath}`;
  } else {
    const addr = server.address();
    if (addr === null || typeof addr === 'string') throw new Error('fake engine: TCP listener has no port');
    engine.port = addr.port;
    engine.url = `tcp://127.0.0.1:${addr.port}`;
  }

  let closing: Promise<void> | undefined;
  function close(): Promise<void> {
    closing ??= new Promise<void>((resolve) => {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      server.close(() => {
        if (opts.socketPath !== undefined) rmSync(opts.socketPath, { force: true });
        resolve();
      });
      for (const s of sockets) s.destroy();
    });
    return closing;
  }

  return engine;
}
