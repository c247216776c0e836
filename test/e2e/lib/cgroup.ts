// What the kernel says about a container: its cgroup files (v1 or v2, found from the container's
// main process, so the cgroup driver and parent do not matter) and its network namespace's
// /proc/<pid>/net/dev.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = '/sys/fs/cgroup';

/** v2 only when the unified hierarchy is mounted at the root (not the v1/hybrid layout). */
export const cgroupV2 = existsSync(join(ROOT, 'cgroup.controllers'));

function cgroupDir(pid: number, controller: string): string {
  const lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n');
  if (cgroupV2) {
    const line = lines.find((l) => l.startsWith('0::'));
    if (!line) throw new Error(`/proc/${pid}/cgroup: no unified (0::) line`);
    return join(ROOT, line.slice(3));
  }
  for (const line of lines) {
    const [, controllers, path] = line.split(':', 3) as [string, string, string];
    if (controllers.split(',').includes(controller)) {
      // cpu and cpuacct may be co-mounted (cpu,cpuacct) or separate, as here.
      const mount = [controllers, controller].map((m) => join(ROOT, m)).find((m) => existsSync(m));
      if (!mount) throw new Error(`cgroup v1 controller ${controller} is not mounted under ${ROOT}`);
      return join(mount, path);
    }
  }
  throw new Error(`/proc/${pid}/cgroup: no ${controller} controller`);
}

function statFile(file: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of readFileSync(file, 'utf8').trim().split('\n')) {
    const [k, v] = line.split(' ');
    if (k && v !== undefined) m.set(k, Number(v));
  }
  return m;
}

const num = (file: string): number => Number(readFileSync(file, 'utf8').trim());

/** Total CPU time of the container's cgroup, in seconds. */
export function cpuSeconds(pid: number): number {
  if (cgroupV2) return statFile(join(cgroupDir(pid, 'cpu'), 'cpu.stat')).get('usage_usec')! / 1e6;
  return num(join(cgroupDir(pid, 'cpuacct'), 'cpuacct.usage')) / 1e9;
}

export interface Memory {
  usage: number;
  inactiveFile: number;
  /** usage - inactive_file, as docker stats and cAdvisor compute it */
  workingSet: number;
  limit: number;
}

export function memory(pid: number): Memory {
  const dir = cgroupDir(pid, 'memory');
  if (cgroupV2) {
    const usage = num(join(dir, 'memory.current'));
    const inactiveFile = statFile(join(dir, 'memory.stat')).get('inactive_file') ?? 0;
    const max = readFileSync(join(dir, 'memory.max'), 'utf8').trim();
    return { usage, inactiveFile, workingSet: usage - inactiveFile, limit: max === 'max' ? Infinity : Number(max) };
  }
  const usage = num(join(dir, 'memory.usage_in_bytes'));
  const inactiveFile = statFile(join(dir, 'memory.stat')).get('total_inactive_file') ?? 0;
  return { usage, inactiveFile, workingSet: usage - inactiveFile, limit: num(join(dir, 'memory.limit_in_bytes')) };
}

export interface NetDev {
  rxBytes: number;
  rxPackets: number;
  txBytes: number;
  txPackets: number;
}

/** Counters of one interface in the network namespace of `pid`. */
export function netDev(pid: number, iface: string): NetDev {
  for (const line of readFileSync(`/proc/${pid}/net/dev`, 'utf8').split('\n')) {
    const [name, rest] = line.split(':');
    if (name?.trim() !== iface || rest === undefined) continue;
    const f = rest.trim().split(/\s+/).map(Number);
    return { rxBytes: f[0]!, rxPackets: f[1]!, txBytes: f[8]!, txPackets: f[9]! };
  }
  throw new Error(`/proc/${pid}/net/dev: no interface ${iface}`);
}

/** cgroup v2: the files of one container's directory (exported for fixtures of v2 hosts). */
export function limitsV2(dir: string): CgroupLimits {
  const [quota, period] = text(join(dir, 'cpu.max')).split(' ') as [string, string];
  const memory = maxOrNumber(join(dir, 'memory.max'));
  const swap = maxOrNumber(join(dir, 'memory.swap.max'));
  const low = num(join(dir, 'memory.low'));
  const cpuset = text(join(dir, 'cpuset.cpus'));
  return {
    cpuQuota: quota === 'max' ? NaN : Number(quota),
    cpuPeriod: Number(period),
    memoryBytes: memory,
    memoryReservationBytes: low > 0 ? low : NaN,
    // v2 limits swap alone; Docker's MemorySwap (and cgroup v1) is memory plus swap
    memorySwapBytes: memory + swap,
    pids: maxOrNumber(join(dir, 'pids.max')),
    // empty: none requested, the parent's set applies
    cpusetCpus: countCpus(cpuset),
    cpusetInherited: cpuset === '',
  };
}

/** The limits the kernel applies to the container's cgroup; NaN where there is none. */
export interface CgroupLimits {
  cpuQuota: number;
  cpuPeriod: number;
  memoryBytes: number;
  memoryReservationBytes: number;
  /** memory plus swap */
  memorySwapBytes: number;
  pids: number;
  /** CPUs in the cgroup's cpuset */
  cpusetCpus: number;
  /** the cpuset is the parent's (the kernel has no "unset": an unrestricted one inherits) */
  cpusetInherited: boolean;
}

/** cgroup v1 writes "no limit" as the page-rounded maximum of an int64. */
const V1_UNLIMITED = 2 ** 62;
const text = (file: string): string => readFileSync(file, 'utf8').trim();
const v1Limit = (file: string): number => {
  const v = num(file);
  return v >= V1_UNLIMITED ? NaN : v;
};
const maxOrNumber = (file: string): number => {
  const t = text(file);
  return t === 'max' ? NaN : Number(t);
};
/** "0-2,4" -> 4 */
function countCpus(list: string): number {
  if (list === '') return NaN;
  let n = 0;
  for (const part of list.split(',')) {
    const [a, b] = part.split('-').map(Number) as [number, number | undefined];
    n += b === undefined ? 1 : b - a + 1;
  }
  return n;
}

export function limits(pid: number): CgroupLimits {
  if (cgroupV2) return limitsV2(cgroupDir(pid, 'cpu'));
  const cpu = cgroupDir(pid, 'cpu');
  const mem = cgroupDir(pid, 'memory');
  const quota = num(join(cpu, 'cpu.cfs_quota_us'));
  const cpuset = cgroupDir(pid, 'cpuset');
  const own = text(join(cpuset, 'cpuset.cpus'));
  const inherited = text(join(cpuset, '..', 'cpuset.cpus'));
  return {
    cpuQuota: quota < 0 ? NaN : quota,
    cpuPeriod: num(join(cpu, 'cpu.cfs_period_us')),
    memoryBytes: v1Limit(join(mem, 'memory.limit_in_bytes')),
    memoryReservationBytes: v1Limit(join(mem, 'memory.soft_limit_in_bytes')),
    memorySwapBytes: v1Limit(join(mem, 'memory.memsw.limit_in_bytes')),
    pids: maxOrNumber(join(cgroupDir(pid, 'pids'), 'pids.max')),
    cpusetCpus: countCpus(own),
    cpusetInherited: own === inherited,
  };
}
