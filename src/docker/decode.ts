// Engine API JSON -> the exporter's plain types. Tolerant: a missing or mistyped field becomes
// NaN/empty, never an exception, so one odd daemon or container cannot break a probe.
import { CONTAINER_STATES, HEALTH_STATUSES, type ContainerState, type DaemonInfo, type HealthStatus, type InspectSummary } from '../model.ts';
import type { VersionInfo } from './engine-client.ts';
import { asRecord, num, str } from '../util/json.ts';
import { effectiveLimits } from './limits.ts';

export interface ListEntry {
  id: string;
  name: string;
  image: string;
  imageId: string;
  labels: Record<string, string>;
  state: ContainerState;
  /** "Up 5 minutes (healthy)", "Exited (3) 2 hours ago", ... */
  status: string;
}

const STATES = new Set<string>(CONTAINER_STATES);
const HEALTH = new Set<string>(HEALTH_STATUSES);

export interface DecodedList {
  entries: ListEntry[];
  /** entries dropped because an earlier one had the same id (the first wins) */
  duplicates: number;
}

/**
 * Entries without an id are dropped: nothing can be tracked without one. A repeated id is
 * dropped too: two entries would make duplicate series with conflicting values.
 */
export function decodeList(body: unknown): DecodedList | string {
  if (!Array.isArray(body)) return 'container list is not an array';
  const entries: ListEntry[] = [];
  const seen = new Set<string>();
  let duplicates = 0;
  for (const raw of body) {
    const c = asRecord(raw);
    const id = str(c.Id);
    if (!/^[0-9a-f]{12,64}$/i.test(id)) continue;
    if (seen.has(id)) {
      duplicates++;
      continue;
    }
    seen.add(id);
    const state = str(c.State).toLowerCase();
    entries.push({
      id,
      name: displayName(c.Names, id),
      image: str(c.Image),
      imageId: str(c.ImageID),
      labels: stringMap(c.Labels),
      state: (STATES.has(state) ? state : 'dead') as ContainerState,
      status: str(c.Status),
    });
  }
  return { entries, duplicates };
}

/**
 * As the docker CLI picks it: the name without a second "/" ("/web", not the legacy link
 * alias "/other/web"), else the first name, else the id's first 12 characters.
 */
export function displayName(names: unknown, id: string): string {
  const list = (Array.isArray(names) ? names : []).map((n) => str(n).replace(/^\/+/, '').trim()).filter((n) => n !== '');
  return list.find((n) => !n.includes('/')) ?? list[0] ?? id.slice(0, 12);
}

export function decodeInspect(body: unknown): InspectSummary {
  const c = asRecord(body);
  const s = asRecord(c.State);
  const h = asRecord(c.HostConfig);
  const health = str(asRecord(s.Health).Status);
  return {
    restartCount: num(c.RestartCount),
    startedAt: dockerTime(s.StartedAt),
    finishedAt: dockerTime(s.FinishedAt),
    exitCode: num(s.ExitCode),
    oomKilled: s.OOMKilled === true,
    health: HEALTH.has(health) ? (health as HealthStatus) : undefined,
    restartPolicy: str(asRecord(h.RestartPolicy).Name) || 'no',
    limits: effectiveLimits(h),
  };
}

export function decodeInfo(body: unknown, version: VersionInfo, apiVersion: string): DaemonInfo {
  const i = asRecord(body);
  return {
    serverVersion: str(i.ServerVersion) || version.serverVersion,
    apiVersion,
    os: str(i.OperatingSystem) || version.os,
    kernelVersion: str(i.KernelVersion) || version.kernelVersion,
    architecture: str(i.Architecture) || version.arch,
    storageDriver: str(i.Driver),
    cgroupVersion: str(i.CgroupVersion),
    ncpu: num(i.NCPU),
    memTotal: num(i.MemTotal),
    ...swarmMembership(i.Swarm),
  };
}

/** /info Swarm of an active node; nothing for a daemon outside a Swarm (or joining, or locked). */
function swarmMembership(v: unknown): { swarm?: DaemonInfo['swarm'] } {
  const s = asRecord(v);
  if (str(s.LocalNodeState) !== 'active') return {};
  return { swarm: { clusterId: str(asRecord(s.Cluster).ID), nodeId: str(s.NodeID), manager: s.ControlAvailable === true } };
}

/** Docker's zero time "0001-01-01T00:00:00Z" means never: NaN, so no series is written. */
export function dockerTime(v: unknown): number {
  const text = str(v);
  if (text === '' || text.startsWith('0001-01-01')) return NaN;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? NaN : ms / 1000;
}

/** The health marker of a list Status: changes there mean the inspect data is out of date. */
export function healthMarker(status: string): string {
  const m = /\((healthy|unhealthy|health: starting)\)/.exec(status);
  return m ? m[1]! : '';
}

const UNIT_SECONDS: Record<string, number> = { second: 1, minute: 60, hour: 3600, day: 86400, week: 604800, month: 2592000, year: 31536000 };

/**
 * Upper bound of the uptime in a running container's Status ("Up 3 seconds", "Up About a
 * minute", "Up 2 hours (healthy)"), in seconds; Infinity when it cannot be read. Docker rounds
 * down to the unit, so one more unit is the bound.
 */
export function uptimeUpperBound(status: string): number {
  const m = /^Up (Less than a second|About an? (\w+)|(\d+) (\w+?)s?)\b/.exec(status);
  if (!m) return Infinity;
  if (m[1] === 'Less than a second') return 1;
  const unit = UNIT_SECONDS[m[2] ?? m[4] ?? ''];
  if (unit === undefined) return Infinity;
  const n = m[2] ? 1 : Number(m[3]);
  return (n + 1) * unit;
}

function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(asRecord(v))) if (typeof val === 'string') out[k] = val;
  return out;
}
