// Per-host and probe metrics: always on. The seed's probe metrics, each now labelled by host.
import { DISK_DROPPED, DISK_TYPES, type ConnectionMetricNames, type ConnectionStats, type DiskTotals, type Histogram, type HostSnapshot } from '../../model.ts';
import { MAX_INTERFACES } from '../../stats/layout.ts';
import { escapeLabelValue, formatValue, labelText, type Exposition } from '../exposition.ts';
import { writePerHost, type FamilyDescriptor, type PerHostMetric } from '../family.ts';
import { hostLabels } from '../label-cache.ts';

const PROBE_METRICS: readonly PerHostMetric<HostSnapshot>[] = [
  { name: 'docker_host_up', type: 'gauge', help: 'Whether the probe of the Docker daemon serving this scrape succeeded (1) or not (0); 0 while a late host is served its last snapshot.', value: (h) => (h.up ? 1 : 0) },
  { name: 'docker_host_snapshot_age_seconds', type: 'gauge', help: 'Age of the container data served for the host: about 0 from a fresh probe, more while a late host is served its last snapshot; absent when none is served.', value: (h) => h.snapshotAgeSeconds },
  { name: 'machine_cpu_cores', type: 'gauge', help: 'Number of CPU cores of the Docker host, as the daemon reports (NCPU).', value: (h) => h.info?.ncpu ?? NaN },
  { name: 'machine_memory_bytes', type: 'gauge', help: 'Memory of the Docker host in bytes, as the daemon reports (MemTotal).', value: (h) => h.info?.memTotal ?? NaN },
  { name: 'docker_containers', type: 'gauge', help: 'Number of containers that exist.', value: (h) => (h.containers ? h.containerCount : NaN) },
  { name: 'docker_probe_list_containers_failed_total', type: 'counter', help: 'How many times the attempt to list all containers has failed.', value: (h) => h.counters.listFailed },
  { name: 'docker_probe_inline_timeouts_total', type: 'counter', help: 'Total number of times we have forced the scrape to happen in the background and returned outdated data because performing an update inline took too long.', value: (h) => h.counters.inlineTimeouts },
  { name: 'docker_probe_late_completions_total', type: 'counter', help: 'Probes that finished in the background after their scrape had been served without them.', value: (h) => h.counters.lateProbes },
  { name: 'docker_probe_dropped_interfaces_total', type: 'counter', help: `Network interfaces left out of container stats beyond the cap of ${MAX_INTERFACES} per container, summed over probes.`, value: (h) => h.counters.droppedInterfaces },
  { name: 'docker_probe_successfully_completed_time', type: 'gauge', help: 'When the last Docker probe was successfully completed, unix seconds.', value: (h) => h.lastSuccess },
];

/**
 * Each transport that keeps a connection (ssh) names its own series (ConnectionMetricNames);
 * a host has them under its transport's names only.
 */
function connectionMetrics(n: ConnectionMetricNames): readonly PerHostMetric<ConnectionStats | undefined>[] {
  let metrics = CONNECTION_METRICS.get(n);
  if (metrics === undefined) CONNECTION_METRICS.set(n, (metrics = connectionMetricsOf(n)));
  return metrics;
}

/** made once per transport's names (a constant of its descriptor), not at every render */
const CONNECTION_METRICS = new WeakMap<ConnectionMetricNames, readonly PerHostMetric<ConnectionStats | undefined>[]>();

function connectionMetricsOf(n: ConnectionMetricNames): readonly PerHostMetric<ConnectionStats | undefined>[] {
  return [
    { name: `${n.prefix}_connected`, type: 'gauge', help: `Whether the ${n.connection} to the host is connected (${n.hosts}).`, value: (c) => (c ? (c.connected ? 1 : 0) : NaN) },
    { name: `${n.prefix}_connects_total`, type: 'counter', help: `${n.what} connections established to the host (${n.hosts}).`, value: (c) => c?.connects ?? NaN },
    { name: `${n.prefix}_reconnects_total`, type: 'counter', help: `${n.what} reconnections after a dropped connection (${n.hosts}).`, value: (c) => c?.reconnects ?? NaN },
    { name: `${n.prefix}_failures_total`, type: 'counter', help: `Failed ${n.what} connection attempts (${n.hosts}).`, value: (c) => c?.failures ?? NaN },
  ];
}

// From the host's last GET /system/df, run in the background every collection.disk_interval.
const DISK_METRICS: readonly PerHostMetric<HostSnapshot>[] = [
  { name: 'docker_host_images', type: 'gauge', help: 'Images on the host (docker system df TOTAL), from its last disk usage walk.', value: (h) => h.disk?.usage?.totals.images.count ?? NaN },
  { name: 'docker_host_dangling_images', type: 'gauge', help: 'Images with no tag and no digest (<none>:<none>), from the host\'s last disk usage walk.', value: (h) => h.disk?.usage?.danglingImages ?? NaN },
  { name: 'docker_host_volumes', type: 'gauge', help: 'Volumes on the host (docker system df TOTAL), from its last disk usage walk.', value: (h) => h.disk?.usage?.totals.volumes.count ?? NaN },
  { name: 'docker_host_disk_usage_age_seconds', type: 'gauge', help: 'Seconds since the disk figures served were measured (GET /system/df, in the background every collection.disk_interval); absent until one succeeded.', value: (h) => h.disk?.ageSeconds ?? NaN },
  { name: 'docker_host_disk_usage_failures_total', type: 'counter', help: 'Disk usage walks (GET /system/df) that failed or passed their deadline.', value: (h) => h.disk?.failures ?? NaN },
];

const DISK_BY_TYPE: readonly { name: string; help: string; pick(t: DiskTotals): number }[] = [
  { name: 'docker_host_disk_usage_bytes', help: 'Disk used by Docker on the host by type, as docker system df counts it (SIZE), from its last disk usage walk.', pick: (t) => t.sizeBytes },
  { name: 'docker_host_disk_reclaimable_bytes', help: 'Disk docker system prune could free on the host by type, as docker system df counts it (RECLAIMABLE), from its last disk usage walk.', pick: (t) => t.reclaimableBytes },
];

const HISTOGRAMS: readonly { name: string; help: string; pick(h: HostSnapshot): Histogram }[] = [
  { name: 'docker_probe_duration_seconds', help: 'How long it takes to query Docker for the complete data set. Includes failed requests.', pick: (h) => h.counters.probeDuration },
  { name: 'docker_probe_list_containers_duration_seconds', help: 'How long it takes to query Docker for the list of containers. Includes failed requests.', pick: (h) => h.counters.listDuration },
  { name: 'docker_probe_inspect_duration_seconds', help: 'How long it takes to query Docker for basic information about a single container. Includes failed requests.', pick: (h) => h.counters.inspectDuration },
  { name: 'docker_probe_stats_duration_seconds', help: 'How long it takes to query Docker for resource usage of a single container. Includes failed requests.', pick: (h) => h.counters.statsDuration },
];

const INFO_LABELS = ['server_version', 'api_version', 'os', 'kernel_version', 'architecture', 'storage_driver', 'cgroup_version'] as const;

function writeHistogram(out: Exposition, name: string, labels: string, hist: Histogram): void {
  let cumulative = 0;
  for (let i = 0; i <= hist.bounds.length; i++) {
    cumulative += hist.counts[i]!;
    const le = i < hist.bounds.length ? formatValue(hist.bounds[i]!) : '+Inf';
    out.sample(`${name}_bucket`, `${labels},le="${le}"`, cumulative);
  }
  out.sample(`${name}_sum`, labels, hist.sum);
  out.sample(`${name}_count`, labels, hist.count);
}

export const hostFamily: FamilyDescriptor = {
  name: 'host',
  optional: false,
  // `host` is on every series; `name` on docker_probe_container_failed_total
  labels: ['host', 'name', 'le', 'type', 'volume', ...INFO_LABELS],
  create: () => ({ collect }),
};

/** Pauses between its tables: at L each is 200 hosts' series, a few ms of them. */
function* collect(hosts: readonly HostSnapshot[], out: Exposition): Generator<void> {
  const labels = hosts.map(hostLabels);
  writePerHost(out, PROBE_METRICS, hosts, labels);
  yield;
  const transports = new Map<string, ConnectionMetricNames>();
  for (const h of hosts) if (h.transport && !transports.has(h.transport.names.prefix)) transports.set(h.transport.names.prefix, h.transport.names);
  for (const names of transports.values()) {
    const stats = hosts.map((h) => (h.transport?.names.prefix === names.prefix ? h.transport : undefined));
    writePerHost(out, connectionMetrics(names), stats, labels);
  }
  writePerHost(out, DISK_METRICS, hosts, labels);
  yield;
  out.family('docker_host_info', 'gauge', 'Docker daemon facts; the value is always 1.');
  hosts.forEach((h, i) => {
    const info = h.info;
    if (!info) return;
    const v = [info.serverVersion, info.apiVersion, info.os, info.kernelVersion, info.architecture, info.storageDriver, info.cgroupVersion];
    out.sample('docker_host_info', `${labels[i]},${labelText(INFO_LABELS.map((k, j) => [k, v[j]!] as const))}`, 1);
  });
  out.family('docker_probe_container_failed_total', 'counter', 'Number of times the exporter failed to collect information about a specific container.');
  hosts.forEach((h, i) => {
    // Kept by id, shown by the current name; two ids under one name (a name reused while
    // both are listed) would otherwise be two series with the same labels.
    const byName = new Map<string, number>();
    for (const { name, count } of h.counters.containerFailed.values()) byName.set(name, (byName.get(name) ?? 0) + count);
    for (const [name, n] of byName) out.sample('docker_probe_container_failed_total', `${labels[i]},name="${escapeLabelValue(name)}"`, n);
  });
  yield;
  for (const m of HISTOGRAMS) {
    out.family(m.name, 'histogram', m.help);
    hosts.forEach((h, i) => writeHistogram(out, m.name, labels[i]!, m.pick(h)));
    yield;
  }
  for (const m of DISK_BY_TYPE) {
    out.family(m.name, 'gauge', m.help);
    hosts.forEach((h, i) => {
      const totals = h.disk?.usage?.totals;
      if (totals) for (const type of DISK_TYPES) out.sample(m.name, `${labels[i]},type="${type}"`, m.pick(totals[type]));
    });
  }
  out.family('docker_host_disk_usage_dropped_items', 'gauge', 'Items of the host\'s last disk usage walk counted in its totals but beyond the caps on what is kept of each (16384 containers, 16384 volumes, 16384 container volume names): they have no series of their own.');
  hosts.forEach((h, i) => {
    const dropped = h.disk?.usage?.dropped;
    if (dropped) for (const type of DISK_DROPPED) out.sample('docker_host_disk_usage_dropped_items', `${labels[i]},type="${type}"`, dropped[type]);
  });
  out.family('docker_volume_usage_bytes', 'gauge', 'Bytes of a volume an exported container mounts (at most collection.disk_max_volumes per host, the largest), from the host\'s last disk usage walk.');
  hosts.forEach((h, i) => {
    for (const [volume, bytes] of h.disk?.volumes ?? []) out.sample('docker_volume_usage_bytes', `${labels[i]},volume="${escapeLabelValue(volume)}"`, bytes);
  });
}
