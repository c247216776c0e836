import type { Logger } from '../log.ts';
import type { ContainerEvent, EventsSnapshot } from '../model.ts';
import { HostEventCounts } from './counts.ts';
import { EventFollower, type EventSource, type FollowerOptions } from './follower.ts';

/** Events after which a container's inspect (state, exit code, health, OOMKilled) is stale. */
const MARKS: ReadonlySet<ContainerEvent> = new Set(['start', 'die', 'oom', 'restart', 'health_status_healthy', 'health_status_unhealthy']);
/** More marked containers than this between two probes (no scrape for a long while): inspect all. */
const MAX_MARKED = 4096;

/** Which containers are counted: the exporter's include/exclude (events carry name and labels). */
export type EventPredicate = (c: { name: string; labels: Record<string, string> }) => boolean;

export interface HostEventsOptions {
  source: EventSource;
  log: Logger;
  include: EventPredicate;
  connectTimeoutMs: number;
  backoff?: FollowerOptions['backoff'];
}

/** What the probe should inspect again: these ids, or every container. */
export type Marked = ReadonlySet<string> | 'all';

/**
 * One host's events: the stream, the counts, and the containers marked for inspect by an
 * event since the last probe took them (the list's change heuristics become the fallback).
 */
export class HostEvents {
  readonly #counts = new HostEventCounts();
  readonly #follower: EventFollower;
  readonly #include: EventPredicate;
  #marked = new Set<string>();
  #allMarked = false;

  constructor(opts: HostEventsOptions) {
    this.#include = opts.include;
    this.#follower = new EventFollower({
      source: opts.source,
      log: opts.log,
      connectTimeoutMs: opts.connectTimeoutMs,
      backoff: opts.backoff,
      onEvent: (ev) => {
        if (!this.#include({ name: ev.name, labels: labelsOf(ev.attributes) })) return;
        this.#counts.apply(ev);
        if (ev.event === undefined || !MARKS.has(ev.event) || this.#allMarked) return;
        this.#marked.add(ev.id);
        if (this.#marked.size > MAX_MARKED) {
          this.#allMarked = true;
          this.#marked = new Set();
        }
      },
    });
  }

  start(): void {
    this.#follower.start();
  }

  close(): Promise<void> {
    return this.#follower.close();
  }

  /** The marks since the last call, cleared. */
  takeMarked(): Marked {
    if (this.#allMarked) {
      this.#allMarked = false;
      return 'all';
    }
    const m = this.#marked;
    this.#marked = new Set();
    return m;
  }

  /** See HostEventCounts.retain. */
  retain(listed: ReadonlySet<string>, listStartedAt: number): void {
    this.#counts.retain(listed, listStartedAt);
  }

  snapshot(): EventsSnapshot {
    const f = this.#follower;
    const limitHits = { ...f.capped, tracked_containers: this.#counts.evicted };
    return this.#counts.snapshot({ connected: f.connected, reconnects: f.reconnects, lastEventSeconds: f.newestEventSeconds, limitHits });
  }
}

/** What the daemon adds to a container event's attributes besides the container's labels. */
const NOT_LABELS = new Set(['name', 'image', 'exitCode', 'execDuration', 'signal']);

function labelsOf(attributes: Record<string, string>): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(attributes)) if (!NOT_LABELS.has(k)) labels[k] = v;
  return labels;
}
