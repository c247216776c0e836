// GET /system/df -> what fills a Docker host's disk, counted as `docker system df` counts it
// (docker/cli up to 28: cli/command/system/df.go and cli/command/formatter/disk_usage.go).
// Tolerant like decode.ts: a missing or mistyped field counts as nothing, never an exception.
// Decoded as the body arrives (util/json-stream.ts), never held or parsed whole.
import type { ContainerDisk, DiskUsage } from '../model.ts';
import { num, str } from '../util/json.ts';
import { JsonStreamReader, type JsonHandler, type JsonScalar } from '../util/json-stream.ts';

/**
 * The daemon omits SizeRw and SizeRootFs when they are 0 (Go `omitempty`), and says -1 for a
 * size or count it did not compute: both count as 0 in the CLI's sums, and so here.
 */
const size = (v: unknown): number => {
  const n = num(v);
  return n > 0 ? n : 0;
};

const ACTIVE_STATES = new Set(['running', 'paused', 'restarting']);
const LISTS = ['Images', 'Containers', 'Volumes', 'BuildCache'] as const;
type ListName = (typeof LISTS)[number];
const LIST_NAMES: ReadonlySet<string> = new Set(LISTS);
/** The fields read of each list's items; the rest is skipped unread. */
const FIELDS: Readonly<Record<ListName, ReadonlySet<string>>> = {
  Images: new Set(['Containers', 'Size', 'SharedSize']),
  Containers: new Set(['Id', 'State', 'SizeRw', 'SizeRootFs']),
  Volumes: new Set(['Name']),
  BuildCache: new Set(['Size', 'Shared', 'InUse']),
};
/** A container id as the daemon makes it: the cheapest bound on what a container costs to keep. */
const CONTAINER_ID = /^[0-9a-f]{64}$/;

/**
 * What one walk keeps per item, at most: the totals count every item whatever these say, the
 * per-container and per-volume figures stop at them (a real host is far below: `docker system
 * df` is known to take the daemon minutes at 10,000 containers). About 0.3 KB each, so a few
 * MB per host whatever the daemon sends; what is left out is counted in `dropped`.
 */
export const DF_LIMITS = {
  /** containers with their own figures */
  containers: 16_384,
  /** volumes with their own size */
  volumes: 16_384,
  /** volume names of containers, summed over containers */
  mounts: 16_384,
  /** nesting of the body (a real one nests 7 levels) */
  depth: 64,
  /** a string longer than this is not kept (ids are 64 bytes, names far shorter) */
  string: 512,
} as const;

export class DiskUsageError extends Error {}

type Role =
  | { r: 'root' }
  | { r: 'list'; list: ListName }
  | { r: 'item'; list: ListName }
  | { r: 'tags'; which: 'tags' | 'digests' }
  | { r: 'mounts' }
  | { r: 'mount' }
  | { r: 'usage' }
  | { r: 'skip' };

interface Tags {
  count: number;
  first: string;
}

// One object per role, shared: a body of millions of items allocates nothing per item for them.
const ROOT: Role = { r: 'root' };
const SKIP: Role = { r: 'skip' };
const MOUNTS: Role = { r: 'mounts' };
const MOUNT: Role = { r: 'mount' };
const USAGE: Role = { r: 'usage' };
const TAGS: Role = { r: 'tags', which: 'tags' };
const DIGESTS: Role = { r: 'tags', which: 'digests' };
const LIST_ROLES = Object.fromEntries(LISTS.map((l) => [l, { r: 'list', list: l }])) as Record<ListName, Role>;
const ITEM_ROLES = Object.fromEntries(LISTS.map((l) => [l, { r: 'item', list: l }])) as Record<ListName, Role>;

/**
 * GET /system/df in the legacy shape (API < 1.52; the exporter speaks at most 1.51: every item
 * listed), decoded as it arrives: `write()` each chunk, `end()` for the result. Nothing of an
 * item is kept past it but its share of the totals and, up to DF_LIMITS, its own figures.
 */
export class DiskUsageDecoder implements JsonHandler {
  readonly #reader = new JsonStreamReader(this, { maxDepth: DF_LIMITS.depth, maxString: DF_LIMITS.string });
  readonly #roles: Role[] = [];
  #key: string | undefined;
  /** the scalar fields of the item being read (FIELDS), its tags, mounts and UsageData */
  #item = new Map<string, JsonScalar | undefined>();
  readonly #tags: Tags = { count: 0, first: '' };
  readonly #digests: Tags = { count: 0, first: '' };
  readonly #mount = { type: undefined as JsonScalar | undefined, name: undefined as JsonScalar | undefined };
  /** the item's volume names; made at its first */
  #itemVolumes: Set<string> | undefined;
  readonly #usage = { refs: NaN, bytes: NaN };

  #layersSize: JsonScalar | undefined;
  readonly #counts: Record<ListName, number> = { Images: 0, Containers: 0, Volumes: 0, BuildCache: 0 };
  #imagesInUse = 0;
  #dangling = 0;
  #containersSize = 0;
  #containersReclaimable = 0;
  #volumesSize = 0;
  #volumesReclaimable = 0;
  #cacheSize = 0;
  #cacheInUse = 0;
  #mountsKept = 0;
  readonly #containers = new Map<string, ContainerDisk>();
  readonly #volumes = new Map<string, number>();
  readonly #dropped = { containers: 0, volumes: 0, mounts: 0 };

  /** Throws DiskUsageError (the body's shape) or JsonStreamError (not JSON, too deep). */
  write(chunk: Buffer): void {
    this.#reader.write(chunk);
  }

  end(): DiskUsage {
    this.#reader.end();
    const layersSize = size(this.#layersSize);
    const c = this.#counts;
    return {
      totals: {
        images: { count: c.Images, sizeBytes: layersSize, reclaimableBytes: Math.max(0, layersSize - this.#imagesInUse) },
        containers: { count: c.Containers, sizeBytes: this.#containersSize, reclaimableBytes: this.#containersReclaimable },
        volumes: { count: c.Volumes, sizeBytes: this.#volumesSize, reclaimableBytes: this.#volumesReclaimable },
        build_cache: { count: c.BuildCache, sizeBytes: this.#cacheSize, reclaimableBytes: this.#cacheSize - this.#cacheInUse },
      },
      danglingImages: this.#dangling,
      containers: this.#containers,
      volumes: this.#volumes,
      dropped: { ...this.#dropped },
    };
  }

  // ---- JsonHandler: called by the reader ----

  startObject(): void {
    this.#open(true);
  }

  startArray(): void {
    this.#open(false);
  }

  endObject(): void {
    this.#close();
  }

  endArray(): void {
    this.#close();
  }

  key(name: string | undefined): void {
    this.#key = name;
  }

  value(v: JsonScalar | undefined): void {
    const top = this.#roles[this.#roles.length - 1];
    if (top === undefined) throw new DiskUsageError('disk usage is not an object');
    const key = this.#key ?? '';
    switch (top.r) {
      case 'root':
        if (key === 'LayersSize') this.#layersSize = v;
        else if (LIST_NAMES.has(key) && v !== null) throw mustBeLists();
        return;
      case 'list':
        // an item that is not an object counts, and has no fields
        this.#startItem();
        return this.#endItem(top.list);
      case 'item':
        if (FIELDS[top.list].has(key)) this.#item.set(key, v);
        return;
      case 'tags': {
        const t = top.which === 'tags' ? this.#tags : this.#digests;
        if (t.count++ === 0) t.first = str(v);
        return;
      }
      case 'mount':
        if (key === 'Type') this.#mount.type = v;
        else if (key === 'Name') this.#mount.name = v;
        return;
      case 'usage':
        if (key === 'RefCount') this.#usage.refs = num(v);
        else if (key === 'Size') this.#usage.bytes = num(v);
        return;
      case 'mounts':
      case 'skip':
        return;
    }
  }

  #open(object: boolean): void {
    const parent = this.#roles[this.#roles.length - 1];
    const key = this.#key ?? '';
    let role = SKIP;
    if (parent === undefined) {
      if (!object) throw new DiskUsageError('disk usage is not an object');
      role = ROOT;
    } else if (parent.r === 'root') {
      if (LIST_NAMES.has(key)) {
        if (object) throw mustBeLists();
        role = LIST_ROLES[key as ListName];
      }
    } else if (parent.r === 'list') {
      this.#startItem();
      if (object) role = ITEM_ROLES[parent.list];
      else this.#endItem(parent.list);
    } else if (parent.r === 'item') {
      if (parent.list === 'Images' && !object && (key === 'RepoTags' || key === 'RepoDigests')) role = key === 'RepoTags' ? TAGS : DIGESTS;
      else if (parent.list === 'Containers' && !object && key === 'Mounts') role = MOUNTS;
      else if (parent.list === 'Volumes' && object && key === 'UsageData') role = USAGE;
    } else if (parent.r === 'tags') {
      // an object or list in RepoTags is an entry, as String() would make it
      const t = parent.which === 'tags' ? this.#tags : this.#digests;
      if (t.count++ === 0) t.first = object ? '[object Object]' : '';
    } else if (parent.r === 'mounts' && object) {
      this.#mount.type = this.#mount.name = undefined;
      role = MOUNT;
    }
    this.#roles.push(role);
  }

  #close(): void {
    const role = this.#roles.pop()!;
    if (role.r === 'item') this.#endItem(role.list);
    else if (role.r === 'mount') this.#endMount();
  }

  #startItem(): void {
    // Map.clear() allocates a new table even when empty
    if (this.#item.size > 0) this.#item.clear();
    this.#tags.count = this.#digests.count = 0;
    this.#tags.first = this.#digests.first = '';
    this.#itemVolumes = undefined;
    this.#usage.refs = this.#usage.bytes = NaN;
  }

  #endMount(): void {
    const name = str(this.#mount.name);
    if (str(this.#mount.type) !== 'volume' || name === '' || this.#itemVolumes?.has(name)) return;
    if (this.#mountsKept >= DF_LIMITS.mounts) {
      this.#dropped.mounts++;
      return;
    }
    this.#mountsKept++;
    (this.#itemVolumes ??= new Set()).add(name);
  }

  #endItem(list: ListName): void {
    this.#counts[list]++;
    const f = this.#item;
    // an item with none of the fields read: only an image counts (as dangling), or a volume's UsageData
    if (f.size === 0 && this.#itemVolumes === undefined && list !== 'Images' && !(list === 'Volumes' && this.#usage.bytes >= 0)) return;
    switch (list) {
      // Images: SIZE is every layer once (LayersSize); what is not reclaimable is the part of
      // each image in use that no other image shares (Size - SharedSize). A layer an unused
      // image shares with one in use counts as reclaimable, as the CLI counts it (docker 29's
      // CLI counts only the unique part of each unused image instead, and so misses layers
      // unused images share).
      case 'Images': {
        if (num(f.get('Containers')) > 0) {
          const s = num(f.get('Size'));
          const shared = num(f.get('SharedSize'));
          if (s >= 0 && shared >= 0) this.#imagesInUse += s - shared;
        }
        if (isDangling(this.#tags, this.#digests)) this.#dangling++;
        return;
      }
      case 'Containers': {
        const rw = size(f.get('SizeRw'));
        this.#containersSize += rw;
        if (!ACTIVE_STATES.has(str(f.get('State')).toLowerCase())) this.#containersReclaimable += rw;
        const id = str(f.get('Id'));
        const volumes = this.#itemVolumes ? [...this.#itemVolumes] : [];
        if (!CONTAINER_ID.test(id) || (!this.#containers.has(id) && this.#containers.size >= DF_LIMITS.containers)) {
          if (id !== '' && CONTAINER_ID.test(id)) this.#dropped.containers++;
          this.#mountsKept -= volumes.length;
          return;
        }
        this.#containers.set(id, { rwBytes: rw, rootFsBytes: size(f.get('SizeRootFs')), volumes });
        return;
      }
      case 'Volumes': {
        const { refs, bytes } = this.#usage;
        // -1: not measured (a volume driver other than local)
        if (!(bytes >= 0)) return;
        this.#volumesSize += bytes;
        if (refs === 0) this.#volumesReclaimable += bytes;
        const name = str(f.get('Name'));
        if (name === '') return;
        if (!this.#volumes.has(name) && this.#volumes.size >= DF_LIMITS.volumes) this.#dropped.volumes++;
        else this.#volumes.set(name, bytes);
        return;
      }
      case 'BuildCache': {
        // a record shared with another is counted once, under the other
        const bytes = size(f.get('Size'));
        const shared = f.get('Shared') === true;
        if (!shared) this.#cacheSize += bytes;
        if (f.get('InUse') === true && !shared) this.#cacheInUse += bytes;
        return;
      }
    }
  }
}

const mustBeLists = (): DiskUsageError => new DiskUsageError('disk usage: Images, Containers, Volumes and BuildCache must be lists (or null)');

/** A parsed body (tests, and anything already in memory), through the same decoder; an error as its message. */
export function decodeDiskUsage(body: unknown): DiskUsage | string {
  const d = new DiskUsageDecoder();
  try {
    d.write(Buffer.from(JSON.stringify(body) ?? 'null'));
    return d.end();
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/**
 * The volumes the given containers mount, with their sizes: the largest `cap` of them (they
 * are what fills a disk), ties by name. `dropped` counts the measured ones left out.
 */
export function mountedVolumes(usage: DiskUsage, containerIds: Iterable<string>, cap: number): { volumes: [string, number][]; dropped: number } {
  const names = new Set<string>();
  for (const id of containerIds) for (const v of usage.containers.get(id)?.volumes ?? []) names.add(v);
  const sized: [string, number][] = [];
  for (const name of names) {
    const bytes = usage.volumes.get(name);
    if (bytes !== undefined) sized.push([name, bytes]);
  }
  sized.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const kept = Math.max(0, Math.min(cap, sized.length));
  return { volumes: sized.slice(0, kept), dropped: sized.length - kept };
}

/** As the docker CLI's isDangling: no tag and no digest, or only the `<none>` placeholders. */
function isDangling(tags: Tags, digests: Tags): boolean {
  if (tags.count === 0 && digests.count === 0) return true;
  return tags.count === 1 && tags.first === '<none>:<none>' && digests.count === 1 && digests.first === '<none>@<none>';
}
