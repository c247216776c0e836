// Label bytes per container, owned by one renderer: built and encoded once per container and
// label set, not once per series per scrape (measured at M, 100k series: encoding the label text
// of every series was the largest part of a render). An entry remembers the values it was built
// from, so a renamed container gets new bytes; entries a render of their host did not use are
// dropped after it, so churn cannot grow the cache.
import type { ContainerIdentity, ContainerSnapshot, HostSnapshot } from '../model.ts';
import { labelBytes, labelText, joinLabels } from './exposition.ts';

/** The container's labels of one label set, in order (the host's labels come first). */
export type LabelPairs = (ident: ContainerIdentity) => readonly (readonly [string, string])[];

/** A label set's slot, from LabelCache.define(). */
export type LabelSet = number;

interface Entry {
  /** what the bytes were built from */
  ident: ContainerIdentity;
  /** the newest render that used it */
  seen: number;
  bytes: (Buffer | undefined)[];
}

interface HostEntries {
  /** `host="…"` and the host's static labels, as the entries' bytes start */
  text: string;
  containers: Map<string, Entry>;
}

/** `host="…"` plus the host's static labels. */
export function hostLabels(h: HostSnapshot): string {
  return labelText([['host', h.host], ...Object.entries(h.labels)]);
}

export class LabelCache {
  readonly #sets: LabelPairs[] = [];
  readonly #hosts = new Map<string, HostEntries>();
  #renders = 0;

  /** Declares a label set (a family does, when it is created). */
  define(pairs: LabelPairs): LabelSet {
    return this.#sets.push(pairs) - 1;
  }

  /** The cache as one render sees it; call end() when the render is done. */
  begin(): RenderLabels {
    return new RenderLabels(this.#sets, this.#hosts, ++this.#renders);
  }

  /** containers with an entry, for tests */
  get size(): number {
    let n = 0;
    for (const h of this.#hosts.values()) n += h.containers.size;
    return n;
  }
}

export class RenderLabels {
  #lastSnapshot: HostSnapshot | undefined;
  #lastHost: HostEntries | undefined;
  readonly #touched = new Set<HostEntries>();

  constructor(
    private readonly sets: readonly LabelPairs[],
    private readonly hosts: Map<string, HostEntries>,
    private readonly render: number,
  ) {}

  /** The label bytes of `c` (a container of `h`) in label set `set`: the host's labels, then the set's. */
  of(h: HostSnapshot, c: ContainerSnapshot, set: LabelSet): Buffer {
    const host = h === this.#lastSnapshot ? this.#lastHost! : this.#host(h);
    const ident = c.ident;
    let e = host.containers.get(ident.id);
    if (e === undefined || (e.ident !== ident && !sameIdentity(e.ident, ident))) {
      e = { ident, seen: this.render, bytes: [] };
      host.containers.set(ident.id, e);
    } else {
      e.ident = ident;
      if (e.seen < this.render) e.seen = this.render;
    }
    let bytes = e.bytes[set];
    if (bytes === undefined) e.bytes[set] = bytes = labelBytes(joinLabels(host.text, labelText(this.sets[set]!(ident))));
    return bytes;
  }

  /** Drops the entries of this render's hosts that neither it nor a later render used. */
  end(): void {
    for (const host of this.#touched) {
      for (const [id, e] of host.containers) if (e.seen < this.render) host.containers.delete(id);
    }
    this.#touched.clear();
  }

  #host(h: HostSnapshot): HostEntries {
    const text = hostLabels(h);
    let host = this.hosts.get(h.host);
    // static labels changed: every entry's bytes start with the old ones
    if (host === undefined || host.text !== text) this.hosts.set(h.host, (host = { text, containers: new Map() }));
    this.#touched.add(host);
    this.#lastSnapshot = h;
    this.#lastHost = host;
    return host;
  }
}

/** The values label text is made of; a container's Docker labels never change (set at create). */
function sameIdentity(a: ContainerIdentity, b: ContainerIdentity): boolean {
  return a.name === b.name && a.image === b.image && a.imageId === b.imageId;
}
