// Snapshots: plain data produced by the trackers and consumed by the metric families.
// Families never call a daemon; trackers never know metric names.
import type { NetworkSample } from './stats/layout.ts';
import type { Histogram } from './util/histogram.ts';

export type { Histogram };

/** A container's State in the list, as the Engine API names them. */
export const CONTAINER_STATES = ['created', 'running', 'paused', 'restarting', 'removing', 'exited', 'dead'] as const;
export type ContainerState = (typeof CONTAINER_STATES)[number];
/** State.Health.Status of a container with a healthcheck. */
export const HEALTH_STATUSES = ['starting', 'healthy', 'unhealthy'] as const;
export type HealthStatus = (typeof HEALTH_STATUSES)[number];

/** The parts of GET /containers/{id}/json the exporter uses. */
export interface InspectSummary {
  restartCount: number;
  /** unix seconds; NaN when never started */
  startedAt: number;
  finishedAt: number;
  exitCode: number;
  oomKilled: boolean;
  /** undefined: the container has no healthcheck */
  health?: HealthStatus;
  /** HostConfig.RestartPolicy.Name: "no", "always", "unless-stopped", "on-failure" */
  restartPolicy: string;
  limits: ContainerLimits;
}

/**
 * Resource limits as the kernel applies them (see docker/limits.ts), not as HostConfig spells
 * them. NaN = the kernel has no such limit: no series.
 */
export interface ContainerLimits {
  memoryBytes: number;
  memoryReservationBytes: number;
  /** memory plus swap, as cgroup v1's memory.memsw.limit_in_bytes */
  memorySwapBytes: number;
  /** microseconds per period */
  cpuQuota: number;
  /** microseconds; always set (the kernel's default is 100000) */
  cpuPeriod: number;
  cpuShares: number;
  pids: number;
  /** how many CPUs CpusetCpus allows */
  cpusetCpus: number;
}

export interface StatsSample {
  /** FIELD_COUNT numbers, indexed by F (stats/layout.ts); NaN = absent. */
  values: Float64Array;
  networks: NetworkSample[];
}

/** What names a container. */
export interface ContainerIdentity {
  /** full 64-hex id */
  id: string;
  /** display name: first of Names without "/", else the first 12 chars of the id */
  name: string;
  image: string;
  imageId: string;
  labels: Record<string, string>;
}

/** A cumulative CPU counter as the daemon read it. */
export interface CpuSample {
  /** cpu_stats.cpu_usage.total_usage, ns */
  totalNs: number;
  /** unix seconds of the sample ("read") */
  readTime: number;
}

export interface ContainerSnapshot {
  ident: ContainerIdentity;
  state: ContainerState;
  inspect: InspectSummary;
  /** Running containers only; null when stopped. */
  stats: StatsSample | null;
  /**
   * The CPU counter of the stats sample before `stats` (an earlier probe's), so a rate needs no
   * history kept elsewhere; absent when there is none (new, or stopped since).
   */
  prevCpu?: CpuSample;
  /** unix seconds when this container was last listed */
  lastSeen: number;
}

export interface DaemonInfo {
  serverVersion: string;
  apiVersion: string;
  os: string;
  kernelVersion: string;
  architecture: string;
  storageDriver: string;
  cgroupVersion: string;
  ncpu: number;
  memTotal: number;
  /** the daemon is an active node of a Swarm (/info Swarm.LocalNodeState "active"); absent otherwise */
  swarm?: SwarmMembership;
}

/** Cumulative per-host counters; they only grow while the process lives. */
export interface HostCounters {
  listFailed: number;
  /**
   * Failed updates by container id, with the container's current name (the label): a rename
   * moves the series instead of leaving one behind, and the entry goes with the container.
   */
  containerFailed: Map<string, { name: string; count: number }>;
  /** network interfaces left out beyond MAX_INTERFACES per container, summed over probes */
  droppedInterfaces: number;
  inlineTimeouts: number;
  /** probes that finished after their scrape had been served */
  lateProbes: number;
  probeDuration: Histogram;
  listDuration: Histogram;
  inspectDuration: Histogram;
  statsDuration: Histogram;
}

// ---- disk usage: GET /system/df, decoded by docker/disk-usage.ts

export const DISK_TYPES = ['images', 'containers', 'volumes', 'build_cache'] as const;
export type DiskType = (typeof DISK_TYPES)[number];

/** One line of `docker system df`. */
export interface DiskTotals {
  /** TOTAL */
  count: number;
  /** SIZE, bytes */
  sizeBytes: number;
  /** RECLAIMABLE, bytes */
  reclaimableBytes: number;
}

/** What `/system/df` says about one container (`docker ps --size`). */
export interface ContainerDisk {
  /** its writable layer: SizeRw */
  rwBytes: number;
  /** writable layer plus image: SizeRootFs */
  rootFsBytes: number;
  /** names of the volumes it mounts */
  volumes: readonly string[];
}

export interface DiskUsage {
  totals: Record<DiskType, DiskTotals>;
  /** images with no tag and no digest, as the docker CLI shows `<none>:<none>` */
  danglingImages: number;
  /** by full container id */
  containers: ReadonlyMap<string, ContainerDisk>;
  /** bytes by volume name; only volumes the daemon measured (local driver) */
  volumes: ReadonlyMap<string, number>;
  /** items counted in the totals but left out of `containers`, `volumes` and the containers' volumes at their caps */
  dropped: Readonly<Record<DiskDropped, number>>;
}

export const DISK_DROPPED = ['containers', 'volumes', 'mounts'] as const;
export type DiskDropped = (typeof DISK_DROPPED)[number];

/** The host's disk figures as one scrape serves them. */
export interface DiskSnapshot {
  /** the last good `/system/df`; null until one succeeded */
  usage: DiskUsage | null;
  /** seconds since it was measured; NaN without one */
  ageSeconds: number;
  /** failed walks since start */
  failures: number;
  /** volumes the exported containers mount, with their bytes: the largest `collection.disk_max_volumes` */
  volumes: readonly (readonly [string, number])[];
}

export interface HostSnapshot {
  host: string;
  /** static labels from the config */
  labels: Record<string, string>;
  /** the probe serving this scrape succeeded (not: stale data from an earlier one is served) */
  up: boolean;
  error?: string;
  info: DaemonInfo | null;
  /** null: hide every container series of this host (list failed, or data too stale) */
  containers: ContainerSnapshot[] | null;
  /** seconds since the probe whose containers are served finished; NaN when none are */
  snapshotAgeSeconds: number;
  /** number of containers listed by the last successful list */
  containerCount: number;
  /** unix seconds of the last successfully completed probe; NaN if none */
  lastSuccess: number;
  lastDurationSeconds: number;
  /** a copy, taken when the snapshot was made */
  counters: HostCounters;
  /** connection state of transports that keep one (ssh) */
  transport?: ConnectionStats;
  /** absent when `collection.disk_interval` is 0 */
  disk?: DiskSnapshot;
  /** the event stream and its counts; absent while this host's stream is off */
  events?: EventsSnapshot;
  /** its Swarm cluster, on the snapshot of the one manager serving the cluster this scrape (swarm/clusters.ts) */
  swarm?: ClusterSnapshot;
}

/** How a transport that keeps a connection names its metrics (docker_ssh_connected...). */
export interface ConnectionMetricNames {
  /** docker_ssh: the families are <prefix>_connected, _connects_total, _reconnects_total, _failures_total */
  readonly prefix: string;
  /** what its connections are, in help texts: "SSH" */
  readonly what: string;
  /** what the connection is, in help texts: "SSH tunnel" */
  readonly connection: string;
  /** which hosts have the series, in help texts: "ssh:// hosts only" */
  readonly hosts: string;
}

export interface ConnectionStats {
  /** the transport's metric names (its descriptor's connectionMetrics) */
  names: ConnectionMetricNames;
  connected: boolean;
  /** connections established (first and later) */
  connects: number;
  /** connections that replaced a lost one */
  reconnects: number;
  /** connection attempts that failed (a drop itself is not one) */
  failures: number;
  /** why the last attempt failed or the connection was lost */
  lastError?: string;
}

/** The container events counted (the `event` label), as the daemon's Action names them, `health_status: x` as health_status_x. */
export const CONTAINER_EVENTS = ['start', 'die', 'oom', 'kill', 'restart', 'health_status_unhealthy', 'health_status_healthy', 'destroy'] as const;
export type ContainerEvent = (typeof CONTAINER_EVENTS)[number];
export type EventCounts = Record<ContainerEvent, number>;

/** One container's event counts, immutable: replaced, never changed, so snapshots share them. */
export interface ContainerEventCounts {
  readonly events: Readonly<EventCounts>;
  /** OOM kills (events/counts.ts: bursts of `oom` events count once) */
  readonly oomKills: number;
  /** exit code of the last `die`; NaN before one was seen */
  readonly lastExitCode: number;
}

/** A host's event stream and counts at one moment: plain data, never changed after it is made. */
export interface EventsSnapshot {
  connected: boolean;
  /** streams reopened after a drop */
  reconnects: number;
  /** unix seconds (the daemon's clock) of the newest event seen; NaN before the first */
  lastEventSeconds: number;
  /** every counted container of the host, removed ones included */
  host: Readonly<EventCounts>;
  hostOomKills: number;
  /** containers that still exist (as far as events and the last list tell), by full id */
  containers: ReadonlyMap<string, ContainerEventCounts>;
  /** what a cap refused: streams cut at a line too long or too deep, containers forgotten beyond the count cap */
  limitHits: Readonly<Record<EventLimit, number>>;
}

export const EVENT_LIMITS = ['line_bytes', 'line_depth', 'tracked_containers'] as const;
export type EventLimit = (typeof EVENT_LIMITS)[number];

// ---- Swarm: the cluster as a manager sees it (swarm/decode.ts), one view per cluster id

export interface SwarmMembership {
  /** /info Swarm.Cluster.ID; empty on a worker (only managers know it) */
  clusterId: string;
  nodeId: string;
  /** Swarm.ControlAvailable: a manager, which answers /services, /tasks and /nodes */
  manager: boolean;
}

export const SWARM_SERVICE_MODES = ['replicated', 'global', 'replicated-job', 'global-job'] as const;
export type SwarmServiceMode = (typeof SWARM_SERVICE_MODES)[number];
/** Task.Status.State, in the order a task moves through them. */
export const SWARM_TASK_STATES = ['new', 'allocated', 'pending', 'assigned', 'accepted', 'preparing', 'ready', 'starting', 'running', 'complete', 'shutdown', 'failed', 'rejected', 'remove', 'orphaned'] as const;
export type SwarmTaskState = (typeof SWARM_TASK_STATES)[number];
/** Service.UpdateStatus.State */
export const SWARM_UPDATE_STATES = ['updating', 'paused', 'completed', 'rollback_started', 'rollback_paused', 'rollback_completed'] as const;
export type SwarmUpdateState = (typeof SWARM_UPDATE_STATES)[number];
export const SWARM_NODE_STATES = ['unknown', 'down', 'ready', 'disconnected'] as const;
export type SwarmNodeState = (typeof SWARM_NODE_STATES)[number];
export const SWARM_NODE_AVAILABILITIES = ['active', 'pause', 'drain'] as const;
export type SwarmNodeAvailability = (typeof SWARM_NODE_AVAILABILITIES)[number];
export const SWARM_NODE_ROLES = ['manager', 'worker'] as const;
export type SwarmNodeRole = (typeof SWARM_NODE_ROLES)[number];
export const SWARM_REACHABILITIES = ['unknown', 'unreachable', 'reachable'] as const;
export type SwarmReachability = (typeof SWARM_REACHABILITIES)[number];

export interface SwarmService {
  id: string;
  name: string;
  /** label com.docker.stack.namespace; empty outside a stack */
  stack: string;
  mode: SwarmServiceMode;
  /** the task template's image, without its digest */
  image: string;
  /** replicated: the spec's replicas; global: the nodes it should run on (ServiceStatus.DesiredTasks) */
  desiredTasks: number;
  runningTasks: number;
  /** tasks whose desired state is running, by current state */
  tasks: Readonly<Record<SwarmTaskState, number>>;
  /** absent: never updated */
  updateState?: SwarmUpdateState;
  /** tasks seen ended in failed or rejected since the exporter started (swarm/failures.ts) */
  failedTasks: number;
}

export interface SwarmNode {
  id: string;
  hostname: string;
  role: SwarmNodeRole;
  availability: SwarmNodeAvailability;
  status: SwarmNodeState;
  address: string;
  engineVersion: string;
  /** managers only */
  reachability?: SwarmReachability;
  leader: boolean;
}

export interface ClusterSnapshot {
  clusterId: string;
  /** the configured host (a manager) whose answers these are */
  servedBy: string;
  /** a manager answered this scrape; false: no services and nodes are served (no stale data) */
  up: boolean;
  error?: string;
  services: readonly SwarmService[];
  nodes: readonly SwarmNode[];
  /** times another manager took over serving since start */
  failovers: number;
}
