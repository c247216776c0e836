// What the status page shows, derived from the snapshots the fleet last served: plain numbers
// and verdicts, no HTML. NaN = unknown (the page shows a dash).
import { workingSet } from '../../metrics/family.ts';
import type { ContainerSnapshot, ContainerState, DaemonInfo, HostSnapshot } from '../../model.ts';
import { F } from '../../stats/layout.ts';

/**
 * CPU cores in use between the container's last two stats samples (two consecutive probes):
 * the growth of its cumulative CPU time over the time between the daemon's reads. Unknown
 * after one sample, and when the counter was reset in between (a restart).
 */
export function cpuCores(c: ContainerSnapshot): number {
  const prev = c.prevCpu;
  if (!prev || !c.stats) return NaN;
  const seconds = c.stats.values[F.readTime]! - prev.readTime;
  const ns = c.stats.values[F.cpuTotalNs]! - prev.totalNs;
  if (!(seconds > 0) || !(ns >= 0) || c.inspect.startedAt > prev.readTime) return NaN;
  return ns / 1e9 / seconds;
}

/** The CPUs a container may use: its quota per period, or its cpuset's size, whichever is less; NaN without a limit. */
export function cpuLimitCores(c: ContainerSnapshot): number {
  const { cpuQuota, cpuPeriod, cpusetCpus } = c.inspect.limits;
  const quota = cpuQuota > 0 && cpuPeriod > 0 ? cpuQuota / cpuPeriod : NaN;
  const cpuset = cpusetCpus > 0 ? cpusetCpus : NaN;
  if (Number.isNaN(quota)) return cpuset;
  return Number.isNaN(cpuset) ? quota : Math.min(quota, cpuset);
}

/** A share of a whole, and what the whole is: the container's own limit, else the host's. */
export interface Against {
  whole: number;
  /** true: the container's limit; false: the host's capacity (no limit) */
  limit: boolean;
}

export function cpuAgainst(c: ContainerSnapshot, info: DaemonInfo | null): Against {
  const limit = cpuLimitCores(c);
  return Number.isNaN(limit) ? { whole: info?.ncpu || NaN, limit: false } : { whole: limit, limit: true };
}

export function memoryAgainst(c: ContainerSnapshot, info: DaemonInfo | null): Against {
  const limit = c.inspect.limits.memoryBytes;
  return limit > 0 ? { whole: limit, limit: true } : { whole: info?.memTotal || NaN, limit: false };
}

/** Why a container needs a look, most urgent first; its index is the order on the host page. */
export const PROBLEMS = ['unhealthy', 'restarting', 'oom-killed', 'exited non-zero', 'restarted'] as const;
export type Problem = (typeof PROBLEMS)[number];

/**
 * A restart by the container's policy this recent marks it: Docker's restart delay grows to a
 * minute at most while a container flaps, and the crash-loop alert (monitoring/) looks back 15m.
 */
export const RECENT_RESTART_SECONDS = 15 * 60;

/**
 * The most urgent problem of a container, if any. OOM-killed is State.OOMKilled of its last
 * inspect (the kernel killed its main process; Docker clears it on the next start).
 */
export function problemOf(c: ContainerSnapshot, now: number): Problem | undefined {
  const i = c.inspect;
  if (c.state === 'running' && i.health === 'unhealthy') return 'unhealthy';
  if (c.state === 'restarting') return 'restarting';
  if (i.oomKilled) return 'oom-killed';
  if ((c.state === 'exited' && i.exitCode !== 0) || c.state === 'dead') return 'exited non-zero';
  if (c.state === 'running' && i.restartCount > 0 && now - i.startedAt < RECENT_RESTART_SECONDS) return 'restarted';
  return undefined;
}

/** Without a problem: running first, the stopped last. */
const STATE_ORDER: Record<ContainerState, number> = { running: 0, paused: 1, restarting: 2, removing: 3, created: 4, exited: 5, dead: 6 };

export interface ContainerRow {
  c: ContainerSnapshot;
  problem: Problem | undefined;
}

/** Problems first (most urgent first), then by state, then by name. */
export function sortContainers(containers: readonly ContainerSnapshot[], now: number): ContainerRow[] {
  const rows = containers.map((c) => ({ c, problem: problemOf(c, now) }));
  const rank = (r: ContainerRow) => (r.problem === undefined ? PROBLEMS.length : PROBLEMS.indexOf(r.problem));
  return rows.sort(
    (a, b) => rank(a) - rank(b) || STATE_ORDER[a.c.state] - STATE_ORDER[b.c.state] || (a.c.ident.name < b.c.ident.name ? -1 : a.c.ident.name > b.c.ident.name ? 1 : 0),
  );
}

/** One host's line of the overview. */
export interface HostSummary {
  running: number;
  exited: number;
  restarting: number;
  unhealthy: number;
  /** paused, created, removing, dead */
  other: number;
  problems: number;
  /** cores in use summed over the containers with a rate; NaN when none has one yet */
  cpuCores: number;
  memoryBytes: number;
}

export function summarize(s: HostSnapshot, now: number): HostSummary | undefined {
  if (!s.containers) return undefined;
  const out: HostSummary = { running: 0, exited: 0, restarting: 0, unhealthy: 0, other: 0, problems: 0, cpuCores: NaN, memoryBytes: 0 };
  for (const c of s.containers) {
    if (c.state === 'running') out.running++;
    else if (c.state === 'exited') out.exited++;
    else if (c.state === 'restarting') out.restarting++;
    else out.other++;
    if (c.state === 'running' && c.inspect.health === 'unhealthy') out.unhealthy++;
    if (problemOf(c, now) !== undefined) out.problems++;
    const cores = cpuCores(c);
    if (!Number.isNaN(cores)) out.cpuCores = (Number.isNaN(out.cpuCores) ? 0 : out.cpuCores) + cores;
    const mem = workingSet(c);
    if (mem > 0) out.memoryBytes += mem;
  }
  return out;
}
