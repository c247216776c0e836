import type { ContainerIdentity, CpuSample, InspectSummary, StatsSample } from '../model.ts';
import { healthMarker, uptimeUpperBound, type ListEntry } from '../docker/decode.ts';
import { F } from '../stats/layout.ts';

/** Even without a visible change, inspect again this often (limits can change by `docker update`). */
const INSPECT_REFRESH_MS = 5 * 60_000;

/** One container of one host: its cached inspect, its latest stats, its failure state. */
export class ContainerTracker {
  ident: ContainerIdentity;
  inspect: InspectSummary | null = null;
  stats: StatsSample | null = null;
  /** the CPU counter of the sample before `stats`: two consecutive samples give a rate */
  prevCpu: CpuSample | undefined;
  /** null while healthy; the message last logged otherwise (logged once per change). */
  error: string | null = null;
  /** this probe's outcome: false hides the container's series until its next good update */
  ok = false;
  /** interfaces its last stats body had beyond the cap (logged once per change) */
  droppedInterfaces = 0;
  #inspectedAt = 0;
  #inspectedState = '';
  #inspectedHealth = '';

  constructor(entry: ListEntry) {
    this.ident = identityOf(entry);
  }

  /** Takes the name (and image) the container is listed with now: a rename moves its series. */
  updateIdentity(entry: ListEntry): void {
    if (entry.name !== this.ident.name || entry.imageId !== this.ident.imageId || entry.image !== this.ident.image) {
      this.ident = identityOf(entry);
    }
  }

  /**
   * Inspect only what may have changed: an event said so (`marked`: a start, die, oom, restart
   * or health event since the last probe), new, state or health changed, restarting (its
   * restart count moves), restarted since the last inspect (uptime shorter than the time
   * since), or a slow periodic refresh. Without an event stream the list's heuristics decide
   * alone; with one they are the fallback (a container that died and restarted within a
   * second lists as it did before).
   */
  needsInspect(entry: ListEntry, nowMs: number, marked = false): boolean {
    if (marked || !this.inspect) return true;
    if (entry.state !== this.#inspectedState || entry.state === 'restarting') return true;
    if (healthMarker(entry.status) !== this.#inspectedHealth) return true;
    if (nowMs - this.#inspectedAt > INSPECT_REFRESH_MS) return true;
    if (entry.state === 'running') {
      const sinceInspect = (nowMs - this.#inspectedAt) / 1000;
      if (uptimeUpperBound(entry.status) < sinceInspect) return true;
    }
    return false;
  }

  /** A new stats sample, or null when not running (the next rate then starts afresh). */
  setStats(sample: StatsSample | null): void {
    const prev = this.stats;
    this.prevCpu = prev && sample ? { totalNs: prev.values[F.cpuTotalNs]!, readTime: prev.values[F.readTime]! } : undefined;
    this.stats = sample;
  }

  setInspect(summary: InspectSummary, entry: ListEntry, nowMs: number): void {
    this.inspect = summary;
    this.#inspectedAt = nowMs;
    this.#inspectedState = entry.state;
    this.#inspectedHealth = healthMarker(entry.status);
  }
}

function identityOf(e: ListEntry): ContainerIdentity {
  return { id: e.id, name: e.name, image: e.image, imageId: e.imageId, labels: e.labels };
}
