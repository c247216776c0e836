// The shapes of bench/results/*.json.

export interface VariantResult {
  threads: string;
  wallP50Ms: number;
  wallP99Ms: number;
  /** CPU of all the process's threads per container per scrape, microseconds */
  cpuUsPerContainer: number;
  peakRssMb: number;
  /** event-loop delay while serving scrapes (beyond the monitor's 10 ms period) */
  eldP99Ms: number;
  eldMaxMs: number;
  series: number;
  bodyBytes: number;
}

export interface FloorResult {
  wallP50Ms: number;
  wallP99Ms: number;
  cpuUsPerContainer: number;
  peakRssMb: number;
}

export interface WorkloadResult {
  workload: 'S' | 'M' | 'W' | 'L';
  hosts: number;
  containersPerHost: number;
  containers: number;
  scrapes: number;
  delayMs: number;
  date: string;
  node: string;
  cpus: number;
  /** which variant is the exporter as shipped on this many cores (absent in older runs: the pool) */
  defaultVariant?: 'pool' | 'mainThread';
  exporter: { pool: VariantResult; mainThread: VariantResult };
  floor: FloorResult;
  /** exporter / floor: scrape wall p50, and CPU per container-scrape */
  ratios: { pool: VariantRatios; mainThread: VariantRatios };
  /** what the fake daemons saw (exporters and floor together): keep-alive shows as requests >> connections */
  daemon: { connections: number; requests: number };
}

export interface ChurnResult {
  workload: 'M';
  scrapes: number;
  fractionReplaced: number;
  containersReplaced: number;
  date: string;
  after20: { rssMb: number; heapUsedMb: number };
  end: { rssMb: number; heapUsedMb: number };
  /** end / after20 - 1 */
  growth: { rss: number; heapUsed: number };
  peakRssMb: number;
  wallP50Ms: number;
  series: number;
}

export interface TlsCounts {
  handshakes: number;
  connections: number;
  requests: number;
  errors: number;
}

export interface TlsResult {
  hosts: number;
  containersPerHost: number;
  scrapes: number;
  date: string;
  afterFirstScrape: TlsCounts;
  afterAllScrapes: TlsCounts;
  oneHandshakePerConnection: boolean;
  connectionsReused: boolean;
}

export interface EngineResult {
  date: string;
  containers: number;
  scrapes: number;
  exporterWallP50Ms: number;
  floorWallP50Ms: number;
  ratio: number;
  serverVersion: string;
  cpus?: number;
  /** CPU per container-scrape, scraped back to back */
  backToBack?: EngineCpu;
  /** the same, each client scraped every periodMs */
  spaced?: EngineCpu;
  peakRssMb?: { pool: number; main: number; floor: number; peer?: number };
  /** the exporters' metrics.families (the always-on host family besides); absent in older runs: docker_exporter, cadvisor, state */
  families?: string[];
}

export interface EngineCpu {
  /** 0: back to back */
  periodMs: number;
  /** spaced: the mean time between one client's scrapes, above periodMs when the clients' turns outlast it */
  everyMs?: number;
  /** all threads, microseconds per container per scrape; peer: bench/peer.ts, absent in older runs */
  cpuUsPerContainer: { pool: number; main: number; floor: number; peer?: number };
  /** exporter / floor */
  cpuRatio: { pool: number; main: number };
  /** exporter / peer, CPU per container-scrape */
  exporterToPeer?: { pool: number; main: number };
  wallP50Ms: { pool: number; main: number; floor: number; peer?: number };
  /** us per container-scrape by thread name, user+system ("main" is the event loop) */
  threads?: { pool: Record<string, string>; main: Record<string, string>; floor: Record<string, string>; peer?: Record<string, string> };
}

export interface EventsResult {
  hosts: number;
  containersPerHost: number;
  date: string;
  node: string;
  cpus: number;
  idleSeconds: number;
  /** process CPU (ms) in each window of the idle period, by variant (with/without streams, fresh/after scrapes) */
  idleCpuMsPerWindow: Record<string, number[]>;
  /** one event per host per second over the same windows; per event: the median window less the idle one */
  trickle: { events: number; cpuMsPerWindow: number[]; usPerEvent: number };
  /** every stream cut at once: when the reconnects reached the daemons, ms after the cut */
  storm: { streamsCut: number; reconnects: number; firstMs: number; p50Ms: number; lastMs: number; peakPer100Ms: number; cpuMs: number };
}

export interface VariantRatios {
  wall: number;
  cpu: number;
  /**
   * The CPU ratio of each quarter of the run (its rounds, in turns with the floor), the median
   * of the four: a neighbour's burst moves one quarter, a regression all of them. Older results
   * lack it.
   */
  cpuBlocks?: number;
}
