// What the overview and a host's page both show of a host.
import type { HostSnapshot } from '../../model.ts';
import type { HostSummary } from './figures.ts';
import { UNKNOWN, duration, esc, stackedBar } from './html.ts';

/** A host as the server hands it to the pages: its last served snapshot, if any. */
export interface HostRow {
  name: string;
  url: string;
  snapshot?: HostSnapshot;
}

export function hostPath(name: string): string {
  return `/hosts/${encodeURIComponent(name)}`;
}

export function hostState(s: HostSnapshot | undefined): string {
  if (!s) return '<span class="state unknown">not scraped yet</span>';
  return s.up ? '<span class="state up">up</span>' : '<span class="state down">down</span>';
}

/** How old the container data shown is (the probe that made it), and how long that probe took. */
export function probeAge(s: HostSnapshot | undefined, now: number): string {
  if (!s) return UNKNOWN;
  const took = Number.isFinite(s.lastDurationSeconds) ? ` <span class="dim">(last took ${s.lastDurationSeconds.toFixed(3)} s)</span>` : '';
  const age = Number.isFinite(s.lastSuccess) ? `${duration(now - s.lastSuccess)} ago` : 'never succeeded';
  return `${age}${took}`;
}

export function lastError(s: HostSnapshot | undefined): string {
  return s?.error ? `<span class="err">${esc(s.error)}</span>` : '';
}

/** Containers by state, as counts and one bar. */
export function stateCounts(sum: HostSummary): string {
  const healthyRunning = sum.running - sum.unhealthy;
  const bar = stackedBar([
    { n: healthyRunning, cls: 's-running', label: 'running' },
    { n: sum.unhealthy, cls: 's-unhealthy', label: 'unhealthy' },
    { n: sum.restarting, cls: 's-restarting', label: 'restarting' },
    { n: sum.exited, cls: 's-exited', label: 'exited' },
    { n: sum.other, cls: 's-other', label: 'paused, created or dead' },
  ]);
  const parts = [`${sum.running} running`];
  if (sum.unhealthy) parts.push(`<b class="down">${sum.unhealthy} unhealthy</b>`);
  if (sum.restarting) parts.push(`<b class="stale">${sum.restarting} restarting</b>`);
  parts.push(`${sum.exited} exited`);
  if (sum.other) parts.push(`${sum.other} other`);
  return `${parts.join(' · ')}${bar}`;
}
