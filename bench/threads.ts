// CPU per thread of a process, grouped by thread name, to see where "all threads" goes: the
// main thread (event loop), V8's platform threads (GC, compiler), libuv's pool (zlib), workers.
import { readdirSync, readFileSync } from 'node:fs';

const CLK_TCK = 100; // USER_HZ on Linux

export interface ThreadCpu {
  /** microseconds of user and system time, summed over the threads of that name */
  [name: string]: { user: number; sys: number };
}

/** utime and stime per thread name ("main" for the thread whose id is the pid), in microseconds. */
export function threadCpu(pid: number): ThreadCpu {
  const out: ThreadCpu = {};
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended in between
    }
    const name = Number(tid) === pid ? 'main' : stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const e = (out[name] ??= { user: 0, sys: 0 });
    e.user += (Number(rest[11]) * 1e6) / CLK_TCK;
    e.sys += (Number(rest[12]) * 1e6) / CLK_TCK;
  }
  return out;
}

/** b - a per thread name, per container-scrape (threads that ended in between are lost). */
export function threadDelta(a: ThreadCpu, b: ThreadCpu, per: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, v] of Object.entries(b)) {
    const u = v.user - (a[name]?.user ?? 0);
    const s = v.sys - (a[name]?.sys ?? 0);
    if (u + s > 0) out[name] = `${Math.round(u / per)}u+${Math.round(s / per)}s`;
  }
  return out;
}

/** acc + (b - a), per thread name. */
export function threadAdd(acc: ThreadCpu, a: ThreadCpu, b: ThreadCpu): ThreadCpu {
  const out: ThreadCpu = { ...acc };
  for (const [name, v] of Object.entries(b)) {
    const prev = out[name] ?? { user: 0, sys: 0 };
    out[name] = { user: prev.user + v.user - (a[name]?.user ?? 0), sys: prev.sys + v.sys - (a[name]?.sys ?? 0) };
  }
  return out;
}
