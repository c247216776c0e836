// HostConfig -> the limits the kernel applies. Docker spells one limit several ways: `--cpus`
// sets NanoCpus and leaves CpuQuota/CpuPeriod at 0, `--cpu-quota` alone leaves the period at 0
// (the kernel's default applies), 0 and -1 both mean "none" for some fields. Read raw, every
// "CPU against its limit" ratio is wrong or divides by zero. These rules were checked against
// the cgroup files of containers on a real daemon (test/e2e/limits.test.ts).
import type { ContainerLimits } from '../model.ts';
import { num, str } from '../util/json.ts';

/** cfs_period_us when none is set: the kernel's default, and what Docker uses for NanoCpus. */
export const DEFAULT_CPU_PERIOD_US = 100_000;
/** cpu.shares when CpuShares is 0. */
export const DEFAULT_CPU_SHARES = 1024;

const positive = (v: number): number => (v > 0 ? v : NaN);

export function effectiveLimits(h: Record<string, unknown>): ContainerLimits {
  const memory = positive(num(h.Memory));
  const nanoCpus = positive(num(h.NanoCpus));
  const quota = positive(num(h.CpuQuota));
  const period = positive(num(h.CpuPeriod));
  let cpuQuota = NaN;
  let cpuPeriod = Number.isNaN(period) ? DEFAULT_CPU_PERIOD_US : period;
  if (!Number.isNaN(nanoCpus)) {
    // Docker refuses NanoCpus together with CpuPeriod/CpuQuota, and writes this quota.
    cpuPeriod = DEFAULT_CPU_PERIOD_US;
    cpuQuota = Math.round((nanoCpus * DEFAULT_CPU_PERIOD_US) / 1e9);
  } else if (!Number.isNaN(quota)) {
    cpuQuota = quota;
  }
  return {
    memoryBytes: memory,
    memoryReservationBytes: positive(num(h.MemoryReservation)),
    memorySwapBytes: swapLimit(memory, num(h.MemorySwap)),
    cpuQuota,
    cpuPeriod,
    cpuShares: positive(num(h.CpuShares)) || DEFAULT_CPU_SHARES,
    // 0 and -1 (and null on old daemons) all mean unlimited
    pids: positive(num(h.PidsLimit)),
    cpusetCpus: cpusetCount(str(h.CpusetCpus)),
  };
}

/**
 * Memory plus swap. Without a memory limit there is none (Docker refuses MemorySwap alone);
 * -1 is unlimited; 0 (unset) with a memory limit is twice the limit (as much swap as memory).
 */
function swapLimit(memory: number, memorySwap: number): number {
  if (Number.isNaN(memory) || memorySwap === -1) return NaN;
  return memorySwap > 0 ? memorySwap : memory * 2;
}

/** "0-2,4" -> 4; empty or unreadable -> NaN (no cpuset limit). */
export function cpusetCount(list: string): number {
  if (list.trim() === '') return NaN;
  const cpus = new Set<number>();
  for (const part of list.split(',')) {
    const m = /^\s*(\d+)(?:-(\d+))?\s*$/.exec(part);
    if (!m) return NaN;
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (to < from || to - from > 4096) return NaN;
    for (let c = from; c <= to; c++) cpus.add(c);
  }
  return cpus.size;
}
