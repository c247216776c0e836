// What the kernel says about a child process: CPU of all its threads or of its main thread, memory.
import { readFileSync, writeFileSync } from 'node:fs';

const CLK_TCK = 100; // USER_HZ on Linux

/** utime + stime in clock ticks, from a /proc stat file. */
function cpuTicks(statFile: string): number {
  const stat = readFileSync(statFile, 'utf8');
  // fields after the ")" closing the command name: state is field 3, utime 14, stime 15
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(rest[11]) + Number(rest[12]);
}

/** utime + stime of every thread of `pid` (workers and libuv's pool included), in microseconds. */
export function cpuMicros(pid: number): number {
  return (cpuTicks(`/proc/${pid}/stat`) * 1e6) / CLK_TCK;
}

/** VmHWM (peak RSS) and VmRSS, in bytes. */
export function memory(pid: number): { peakRss: number; rss: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string): number => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
    return m ? Number(m[1]) * 1024 : NaN;
  };
  return { peakRss: kb('VmHWM'), rss: kb('VmRSS') };
}

/** Resets VmHWM to the current RSS (Linux >= 4.0; the process's owner or root), so the next read is the peak since now. */
export function resetPeakRss(pid: number): void {
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
}

/** CPU time (user + system) of the main thread of `pid` alone, its event loop: ms, in 10 ms ticks. */
export function mainThreadCpuMs(pid: number): number {
  return (cpuTicks(`/proc/${pid}/task/${pid}/stat`) * 1000) / CLK_TCK;
}
