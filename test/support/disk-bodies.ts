// What a fake daemon says to GET /system/df: the containers of its store with their layer
// sizes, the images they use plus any a test adds, volumes and build cache. Shaped like
// dockerd 20.10-28 (API < 1.52): every item listed, SizeRw/SizeRootFs left out when 0 (Go
// omitempty), null for an empty list.
import { goTime, listEntry, seedOf, sha256Hex, type FakeContainer } from './stats-bodies.ts';

const MB = 1_000_000;

export interface FakeImage {
  /** "sha256:<64 hex>" */
  id: string;
  repoTags: string[];
  repoDigests: string[];
  /** bytes of all its layers */
  size: number;
  /** bytes of its layers other images have too */
  sharedSize: number;
  /** unix ms */
  createdAt: number;
  /** default: the store's containers that use it */
  containers?: number;
}

export interface FakeVolume {
  name: string;
  /** default "local" */
  driver?: string;
  /** bytes; -1 = not measured (what dockerd says for other drivers) */
  size: number;
  /** default: the store's containers that mount it (FakeDisk.containers) */
  refCount?: number;
}

export interface FakeBuildRecord {
  id: string;
  /** "regular", "source.local", "internal", "frontend", "exec.cachemount" */
  type: string;
  size: number;
  inUse: boolean;
  shared: boolean;
}

export interface FakeContainerDisk {
  /** writable layer, bytes; default from the container's seed (a few MB) */
  sizeRw?: number;
  /** default: sizeRw plus its image's size */
  sizeRootFs?: number;
  /** names of volumes it mounts */
  volumes?: string[];
}

/** Everything in it is optional: an empty FakeDisk describes a daemon with only its containers' images. */
export interface FakeDisk {
  /** images no container uses, or that override a derived one (same id) */
  images: FakeImage[];
  volumes: FakeVolume[];
  buildCache: FakeBuildRecord[];
  /** by container id or name */
  containers: Record<string, FakeContainerDisk>;
  /** LayersSize; default: every image's own part plus the largest shared part (one common base) */
  layersSize?: number;
}

export function emptyDisk(): FakeDisk {
  return { images: [], volumes: [], buildCache: [], containers: {} };
}

/** The image a container's imageId names, when no test said otherwise: 5-100 MB, nothing shared. */
function derivedImage(c: FakeContainer): FakeImage {
  return {
    id: c.imageId,
    repoTags: [c.image.includes(':') ? c.image : `${c.image}:latest`],
    repoDigests: [],
    size: (5 + (seedOf(c.imageId) % 96)) * MB,
    sharedSize: 0,
    createdAt: c.createdAt - 24 * 3_600_000,
  };
}

export interface DfOptions {
  /** `type=` values when the request's API version takes them (1.42+); empty = everything */
  types?: ReadonlySet<string>;
  now?: number;
}

export function dfBody(containers: readonly FakeContainer[], disk: FakeDisk, opts: DfOptions = {}): string {
  const now = opts.now ?? Date.now();
  const want = (t: string): boolean => !opts.types || opts.types.size === 0 || opts.types.has(t);

  const images = new Map<string, FakeImage>();
  for (const c of containers) if (!images.has(c.imageId)) images.set(c.imageId, derivedImage(c));
  for (const i of disk.images) images.set(i.id, i);
  const users = new Map<string, number>();
  for (const c of containers) users.set(c.imageId, (users.get(c.imageId) ?? 0) + 1);

  const perContainer = (c: FakeContainer): FakeContainerDisk => disk.containers[c.id] ?? disk.containers[c.name] ?? {};
  const mounts = new Map<string, number>();
  for (const c of containers) for (const v of perContainer(c).volumes ?? []) mounts.set(v, (mounts.get(v) ?? 0) + 1);

  const out: Record<string, unknown> = {};
  if (want('image')) {
    let own = 0;
    let shared = 0;
    for (const i of images.values()) {
      own += i.size - i.sharedSize;
      shared = Math.max(shared, i.sharedSize);
    }
    out.LayersSize = disk.layersSize ?? own + shared;
    out.Images = nullIfEmpty(
      [...images.values()].map((i) => ({
        Containers: i.containers ?? users.get(i.id) ?? 0,
        Created: Math.floor(i.createdAt / 1000),
        Id: i.id,
        Labels: null,
        ParentId: '',
        RepoDigests: i.repoDigests,
        RepoTags: i.repoTags,
        SharedSize: i.sharedSize,
        Size: i.size,
        VirtualSize: i.size,
      })),
    );
  }
  if (want('container')) {
    out.Containers = nullIfEmpty(
      containers.map((c) => {
        const d = perContainer(c);
        const rw = d.sizeRw ?? 4096 + (c.seed % 50) * MB;
        const rootFs = d.sizeRootFs ?? rw + (images.get(c.imageId)?.size ?? 0);
        const entry = JSON.parse(listEntry(c, now)) as Record<string, unknown>;
        // omitempty: a 0 is left out, as dockerd writes it
        if (rw > 0) entry.SizeRw = rw;
        if (rootFs > 0) entry.SizeRootFs = rootFs;
        entry.Mounts = (d.volumes ?? []).map((name) => ({
          Type: 'volume',
          Name: name,
          Source: `/var/lib/docker/volumes/${name}/_data`,
          Destination: `/data/${name}`,
          Driver: 'local',
          Mode: 'z',
          RW: true,
          Propagation: '',
        }));
        return entry;
      }),
    );
  }
  if (want('volume')) {
    out.Volumes = nullIfEmpty(
      disk.volumes.map((v) => ({
        CreatedAt: goTime(now - 3_600_000).replace(/\.\d+Z$/, 'Z'),
        Driver: v.driver ?? 'local',
        Labels: null,
        Mountpoint: `/var/lib/docker/volumes/${v.name}/_data`,
        Name: v.name,
        Options: null,
        Scope: 'local',
        UsageData: { RefCount: v.refCount ?? mounts.get(v.name) ?? 0, Size: v.size },
      })),
    );
  }
  if (want('build-cache')) {
    out.BuildCache = nullIfEmpty(
      disk.buildCache.map((b) => ({
        ID: b.id,
        Parent: '',
        Type: b.type,
        Description: `mount / from exec /bin/sh -c ${b.id}`,
        InUse: b.inUse,
        Shared: b.shared,
        Size: b.size,
        CreatedAt: goTime(now - 7_200_000),
        LastUsedAt: goTime(now - 600_000),
        UsageCount: 1 + (seedOf(b.id) % 9),
      })),
    );
  }
  return `${JSON.stringify(out)}\n`;
}

const nullIfEmpty = <T>(items: T[]): T[] | null => (items.length === 0 ? null : items);

/** A build cache record with a stable id. */
export function buildRecord(key: string, size: number, flags: { inUse?: boolean; shared?: boolean; type?: string } = {}): FakeBuildRecord {
  return { id: sha256Hex(`build:${key}`).slice(0, 25), type: flags.type ?? 'regular', size, inUse: flags.inUse ?? false, shared: flags.shared ?? false };
}
