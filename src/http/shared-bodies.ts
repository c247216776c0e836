import type { HostSnapshot } from '../model.ts';

interface Entry {
  snapshots: readonly HostSnapshot[];
  body: Promise<Buffer[]>;
  /** responses rendering or sending this body */
  users: number;
}

export interface BodyLease {
  readonly body: Promise<Buffer[]>;
  /** the response is done with the body (idempotent) */
  release(): void;
}

/**
 * One rendered body per route and set of snapshots, shared by every response that needs it
 * while one of them is still rendering or sending it. Fleet.scrape() hands concurrent scrapes
 * the same snapshot objects, so identity is the key: a different object is a newer probe and
 * gets its own render, so no body is older than what a new scrape would be served. A body no
 * response uses any more is dropped, not kept until the next scrape: at 200 hosts x 50
 * containers it is 75 MB.
 */
export class SharedBodies {
  readonly #byRoute = new Map<string, Entry>();

  /** `recycle`: gets each body once its last response is done with it (the renderer reuses its buffers) */
  constructor(private readonly recycle: (body: Buffer[]) => void = () => {}) {}

  /** `route` names what `render` makes of the snapshots (e.g. "/metrics" with self metrics). */
  acquire(route: string, snapshots: readonly HostSnapshot[], render: () => Promise<Buffer[]>): BodyLease {
    let entry = this.#byRoute.get(route);
    if (entry === undefined || !sameObjects(entry.snapshots, snapshots)) {
      entry = { snapshots, body: render(), users: 0 };
      this.#byRoute.set(route, entry);
    }
    const e = entry;
    e.users++;
    let released = false;
    return {
      body: e.body,
      release: () => {
        if (released) return;
        released = true;
        if (--e.users > 0) return;
        if (this.#byRoute.get(route) === e) this.#byRoute.delete(route);
        e.body.then(this.recycle, () => {});
      },
    };
  }

  /** routes holding a body now */
  get size(): number {
    return this.#byRoute.size;
  }
}

function sameObjects(a: readonly HostSnapshot[], b: readonly HostSnapshot[]): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i]);
}
