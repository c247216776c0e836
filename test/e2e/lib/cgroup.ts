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
