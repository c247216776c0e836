// The stats parse: raw Engine API stats bodies in, one numeric row per body out. Pure and
// synchronous; it runs in a worker thread (workers/parse-stats.ts) or on the main thread.
import { isRecord, jsonKind as kind } from '../util/json.ts';
import { errorMessage } from '../util/errors.ts';
import { TURN_MS, workTurn } from '../util/turns.ts';
import { F, FIELD_COUNT, MAX_INTERFACES, type NetworkSample, type ParseResult, type ParseTask } from './layout.ts';

type Json = Record<string, unknown>;

/** Thrown inside parseBody only; parseBatch turns it into errors[i]. */
class BadBody extends Error {}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const MAX_REASON = 120;
/**
 * A real stats body nests 4 levels deep. Deep nesting is what makes JSON.parse slow: measured
 * here, 1 MiB of nested arrays took 780 ms (1 MiB of flat data: 4-50 ms), so bodies above
 * DEPTH_SCAN_BYTES are scanned first (4 ms per MiB); smaller ones cost at most ~12 ms anyway,
 * and the scan would add 60% to a real 3 KB body.
 */
const MAX_DEPTH = 32;
const DEPTH_SCAN_BYTES = 16 * 1024;
export const DEADLINE_REASON = "not parsed: the probe's deadline passed";
/**
 * Parse time one host's run of bodies may take in a task; its bodies not started by then fail.
 * A real body parses in ~20 us (1,000 containers: 20 ms); the slowest 1 MiB body the caps and
 * the depth check let through took 50-250 ms here. So a hostile daemon delays the hosts that
 * share a worker with it by at most about this plus one body, each probe.
 */
export const HOST_PARSE_BUDGET_MS = 500;

/**
 * Parses every body into its row. Bounded without interrupting anything (the main thread
 * cannot be): a body not started past its host's budget, or past `deadline` (unix ms), fails.
 */
export function parseBatch(task: ParseTask, deadline = Infinity, budgetMs = HOST_PARSE_BUDGET_MS): ParseResult {
  const { buf, offsets } = task;
  const count = offsets.length >>> 1;
  const hostStarts = task.hostStarts ?? [0];
  let nextHost = 0;
  let hostEnd = 0;
  let hostStartedAt = 0;
  const r = emptyResult(count);
  const { errors } = r;
  // Measured: decoding body by body costs 1.5-2.5 us per 2 KB body, no more than decoding
  // the whole buffer once and slicing it, and it needs no all-ASCII special case.
  for (let i = 0; i < count; i++) {
    const now = Date.now();
    if (i === hostEnd) {
      // the next host's run starts here
      while (nextHost < hostStarts.length && hostStarts[nextHost]! <= i) nextHost++;
      hostEnd = nextHost < hostStarts.length ? hostStarts[nextHost]! : count;
      hostStartedAt = now;
    }
    const start = offsets[2 * i];
    const end = offsets[2 * i + 1];
    if (start > end || end > buf.length) {
      errors[i] = `offsets [${start}, ${end}) outside the ${buf.length}-byte buffer`;
      continue;
    }
    if (now > deadline) {
      errors[i] = DEADLINE_REASON;
      continue;
    }
    if (now - hostStartedAt > budgetMs) {
      errors[i] = overBudget(budgetMs);
      continue;
    }
    parseRow(buf.subarray(start, end), r, i);
  }
  return r;
}

/**
 * The same on the main thread, in slices of about TURN_MS with the event loop running in
 * between (1,000 bodies in one piece are 15-50 ms here). The host's budget counts its own
 * slices only, not what ran between them.
 */
export async function parseSliced(bodies: readonly Uint8Array[], deadline = Infinity, budgetMs = HOST_PARSE_BUDGET_MS): Promise<ParseResult> {
  const count = bodies.length;
  const r = emptyResult(count);
  const { errors } = r;
  let spentMs = 0;
  let sliceStart = performance.now();
  for (let i = 0; i < count; i++) {
    let now = performance.now();
    if (now - sliceStart >= TURN_MS) {
      spentMs += now - sliceStart;
      await workTurn(now - sliceStart);
      sliceStart = now = performance.now();
    }
    if (Date.now() > deadline) errors[i] = DEADLINE_REASON;
    else if (spentMs + now - sliceStart > budgetMs) errors[i] = overBudget(budgetMs);
    else parseRow(bodies[i]!, r, i);
  }
  return r;
}

const overBudget = (budgetMs: number): string => `not parsed: this host's stats took over ${budgetMs}ms to parse`;

/** Every row NaN, no error, no interfaces: what a body not parsed leaves. */
function emptyResult(count: number): ParseResult {
  return {
    values: new Float64Array(count * FIELD_COUNT).fill(NaN),
    errors: new Array<string | null>(count).fill(null),
    networks: Array.from({ length: count }, (): NetworkSample[] => []),
  };
}

/** Fills row `row` of `r` from one body: its values and interfaces, or why it could not. */
function parseRow(bytes: Uint8Array, r: ParseResult, row: number): void {
  if (bytes.length > DEPTH_SCAN_BYTES && nestedDeeperThan(bytes, MAX_DEPTH)) {
    r.errors[row] = `body nests deeper than ${MAX_DEPTH} levels`;
    return;
  }
  const text = decode(bytes);
  if (text === null) {
    r.errors[row] = 'body is not valid UTF-8';
    return;
  }
  try {
    r.networks[row] = parseBody(text, r.values, row * FIELD_COUNT);
  } catch (err) {
    r.values.fill(NaN, row * FIELD_COUNT, (row + 1) * FIELD_COUNT);
    r.errors[row] = reason(err);
  }
}

/** Bracket depth of JSON text, strings skipped; stops at the first level past `max`. */
function nestedDeeperThan(bytes: Uint8Array, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped byte
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

function decode(bytes: Uint8Array): string | null {
  try {
    return utf8.decode(bytes);
  } catch {
    return null;
  }
}

function reason(err: unknown): string {
  const msg = err instanceof SyntaxError ? `malformed JSON: ${err.message}` : errorMessage(err);
  return msg.length > MAX_REASON ? `${msg.slice(0, MAX_REASON - 3)}...` : msg;
}

/** Fills row `o` of `v`; throws BadBody (or SyntaxError) on garbage. */
function parseBody(text: string, v: Float64Array, o: number): NetworkSample[] {
  const body: unknown = JSON.parse(text);
  if (!isRecord(body)) throw new BadBody(`body is ${kind(body)}, not a JSON object`);

  const cpu = section(body, 'cpu_stats', 'cpu_stats');
  if (cpu) {
    const usage = section(cpu, 'cpu_usage', 'cpu_stats.cpu_usage');
    if (usage) {
      v[o + F.cpuTotalNs] = num(usage, 'total_usage', 'cpu_stats.cpu_usage');
      v[o + F.cpuUserNs] = num(usage, 'usage_in_usermode', 'cpu_stats.cpu_usage');
      v[o + F.cpuSystemNs] = num(usage, 'usage_in_kernelmode', 'cpu_stats.cpu_usage');
    }
    v[o + F.systemCpuNs] = num(cpu, 'system_cpu_usage', 'cpu_stats');
    v[o + F.onlineCpus] = num(cpu, 'online_cpus', 'cpu_stats');
    const thr = section(cpu, 'throttling_data', 'cpu_stats.throttling_data');
    if (thr) {
      v[o + F.cfsPeriods] = num(thr, 'periods', 'cpu_stats.throttling_data');
      v[o + F.cfsThrottledPeriods] = num(thr, 'throttled_periods', 'cpu_stats.throttling_data');
      v[o + F.cfsThrottledNs] = num(thr, 'throttled_time', 'cpu_stats.throttling_data');
    }
  }

  const mem = section(body, 'memory_stats', 'memory_stats');
  if (mem) {
    v[o + F.memUsage] = num(mem, 'usage', 'memory_stats');
    v[o + F.memLimit] = num(mem, 'limit', 'memory_stats');
    v[o + F.memFailcnt] = num(mem, 'failcnt', 'memory_stats');
    const st = section(mem, 'stats', 'memory_stats.stats');
    if (st) fillMemStats(st, v, o);
  }

  const pids = section(body, 'pids_stats', 'pids_stats');
  if (pids) v[o + F.pids] = num(pids, 'current', 'pids_stats');

  const blkio = section(body, 'blkio_stats', 'blkio_stats');
  if (blkio) fillBlkio(blkio, v, o);

  v[o + F.readTime] = readTime(body.read);
  return parseNetworks(body, v, o);
}

/** v1 names its hierarchical totals total_*; v2 has flat inactive_file/anon/file. */
function fillMemStats(st: Json, v: Float64Array, o: number): void {
  let v1 = false;
  for (const key in st) {
    if (key.startsWith('total_')) {
      v1 = true;
      break;
    }
  }
  const p = 'memory_stats.stats';
  if (v1) {
    v[o + F.cgroupVersion] = 1;
    v[o + F.memInactiveFile] = num(st, 'total_inactive_file', p);
    v[o + F.memRss] = num(st, 'total_rss', p);
    v[o + F.memCache] = num(st, 'total_cache', p);
  } else if (Object.hasOwn(st, 'inactive_file') || Object.hasOwn(st, 'anon')) {
    v[o + F.cgroupVersion] = 2;
    v[o + F.memInactiveFile] = num(st, 'inactive_file', p);
    v[o + F.memRss] = num(st, 'anon', p);
    v[o + F.memCache] = num(st, 'file', p);
  }
}

/** Sums bytes per op over all devices; v1 says "Read", v2 "read". null list = absent. */
function fillBlkio(blkio: Json, v: Float64Array, o: number): void {
  const list = blkio.io_service_bytes_recursive;
  if (list === undefined || list === null) return;
  const p = 'blkio_stats.io_service_bytes_recursive';
  if (!Array.isArray(list)) throw new BadBody(`${p} is ${kind(list)}, not an array`);
  let read = 0;
  let write = 0;
  for (let j = 0; j < list.length; j++) {
    const e: unknown = list[j];
    if (!isRecord(e)) throw new BadBody(`${p}[${j}] is ${kind(e)}, not an object`);
    const op = typeof e.op === 'string' ? e.op.toLowerCase() : '';
    if (op !== 'read' && op !== 'write') continue;
    const value = num(e, 'value', `${p}[${j}]`);
    if (op === 'read') read += value;
    else write += value;
  }
  v[o + F.blkReadBytes] = read;
  v[o + F.blkWriteBytes] = write;
}

/** The first MAX_INTERFACES interfaces in body order (stable: dockerd writes them sorted); the rest are counted. */
function parseNetworks(body: Json, v: Float64Array, o: number): NetworkSample[] {
  const nets = section(body, 'networks', 'networks');
  if (!nets) return [];
  const out: NetworkSample[] = [];
  let dropped = 0;
  for (const iface in nets) {
    if (out.length === MAX_INTERFACES) {
      dropped++;
      continue;
    }
    const n: unknown = nets[iface];
    const p = `networks.${iface}`;
    if (!isRecord(n)) throw new BadBody(`${p} is ${kind(n)}, not an object`);
    out.push({
      iface,
      rxBytes: num(n, 'rx_bytes', p),
      rxPackets: num(n, 'rx_packets', p),
      rxErrors: num(n, 'rx_errors', p),
      rxDropped: num(n, 'rx_dropped', p),
      txBytes: num(n, 'tx_bytes', p),
      txPackets: num(n, 'tx_packets', p),
      txErrors: num(n, 'tx_errors', p),
      txDropped: num(n, 'tx_dropped', p),
    });
  }
  v[o + F.droppedInterfaces] = dropped;
  return out;
}

/** Go's zero time ("0001-01-01T00:00:00Z", a stopped container) means no sample. */
function readTime(read: unknown): number {
  if (read === undefined || read === null) return NaN;
  if (typeof read !== 'string') throw new BadBody(`read is ${kind(read)}, not a string`);
  const ms = Date.parse(read);
  return ms > 0 ? ms / 1000 : NaN;
}

/** A nested object, or undefined when missing/null; anything else is garbage. */
function section(parent: Json, key: string, path: string): Json | undefined {
  const x = parent[key];
  if (x === undefined || x === null) return undefined;
  if (!isRecord(x)) throw new BadBody(`${path} is ${kind(x)}, not an object`);
  return x;
}

/** A number, or NaN when missing/null; a present non-number is garbage. */
function num(parent: Json, key: string, path: string): number {
  const x = parent[key];
  if (typeof x === 'number') return x;
  if (x === undefined || x === null) return NaN;
  throw new BadBody(`${path}.${key} is ${kind(x)}, not a number`);
}
