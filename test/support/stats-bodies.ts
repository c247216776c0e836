// What a Docker Engine says about containers: the container model a fake daemon holds, and
// the JSON bodies of stats, inspect and list, shaped like moby's (field order, key sets,
// trailing newline of Go's json.Encoder). Stats bodies are templated strings: the benchmark
// renders thousands of them per second.
import { createHash } from 'node:crypto';
import type { ContainerState, HealthStatus } from '../../src/model.ts';

export type { ContainerState, HealthStatus };

export interface ContainerLimits {
  /** bytes; 0 = unlimited */
  memory: number;
  memoryReservation: number;
  /** bytes of memory+swap; -1 = unlimited swap, 0 = unset */
  memorySwap: number;
  /** microseconds per period; 0 = no quota */
  cpuQuota: number;
  cpuPeriod: number;
  cpuShares: number;
  /** 0 = unlimited */
  pidsLimit: number;
}

export interface FakeContainer {
  /** 64 hex digits */
  id: string;
  /** without the leading "/" */
  name: string;
  /** as the user wrote it: "nginx:1.25" */
  image: string;
  /** "sha256:<64 hex>" */
  imageId: string;
  command: string;
  state: ContainerState;
  labels: Readonly<Record<string, string>>;
  cgroup: 1 | 2;
  /** undefined: no healthcheck */
  health: HealthStatus | undefined;
  exitCode: number;
  restartCount: number;
  oomKilled: boolean;
  pid: number;
  /** unix ms */
  createdAt: number;
  /** unix ms; null when never started / never finished */
  startedAt: number | null;
  finishedAt: number | null;
  limits: Readonly<ContainerLimits>;
  /** interface names in the stats body; [] = --network none (no "networks" key) */
  networks: readonly string[];
  /** drives the numbers of the stats body */
  seed: number;
}

/** Anything left out gets a plausible default from `containerFrom`. */
export type ContainerInput = Partial<Omit<FakeContainer, 'limits'>> & { limits?: Partial<ContainerLimits> };

const ZERO_TIME = '0001-01-01T00:00:00Z';
const HOST_MEM_DEFAULT = 8 * 1024 ** 3;
const NO_LIMIT_V1 = '9223372036854771712'; // LONG_MAX rounded down to a page, as cgroup v1 reports it
const HOUR = 3_600_000;

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** FNV-1a: a stable 32-bit seed from a string. */
export function seedOf(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** A number in [0, 1) from (seed, k), the same every time. */
function rnd(seed: number, k: number): number {
  let h = Math.imul(seed ^ Math.imul(k + 1, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

function page(n: number): number {
  return Math.floor(n / 4096) * 4096;
}

let isoSec = NaN;
let isoPrefix = '';

/** Go's RFC3339Nano: nanoseconds with trailing zeros trimmed. Cached per second: it is hot. */
export function goTime(ms: number | null, nanoSeed = 0): string {
  if (ms === null) return ZERO_TIME;
  const sec = Math.floor(ms / 1000);
  if (sec !== isoSec) {
    isoSec = sec;
    isoPrefix = new Date(sec * 1000).toISOString().slice(0, 19);
  }
  const nanos = Math.floor(ms - sec * 1000) * 1e6 + (nanoSeed % 1_000_000);
  if (nanos === 0) return `${isoPrefix}Z`;
  let frac = String(nanos).padStart(9, '0');
  let end = frac.length;
  while (frac.charCodeAt(end - 1) === 48) end--;
  if (end < frac.length) frac = frac.slice(0, end);
  return `${isoPrefix}.${frac}Z`;
}

let unnamed = 0;

export function containerFrom(input: ContainerInput, defaults: { cgroup?: 1 | 2; now?: number } = {}): FakeContainer {
  const now = defaults.now ?? Date.now();
  const name = (input.name ?? (input.id ? input.id.slice(0, 12) : `unnamed-${++unnamed}`)).replace(/^\//, '');
  const id = input.id ?? sha256Hex(`container:${name}`);
  if (!/^[0-9a-f]{64}$/.test(id)) throw new Error(`fake container "${name}": id must be 64 lowercase hex digits, got "${id}"`);
  const image = input.image ?? 'busybox:1.36';
  const state = input.state ?? 'running';
  const createdAt = input.createdAt ?? now - 2 * HOUR;
  const everStarted = state !== 'created';
  const startedAt = input.startedAt !== undefined ? input.startedAt : everStarted ? createdAt + 1500 : null;
  const stopped = state === 'exited' || state === 'dead';
  const finishedAt = input.finishedAt !== undefined ? input.finishedAt : stopped ? now - 10 * 60_000 : null;
  const memory = input.limits?.memory ?? 0;
  return {
    id,
    name,
    image,
    imageId: input.imageId ?? `sha256:${sha256Hex(`image:${image}`)}`,
    command: input.command ?? 'sh -c "while :; do sleep 1; done"',
    state,
    labels: { ...(input.labels ?? {}) },
    cgroup: input.cgroup ?? defaults.cgroup ?? 2,
    health: input.health,
    exitCode: input.exitCode ?? (state === 'exited' || state === 'restarting' ? 1 : 0),
    restartCount: input.restartCount ?? 0,
    oomKilled: input.oomKilled ?? false,
    pid: input.pid ?? (state === 'running' || state === 'paused' ? 1000 + (seedOf(id) % 60000) : 0),
    createdAt,
    startedAt,
    finishedAt,
    limits: {
      memory,
      memoryReservation: input.limits?.memoryReservation ?? 0,
      memorySwap: input.limits?.memorySwap ?? (memory > 0 ? memory * 2 : 0),
      cpuQuota: input.limits?.cpuQuota ?? 0,
      cpuPeriod: input.limits?.cpuPeriod ?? 0,
      cpuShares: input.limits?.cpuShares ?? 0,
      pidsLimit: input.limits?.pidsLimit ?? 0,
    },
    networks: [...(input.networks ?? ['eth0'])],
    seed: input.seed ?? seedOf(id),
  };
}

// ---------------------------------------------------------------- stats

export interface StatsOptions {
  id: string;
  /** with or without the leading "/" */
  name: string;
  cgroup: 1 | 2;
  /** counters grow with it: pass 0, 1, 2... for consecutive samples */
  tick: number;
  /** default: derived from id */
  seed?: number;
  /** unix ms of the sample ("read"); default Date.now() */
  now?: number;
  /** default 2 */
  onlineCpus?: number;
  /** the container's memory limit in bytes; 0/undefined = the host's memory (8 GiB) */
  memLimit?: number;
  /** throttling data only moves with a quota (microseconds per cpuPeriod) */
  cpuQuota?: number;
  cpuPeriod?: number;
  pidsLimit?: number;
  /** default ['eth0']; [] leaves "networks" out as with --network none */
  networks?: readonly string[];
  /** default true: empty precpu_stats and zero preread, as ?one-shot=true gives */
  oneShot?: boolean;
}

interface Sample {
  total: number;
  kernel: number;
  user: number;
  system: number;
  periods: number;
  throttled: number;
  throttledNs: number;
}

function cpuSample(seed: number, tick: number, cpus: number, quota: number, period: number): Sample {
  const rate = Math.floor(2e6 + rnd(seed, 1) * 4e8); // ns per 1 s tick: 0.2%..40% of a cpu
  const total = Math.floor(rnd(seed, 2) * 5e12) + tick * rate;
  // user/kernel come from cpuacct.stat in 10 ms clock ticks: multiples of 1e7, not summing to total
  const user = Math.floor((total * 0.62) / 1e7) * 1e7;
  const kernel = Math.floor((total * 0.31) / 1e7) * 1e7;
  const system = cpus * (180 * HOUR * 1e6 + tick * 1e9);
  let periods = 0, throttled = 0, throttledNs = 0;
  if (quota > 0) {
    const perSec = Math.max(1, Math.round(1e6 / (period || 100_000)));
    periods = Math.floor(rnd(seed, 3) * 1e6) + tick * perSec;
    throttled = Math.floor(periods * rnd(seed, 4) * 0.2);
    throttledNs = throttled * Math.floor(rnd(seed, 5) * 5e7);
  }
  return { total, kernel, user, system, periods, throttled, throttledNs };
}

function percpu(total: number, cpus: number): string {
  const share = Math.floor(total / cpus);
  let out = '';
  for (let i = 0; i < cpus - 1; i++) out += `${share},`;
  return out + String(total - share * (cpus - 1));
}

function networksJson(names: readonly string[], seed: number, tick: number): string {
  if (names.length === 0) return '';
  let out = ',"networks":{';
  for (let i = 0; i < names.length; i++) {
    const rx = Math.floor(rnd(seed, 20 + i) * 5e8) + tick * Math.floor(rnd(seed, 30 + i) * 2e5);
    const tx = Math.floor(rnd(seed, 40 + i) * 1e8) + tick * Math.floor(rnd(seed, 50 + i) * 8e4);
    const rxp = Math.floor(rx / 700), txp = Math.floor(tx / 400);
    out += `${i ? ',' : ''}"${names[i]}":{"rx_bytes":${rx},"rx_packets":${rxp},"rx_errors":0,"rx_dropped":${Math.floor(rxp / 90_000)},"tx_bytes":${tx},"tx_packets":${txp},"tx_errors":0,"tx_dropped":0}`;
  }
  return out + '}';
}

const ZERO_CPU = '{"cpu_usage":{"total_usage":0,"usage_in_kernelmode":0,"usage_in_usermode":0},"throttling_data":{"periods":0,"throttled_periods":0,"throttled_time":0}}';

function cpuJson(s: Sample, cgroup: 1 | 2, cpus: number): string {
  const per = cgroup === 1 ? `,"percpu_usage":[${percpu(s.total, cpus)}]` : '';
  return `{"cpu_usage":{"total_usage":${s.total}${per},"usage_in_kernelmode":${s.kernel},"usage_in_usermode":${s.user}},"system_cpu_usage":${s.system},"online_cpus":${cpus},"throttling_data":{"periods":${s.periods},"throttled_periods":${s.throttled},"throttled_time":${s.throttledNs}}}`;
}

function blkEntry(major: number, op: string, v: number): string {
  return `{"major":${major},"minor":0,"op":"${op}","value":${v}}`;
}

function blkSetV1(r: number, w: number, sync: number): string {
  return `[${blkEntry(8, 'Read', r)},${blkEntry(8, 'Write', w)},${blkEntry(8, 'Sync', sync)},${blkEntry(8, 'Async', r + w - sync)},${blkEntry(8, 'Discard', 0)},${blkEntry(8, 'Total', r + w)}]`;
}

function blkioV1(seed: number, tick: number): string {
  const read = Math.floor(rnd(seed, 6) * 2e9) + tick * Math.floor(rnd(seed, 7) * 4e5);
  const write = Math.floor(rnd(seed, 8) * 1e9) + tick * Math.floor(rnd(seed, 9) * 8e5);
  const reads = Math.floor(read / 16384), writes = Math.floor(write / 8192);
  return `{"io_service_bytes_recursive":${blkSetV1(read, write, Math.floor(write * 0.7))},"io_serviced_recursive":${blkSetV1(reads, writes, Math.floor(writes * 0.7))},"io_queue_recursive":[],"io_service_time_recursive":[],"io_wait_time_recursive":[],"io_merged_recursive":[],"io_time_recursive":[],"sectors_recursive":[]}`;
}

/** v2 reports only bytes, lowercase ops; here two devices (a disk and a device-mapper volume). */
function blkioV2(seed: number, tick: number): string {
  const read = Math.floor(rnd(seed, 6) * 2e9) + tick * Math.floor(rnd(seed, 7) * 4e5);
  const write = Math.floor(rnd(seed, 8) * 1e9) + tick * Math.floor(rnd(seed, 9) * 8e5);
  const dmRead = Math.floor(read * 0.25), dmWrite = Math.floor(write * 0.4);
  return `{"io_service_bytes_recursive":[${blkEntry(8, 'read', read - dmRead)},${blkEntry(8, 'write', write - dmWrite)},${blkEntry(253, 'read', dmRead)},${blkEntry(253, 'write', dmWrite)}],"io_serviced_recursive":null,"io_queue_recursive":null,"io_service_time_recursive":null,"io_wait_time_recursive":null,"io_merged_recursive":null,"io_time_recursive":null,"sectors_recursive":null}`;
}

interface Mem {
  anon: number;
  file: number;
  inactiveFile: number;
  activeFile: number;
  kernel: number;
  mapped: number;
  pgfault: number;
  pgmajfault: number;
  maxUsage: number;
}

function memSample(seed: number, tick: number): Mem {
  const anonBase = page(8 * 2 ** 20 + rnd(seed, 10) * 200 * 2 ** 20);
  const anon = anonBase + ((tick * 7919) % 64) * 4096; // a gauge: wobbles, never runs away
  const file = page(4 * 2 ** 20 + rnd(seed, 11) * 100 * 2 ** 20) + (tick % 16) * 4096;
  const inactiveFile = page(file * 0.4);
  const kernel = page(300_000 + rnd(seed, 12) * 2e6);
  const pgfault = Math.floor(rnd(seed, 13) * 1e6) + tick * 37;
  return {
    anon,
    file,
    inactiveFile,
    activeFile: file - inactiveFile,
    kernel,
    mapped: page(file * 0.3),
    pgfault,
    pgmajfault: Math.floor(pgfault / 400),
    maxUsage: anonBase + 64 * 4096 + file + 16 * 4096 + kernel + 2 ** 20,
  };
}

function memoryV1(m: Mem, limit: number, limited: boolean): string {
  const usage = m.anon + m.file + m.kernel;
  const hier = limited ? String(limit) : NO_LIMIT_V1;
  const pgpgin = Math.floor(m.pgfault * 0.8), pgpgout = pgpgin - Math.floor((m.anon + m.file) / 4096);
  const s =
    `"active_anon":${m.anon - 135168},"active_file":${m.activeFile},"cache":${m.file},"dirty":0,` +
    `"hierarchical_memory_limit":${hier},"hierarchical_memsw_limit":${hier},"inactive_anon":135168,` +
    `"inactive_file":${m.inactiveFile},"mapped_file":${m.mapped},"pgfault":${m.pgfault},"pgmajfault":${m.pgmajfault},` +
    `"pgpgin":${pgpgin},"pgpgout":${pgpgout},"rss":${m.anon},"rss_huge":0,"total_active_anon":${m.anon - 135168},` +
    `"total_active_file":${m.activeFile},"total_cache":${m.file},"total_dirty":0,"total_inactive_anon":135168,` +
    `"total_inactive_file":${m.inactiveFile},"total_mapped_file":${m.mapped},"total_pgfault":${m.pgfault},` +
    `"total_pgmajfault":${m.pgmajfault},"total_pgpgin":${pgpgin},"total_pgpgout":${pgpgout},"total_rss":${m.anon},` +
    `"total_rss_huge":0,"total_unevictable":0,"total_writeback":0,"unevictable":0,"writeback":0`;
  return `{"usage":${usage},"max_usage":${m.maxUsage},"stats":{${s}},"failcnt":0,"limit":${limit}}`;
}

function memoryV2(m: Mem, limit: number): string {
  const slab = page(m.kernel * 0.7), stack = m.kernel - slab;
  const usage = m.anon + m.file + m.kernel;
  const s =
    `"active_anon":${m.anon - 8192},"active_file":${m.activeFile},"anon":${m.anon},"anon_thp":0,"file":${m.file},` +
    `"file_dirty":0,"file_mapped":${m.mapped},"file_writeback":0,"inactive_anon":8192,"inactive_file":${m.inactiveFile},` +
    `"kernel_stack":${stack},"pgactivate":${Math.floor(m.pgfault / 50)},"pgdeactivate":0,"pgfault":${m.pgfault},` +
    `"pglazyfree":0,"pglazyfreed":0,"pgmajfault":${m.pgmajfault},"pgrefill":0,"pgscan":0,"pgsteal":0,"shmem":0,` +
    `"slab":${slab},"slab_reclaimable":${page(slab * 0.4)},"slab_unreclaimable":${slab - page(slab * 0.4)},"sock":0,` +
    `"thp_collapse_alloc":0,"thp_fault_alloc":0,"unevictable":0,"workingset_activate":0,"workingset_nodereclaim":0,` +
    `"workingset_refault":0`;
  return `{"usage":${usage},"stats":{${s}},"limit":${limit}}`;
}

function slash(name: string): string {
  return name.charCodeAt(0) === 47 ? name : `/${name}`;
}

const seedCache = new Map<string, number>();

function seedFor(id: string): number {
  let s = seedCache.get(id);
  if (s === undefined) {
    if (seedCache.size > 100_000) seedCache.clear();
    seedCache.set(id, (s = seedOf(id)));
  }
  return s;
}

/** GET /containers/{id}/stats?stream=false[&one-shot=true] of a running container. */
export function statsBody(opts: StatsOptions): string {
  const seed = opts.seed ?? seedFor(opts.id);
  const tick = Math.max(0, Math.floor(opts.tick));
  const now = opts.now ?? Date.now();
  const cpus = opts.onlineCpus ?? 2;
  const limited = (opts.memLimit ?? 0) > 0;
  const limit = limited ? (opts.memLimit as number) : HOST_MEM_DEFAULT;
  const oneShot = opts.oneShot ?? true;
  const quota = opts.cpuQuota ?? 0, period = opts.cpuPeriod ?? 0;
  const cpu = cpuSample(seed, tick, cpus, quota, period);
  const pre = oneShot ? ZERO_CPU : cpuJson(cpuSample(seed, Math.max(0, tick - 1), cpus, quota, period), opts.cgroup, cpus);
  const pidsCur = 1 + Math.floor(rnd(seed, 14) * 40);
  const pids = opts.pidsLimit ? `{"current":${pidsCur},"limit":${opts.pidsLimit}}` : `{"current":${pidsCur}}`;
  const m = memSample(seed, tick);
  const blkio = opts.cgroup === 1 ? blkioV1(seed, tick) : blkioV2(seed, tick);
  const memory = opts.cgroup === 1 ? memoryV1(m, limit, limited) : memoryV2(m, limit);
  return (
    `{"read":"${goTime(now, seed)}","preread":"${oneShot ? ZERO_TIME : goTime(now - 1000, seed >>> 3)}",` +
    `"pids_stats":${pids},"blkio_stats":${blkio},"num_procs":0,"storage_stats":{},` +
    `"cpu_stats":${cpuJson(cpu, opts.cgroup, cpus)},"precpu_stats":${pre},"memory_stats":${memory},` +
    `"name":"${slash(opts.name)}","id":"${opts.id}"${networksJson(opts.networks ?? ['eth0'], seed, tick)}}\n`
  );
}

/** What the daemon answers for a container that is not running: a zero StatsJSON. */
export function stoppedStatsBody(id: string, name: string): string {
  return (
    `{"read":"${ZERO_TIME}","preread":"${ZERO_TIME}","pids_stats":{},"blkio_stats":{"io_service_bytes_recursive":null,` +
    `"io_serviced_recursive":null,"io_queue_recursive":null,"io_service_time_recursive":null,"io_wait_time_recursive":null,` +
    `"io_merged_recursive":null,"io_time_recursive":null,"sectors_recursive":null},"num_procs":0,"storage_stats":{},` +
    `"cpu_stats":${ZERO_CPU},"precpu_stats":${ZERO_CPU},"memory_stats":{},"name":"${slash(name)}","id":"${id}"}\n`
  );
}

/** The stats body of `c` at `tick`, whatever its state. */
export function containerStatsBody(c: FakeContainer, tick: number, extra: { now?: number; onlineCpus?: number; oneShot?: boolean } = {}): string {
  if (c.state !== 'running' && c.state !== 'paused') return stoppedStatsBody(c.id, c.name);
  return statsBody({
    id: c.id,
    name: c.name,
    cgroup: c.cgroup,
    tick,
    seed: c.seed,
    memLimit: c.limits.memory,
    cpuQuota: c.limits.cpuQuota,
    cpuPeriod: c.limits.cpuPeriod,
    pidsLimit: c.limits.pidsLimit,
    networks: c.networks,
    ...extra,
  });
}

// ---------------------------------------------------------------- list and inspect

/** Go's units.HumanDuration, as in the Status column. */
export function humanDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 1) return 'Less than a second';
  if (s === 1) return '1 second';
  if (s < 60) return `${s} seconds`;
  const min = Math.floor(s / 60);
  if (min === 1) return 'About a minute';
  if (min < 60) return `${min} minutes`;
  const h = Math.round(s / 3600);
  if (h === 1) return 'About an hour';
  if (h < 48) return `${h} hours`;
  if (h < 24 * 7 * 2) return `${Math.floor(h / 24)} days`;
  if (h < 24 * 30 * 2) return `${Math.floor(h / 24 / 7)} weeks`;
  if (h < 24 * 365 * 2) return `${Math.floor(h / 24 / 30)} months`;
  return `${Math.floor(h / 24 / 365)} years`;
}

export function statusText(c: FakeContainer, now = Date.now()): string {
  const since = (t: number | null): string => humanDuration(now - (t ?? now));
  switch (c.state) {
    case 'created':
      return 'Created';
    case 'running': {
      const h = c.health === undefined ? '' : c.health === 'starting' ? ' (health: starting)' : ` (${c.health})`;
      return `Up ${since(c.startedAt)}${h}`;
    }
    case 'paused':
      return `Up ${since(c.startedAt)} (Paused)`;
    case 'restarting':
      return `Restarting (${c.exitCode}) ${since(c.finishedAt)} ago`;
    case 'removing':
      return 'Removal In Progress';
    case 'exited':
      return `Exited (${c.exitCode}) ${since(c.finishedAt)} ago`;
    case 'dead':
      return 'Dead';
  }
}

/** One element of GET /containers/json, as JSON text. */
export function listEntry(c: FakeContainer, now = Date.now()): string {
  const nets = Object.fromEntries(c.networks.length ? [['testnet', networkEndpoint(c)]] : []);
  return JSON.stringify({
    Id: c.id,
    Names: [`/${c.name}`],
    Image: c.image,
    ImageID: c.imageId,
    Command: c.command,
    Created: Math.floor(c.createdAt / 1000),
    Ports: [],
    Labels: c.labels,
    State: c.state,
    Status: statusText(c, now),
    HostConfig: { NetworkMode: c.networks.length ? 'testnet' : 'none' },
    NetworkSettings: { Networks: nets },
    Mounts: [],
  });
}

function networkEndpoint(c: FakeContainer): Record<string, unknown> {
  const n = c.seed % 250;
  return {
    IPAMConfig: null,
    Links: null,
    Aliases: null,
    NetworkID: sha256Hex('network:testnet'),
    EndpointID: c.state === 'running' ? sha256Hex(`endpoint:${c.id}`) : '',
    Gateway: c.state === 'running' ? '172.18.0.1' : '',
    IPAddress: c.state === 'running' ? `172.18.${1 + (n >> 4)}.${2 + n}` : '',
    IPPrefixLen: c.state === 'running' ? 16 : 0,
    IPv6Gateway: '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    MacAddress: c.state === 'running' ? `02:42:ac:12:${(n >> 4).toString(16).padStart(2, '0')}:${n.toString(16).padStart(2, '0')}` : '',
    DriverOpts: null,
  };
}

/** GET /containers/{id}/json, as JSON text. */
export function inspectBody(c: FakeContainer): string {
  const running = c.state === 'running' || c.state === 'paused' || c.state === 'restarting';
  const [path, ...args] = c.command.split(' ');
  const state: Record<string, unknown> = {
    Status: c.state,
    Running: running,
    Paused: c.state === 'paused',
    Restarting: c.state === 'restarting',
    OOMKilled: c.oomKilled,
    Dead: c.state === 'dead',
    Pid: c.state === 'running' || c.state === 'paused' ? c.pid : 0,
    ExitCode: c.exitCode,
    Error: '',
    StartedAt: goTime(c.startedAt, c.seed),
    FinishedAt: goTime(c.finishedAt, c.seed >>> 2),
  };
  if (c.health !== undefined) {
    state.Health = { Status: c.health, FailingStreak: c.health === 'unhealthy' ? 3 : 0, Log: [] };
  }
  const dir = `/var/lib/docker/containers/${c.id}`;
  return JSON.stringify({
    Id: c.id,
    Created: goTime(c.createdAt, c.seed >>> 1),
    Path: path,
    Args: args,
    State: state,
    Image: c.imageId,
    ResolvConfPath: `${dir}/resolv.conf`,
    HostnamePath: `${dir}/hostname`,
    HostsPath: `${dir}/hosts`,
    LogPath: `${dir}/${c.id}-json.log`,
    Name: `/${c.name}`,
    RestartCount: c.restartCount,
    Driver: 'overlay2',
    Platform: 'linux',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: null,
    HostConfig: {
      Binds: null,
      ContainerIDFile: '',
      LogConfig: { Type: 'json-file', Config: {} },
      NetworkMode: c.networks.length ? 'testnet' : 'none',
      PortBindings: {},
      RestartPolicy: { Name: c.restartCount > 0 ? 'always' : 'no', MaximumRetryCount: 0 },
      AutoRemove: false,
      CgroupnsMode: c.cgroup === 2 ? 'private' : 'host',
      Privileged: false,
      ReadonlyRootfs: false,
      ShmSize: 67108864,
      Runtime: 'runc',
      CpuShares: c.limits.cpuShares,
      Memory: c.limits.memory,
      NanoCpus: 0,
      CgroupParent: '',
      BlkioWeight: 0,
      CpuPeriod: c.limits.cpuPeriod,
      CpuQuota: c.limits.cpuQuota,
      CpuRealtimePeriod: 0,
      CpuRealtimeRuntime: 0,
      CpusetCpus: '',
      CpusetMems: '',
      Devices: [],
      MemoryReservation: c.limits.memoryReservation,
      MemorySwap: c.limits.memorySwap,
      MemorySwappiness: null,
      OomKillDisable: c.cgroup === 1 ? false : null,
      PidsLimit: c.limits.pidsLimit || null,
      Ulimits: null,
      MaskedPaths: ['/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/timer_list', '/sys/firmware'],
      ReadonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
    GraphDriver: {
      Data: { MergedDir: `/var/lib/docker/overlay2/${c.id.slice(0, 32)}/merged` },
      Name: 'overlay2',
    },
    Mounts: [],
    Config: {
      Hostname: c.id.slice(0, 12),
      Domainname: '',
      User: '',
      AttachStdin: false,
      AttachStdout: false,
      AttachStderr: false,
      Tty: false,
      OpenStdin: false,
      StdinOnce: false,
      Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
      Cmd: [path, ...args],
      Image: c.image,
      Volumes: null,
      WorkingDir: '',
      Entrypoint: null,
      OnBuild: null,
      Labels: c.labels,
      ...(c.health !== undefined ? { Healthcheck: { Test: ['CMD-SHELL', 'true'], Interval: 5_000_000_000 } } : {}),
    },
    NetworkSettings: {
      Bridge: '',
      SandboxID: running ? sha256Hex(`sandbox:${c.id}`) : '',
      SandboxKey: running ? `/var/run/docker/netns/${c.id.slice(0, 12)}` : '',
      Ports: {},
      Networks: Object.fromEntries(c.networks.length ? [['testnet', networkEndpoint(c)]] : []),
    },
  });
}

// ---------------------------------------------------------------- a plausible fleet

const IMAGES = ['nginx:1.25', 'redis:7.2', 'postgres:16', 'busybox:1.36', 'grafana/grafana:10.4', 'app/api:2024.11.3'];

/**
 * `count` containers that look like a compose host: mostly running, some exited or
 * restarting, a few with healthchecks and limits. The same (count, seed) gives the same set.
 * Inputs, not containers: what they leave out (cgroup unless given) comes from the engine.
 */
export function sampleContainers(count: number, opts: { seed?: number; cgroup?: 1 | 2; now?: number; allRunning?: boolean } = {}): ContainerInput[] {
  const seed = opts.seed ?? 1;
  const now = opts.now ?? Date.now();
  const out: ContainerInput[] = [];
  for (let i = 0; i < count; i++) {
    const r = rnd(seed, 1000 + i);
    const project = `proj${i % 5}`;
    const service = `svc${String(i).padStart(3, '0')}`;
    const state: ContainerState = opts.allRunning || r < 0.84 ? 'running' : r < 0.92 ? 'exited' : r < 0.96 ? 'created' : r < 0.98 ? 'restarting' : 'paused';
    const limited = rnd(seed, 2000 + i) < 0.4;
    const input: ContainerInput = {
      name: `${project}-${service}-1`,
      id: sha256Hex(`fleet:${seed}:${i}`),
      image: IMAGES[i % IMAGES.length],
      state,
      labels: { 'com.docker.compose.project': project, 'com.docker.compose.service': service, tier: i % 3 ? 'backend' : 'frontend' },
      health: rnd(seed, 3000 + i) < 0.3 ? (state === 'running' ? 'healthy' : 'unhealthy') : undefined,
      restartCount: state === 'restarting' ? 3 + (i % 5) : 0,
      exitCode: state === 'exited' ? (i % 2 ? 0 : 137) : state === 'restarting' ? 1 : 0,
      oomKilled: state === 'exited' && i % 2 === 0,
      createdAt: now - (1 + (i % 48)) * HOUR,
      limits: limited ? { memory: 256 * 2 ** 20 * (1 + (i % 4)), memoryReservation: 128 * 2 ** 20, cpuQuota: 50_000, cpuPeriod: 100_000, cpuShares: 512 } : {},
    };
    if (opts.cgroup !== undefined) input.cgroup = opts.cgroup;
    out.push(input);
  }
  return out;
}
