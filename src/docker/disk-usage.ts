// GET /system/df -> what fills a Docker host's disk, counted as `docker system df` counts it
// (docker/cli up to 28: cli/command/system/df.go and cli/command/formatter/disk_usage.go).
// Tolerant like decode.ts: a missing or mistyped field counts as nothing, never an exception.
import type { ContainerDisk, DiskUsage } from '../model.ts';
import { asRecord, isRecord, num, str } from '../util/json.ts';

/**
 * The daemon omits SizeRw and SizeRootFs when they are 0 (Go `omitempty`), and says -1 for a
 * size or count it did not compute: both count as 0 in the CLI's sums, and so here.
 */
const size = (v: unknown): number => {
  const n = num(v);
  return n > 0 ? n : 0;
};

const ACTIVE_STATES = new Set(['running', 'paused', 'restarting']);

/** The legacy shape (API < 1.52; the exporter speaks at most 1.51): every item listed. */
export function decodeDiskUsage(body: unknown): DiskUsage | string {
  if (!isRecord(body)) return 'disk usage is not an object';
  const df = body;
  const images = list(df.Images);
  const containerItems = list(df.Containers);
  const volumeItems = list(df.Volumes);
  const buildCache = list(df.BuildCache);
  if (!images || !containerItems || !volumeItems || !buildCache) return 'disk usage: Images, Containers, Volumes and BuildCache must be lists (or null)';

  // Images: SIZE is every layer once (LayersSize); what is not reclaimable is the part of each
  // image in use that no other image shares (Size - SharedSize). A layer an unused image shares
  // with one in use counts as reclaimable, as the CLI counts it (docker 29's CLI counts only the
  // unique part of each unused image instead, and so misses layers unused images share).
  const layersSize = size(df.LayersSize);
  let imagesInUse = 0;
  let dangling = 0;
  for (const i of images) {
    if (num(i.Containers) > 0) {
      const s = num(i.Size);
      const shared = num(i.SharedSize);
      if (s >= 0 && shared >= 0) imagesInUse += s - shared;
    }
    if (isDangling(i)) dangling++;
  }

  const containers = new Map<string, ContainerDisk>();
  let containersSize = 0;
  let containersReclaimable = 0;
  for (const c of containerItems) {
    const rw = size(c.SizeRw);
    containersSize += rw;
    if (!ACTIVE_STATES.has(str(c.State).toLowerCase())) containersReclaimable += rw;
    const id = str(c.Id);
    if (id !== '') containers.set(id, { rwBytes: rw, rootFsBytes: size(c.SizeRootFs), volumes: volumeNames(c.Mounts) });
  }

  const volumes = new Map<string, number>();
  let volumesSize = 0;
  let volumesReclaimable = 0;
  for (const v of volumeItems) {
    const usage = asRecord(v.UsageData);
    const refs = num(usage.RefCount);
    const bytes = num(usage.Size);
    // -1: not measured (a volume driver other than local)
    if (!(bytes >= 0)) continue;
    volumesSize += bytes;
    if (refs === 0) volumesReclaimable += bytes;
    const name = str(v.Name);
    if (name !== '') volumes.set(name, bytes);
  }

  // Build cache: a record shared with another is counted once, under the other.
  let cacheSize = 0;
  let cacheInUse = 0;
  for (const b of buildCache) {
    const bytes = size(b.Size);
    const shared = b.Shared === true;
    if (!shared) cacheSize += bytes;
    if (b.InUse === true && !shared) cacheInUse += bytes;
  }

  return {
    totals: {
      images: { count: images.length, sizeBytes: layersSize, reclaimableBytes: Math.max(0, layersSize - imagesInUse) },
      containers: { count: containerItems.length, sizeBytes: containersSize, reclaimableBytes: containersReclaimable },
      volumes: { count: volumeItems.length, sizeBytes: volumesSize, reclaimableBytes: volumesReclaimable },
      build_cache: { count: buildCache.length, sizeBytes: cacheSize, reclaimableBytes: cacheSize - cacheInUse },
    },
    danglingImages: dangling,
    containers,
    volumes,
  };
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

/** null when present and not a list; a missing or null list is empty (the daemon writes null for none). */
function list(v: unknown): Record<string, unknown>[] | null {
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v.map(asRecord) : null;
}

/** As the docker CLI's isDangling: no tag and no digest, or only the `<none>` placeholders. */
function isDangling(i: Record<string, unknown>): boolean {
  const tags = Array.isArray(i.RepoTags) ? i.RepoTags.map(str) : [];
  const digests = Array.isArray(i.RepoDigests) ? i.RepoDigests.map(str) : [];
  if (tags.length === 0 && digests.length === 0) return true;
  return tags.length === 1 && tags[0] === '<none>:<none>' && digests.length === 1 && digests[0] === '<none>@<none>';
}

function volumeNames(mounts: unknown): string[] {
  if (!Array.isArray(mounts)) return [];
  const names: string[] = [];
  for (const raw of mounts) {
    const m = asRecord(raw);
    const name = str(m.Name);
    if (str(m.Type) === 'volume' && name !== '' && !names.includes(name)) names.push(name);
  }
  return names;
}
