// The contract between the stats parse (on a worker thread or not) and the rest: a task is
// bodies packed into one buffer; the result is one Float64Array row of FIELD_COUNT numbers per
// body (NaN = absent in that body), plus its interfaces.

export const F = {
  cgroupVersion: 0, // 1 or 2, inferred from the memory_stats keys
  cpuTotalNs: 1, // cpu_stats.cpu_usage.total_usage
  cpuUserNs: 2, // usage_in_usermode
  cpuSystemNs: 3, // usage_in_kernelmode
  systemCpuNs: 4, // cpu_stats.system_cpu_usage
  onlineCpus: 5,
  cfsPeriods: 6, // throttling_data.periods
  cfsThrottledPeriods: 7,
  cfsThrottledNs: 8,
  memUsage: 9, // memory_stats.usage
  memLimit: 10, // memory_stats.limit
  memInactiveFile: 11, // v1 total_inactive_file, v2 inactive_file
  memRss: 12, // v1 total_rss, v2 anon
  memCache: 13, // v1 total_cache, v2 file
  memFailcnt: 14, // v1 only
  pids: 15, // pids_stats.current
  blkReadBytes: 16, // io_service_bytes_recursive op read, any case
  blkWriteBytes: 17,
  readTime: 18, // unix seconds of the sample ("read")
  droppedInterfaces: 19, // interfaces beyond MAX_INTERFACES, left out of `networks`
} as const;

export const FIELD_COUNT = 20;

/** Interfaces kept per container: one body naming 5,000 made 40,000 series. */
export const MAX_INTERFACES = 64;

export interface NetworkSample {
  iface: string;
  rxBytes: number;
  rxPackets: number;
  rxErrors: number;
  rxDropped: number;
  txBytes: number;
  txPackets: number;
  txErrors: number;
  txDropped: number;
}

/** Several hosts' bodies in one owned buffer, transferred. */
export interface ParseTask {
  buf: Uint8Array;
  /** [start0, end0, start1, end1, ...] byte offsets into buf. */
  offsets: Uint32Array;
  /** Index of the first body of each host's run, ascending; absent = one host. */
  hostStarts?: Uint32Array;
}

export interface ParseResult {
  /** count * FIELD_COUNT; row i belongs to body i. */
  values: Float64Array;
  /** errors[i] is null when body i parsed, else a short reason. */
  errors: (string | null)[];
  networks: NetworkSample[][];
}

/** A ParseTask whose memory is plain, transferable ArrayBuffers. */
export interface OwnedTask extends ParseTask {
  buf: Uint8Array<ArrayBuffer>;
  offsets: Uint32Array<ArrayBuffer>;
  hostStarts?: Uint32Array<ArrayBuffer>;
}

/** One owned buffer (never a pooled Buffer slab: transferring one would copy the slab). */
export function pack(bodies: Uint8Array[], hostStarts?: number[]): OwnedTask {
  let total = 0;
  for (const b of bodies) total += b.byteLength;
  if (total > 0xffffffff) throw new RangeError(`stats batch of ${total} bytes exceeds 4 GiB offsets`);
  const buf = new Uint8Array(total);
  const offsets = new Uint32Array(bodies.length * 2);
  let pos = 0;
  for (let i = 0; i < bodies.length; i++) {
    const b = bodies[i]!;
    buf.set(b, pos);
    offsets[2 * i] = pos;
    pos += b.byteLength;
    offsets[2 * i + 1] = pos;
  }
  return hostStarts && hostStarts.length > 1 ? { buf, offsets, hostStarts: Uint32Array.from(hostStarts) } : { buf, offsets };
}
