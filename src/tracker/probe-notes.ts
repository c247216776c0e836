// A probe's failures counted, and logged once per change: a host's probe error, a container's
// update error, its dropped network interfaces, repeated ids in the list. Nothing is logged
// while the host closes (its requests fail by design then).
import { EngineError } from '../docker/engine-client.ts';
import type { Logger } from '../log.ts';
import type { HostCounters } from '../model.ts';
import { MAX_INTERFACES } from '../stats/layout.ts';
import { errorMessage } from '../util/errors.ts';
import { newHistogram } from '../util/histogram.ts';
import type { ContainerTracker } from './container-tracker.ts';

export class ProbeNotes {
  readonly counters: HostCounters = {
    listFailed: 0,
    containerFailed: new Map(),
    droppedInterfaces: 0,
    inlineTimeouts: 0,
    lateProbes: 0,
    probeDuration: newHistogram(),
    listDuration: newHistogram(),
    inspectDuration: newHistogram(),
    statsDuration: newHistogram(),
  };
  readonly #log: Logger;
  #hostError: string | null = null;
  /** repeated ids in the last list */
  #duplicates = 0;
  #closing = false;

  constructor(log: Logger) {
    this.#log = log;
  }

  /** The host is closing: its requests fail on purpose from now on. */
  close(): void {
    this.#closing = true;
  }

  hostResult(error: string | null): void {
    if (error === this.#hostError || this.#closing) return;
    if (error) this.#log.warn({ err: error }, 'probe failed');
    else this.#log.info('probe succeeded');
    this.#hostError = error;
  }

  duplicates(duplicates: number): void {
    if (duplicates > 0 && duplicates !== this.#duplicates) {
      this.#log.warn({ duplicates }, 'container list repeats container ids: the first entry of each is used');
    }
    this.#duplicates = duplicates;
  }

  containerFailed(t: ContainerTracker, err: unknown): void {
    t.ok = false;
    // Removed between list and call: it simply vanishes at the next list. Shutdown: not news.
    if ((err instanceof EngineError && err.status === 404) || this.#closing) return;
    const name = t.ident.name;
    const failed = this.counters.containerFailed.get(t.ident.id);
    if (failed) failed.count++;
    else this.counters.containerFailed.set(t.ident.id, { name, count: 1 });
    const msg = errorMessage(err);
    if (msg !== t.error) {
      this.#log.warn({ container: name, err: msg }, 'container update failed');
      t.error = msg;
    }
  }

  containerRecovered(t: ContainerTracker): void {
    if (!t.error) return;
    this.#log.info({ container: t.ident.name }, 'container recovered');
    t.error = null;
  }

  /** Counted every probe, logged once per change of the container's count. */
  droppedInterfaces(t: ContainerTracker, dropped: number): void {
    const n = dropped > 0 ? dropped : 0;
    if (n > 0) this.counters.droppedInterfaces += n;
    if (n !== t.droppedInterfaces && n > 0) {
      this.#log.warn({ container: t.ident.name, interfaces: n + MAX_INTERFACES, kept: MAX_INTERFACES }, 'container reports more network interfaces than the cap: the rest are not exported');
    }
    t.droppedInterfaces = n;
  }
}
