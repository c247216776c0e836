// cAdvisor's names and units, so dashboards built on cAdvisor work against this exporter.
import type { NetworkSample } from '../../stats/layout.ts';
import { F } from '../../stats/layout.ts';
import { escapeLabelValue, labelBytes, nameBytes } from '../exposition.ts';
import { PAUSE_MASK, stat, workingSet, writeContainerMetrics, type ContainerMetric, type FamilyDescriptor } from '../family.ts';

const NS = 1e9;

const METRICS: readonly ContainerMetric[] = [
  { name: 'container_cpu_usage_seconds_total', type: 'counter', help: 'Cumulative cpu time consumed in seconds.', value: (c) => stat(c, F.cpuTotalNs) / NS },
  { name: 'container_cpu_user_seconds_total', type: 'counter', help: 'Cumulative user cpu time consumed in seconds.', value: (c) => stat(c, F.cpuUserNs) / NS },
  { name: 'container_cpu_system_seconds_total', type: 'counter', help: 'Cumulative system cpu time consumed in seconds.', value: (c) => stat(c, F.cpuSystemNs) / NS },
  { name: 'container_cpu_cfs_periods_total', type: 'counter', help: 'Number of elapsed enforcement period intervals.', value: (c) => stat(c, F.cfsPeriods) },
  { name: 'container_cpu_cfs_throttled_periods_total', type: 'counter', help: 'Number of throttled period intervals.', value: (c) => stat(c, F.cfsThrottledPeriods) },
  { name: 'container_cpu_cfs_throttled_seconds_total', type: 'counter', help: 'Total time duration the container has been throttled.', value: (c) => stat(c, F.cfsThrottledNs) / NS },
  { name: 'container_memory_usage_bytes', type: 'gauge', help: 'Current memory usage in bytes, including all memory regardless of when it was accessed.', value: (c) => stat(c, F.memUsage) },
  { name: 'container_memory_working_set_bytes', type: 'gauge', help: 'Current working set in bytes (usage minus inactive file cache).', value: workingSet },
  { name: 'container_memory_rss', type: 'gauge', help: 'Size of RSS in bytes.', value: (c) => stat(c, F.memRss) },
  { name: 'container_memory_cache', type: 'gauge', help: 'Number of bytes of page cache memory.', value: (c) => stat(c, F.memCache) },
  // A counter in cAdvisor, but without _total; a gauge here so promtool's lint stays clean. cgroup v1 only.
  { name: 'container_memory_failcnt', type: 'gauge', help: 'Number of memory usage hits limits (cgroup v1 only).', value: (c) => stat(c, F.memFailcnt) },
  { name: 'container_fs_reads_bytes_total', type: 'counter', help: 'Cumulative count of bytes read.', value: (c) => stat(c, F.blkReadBytes) },
  { name: 'container_fs_writes_bytes_total', type: 'counter', help: 'Cumulative count of bytes written.', value: (c) => stat(c, F.blkWriteBytes) },
  { name: 'container_processes', type: 'gauge', help: 'Number of processes running inside the container.', value: (c) => stat(c, F.pids) },
  // Limits as the kernel applies them (docker/limits.ts); no series where there is none.
  { name: 'container_spec_memory_limit_bytes', type: 'gauge', help: 'Memory limit for the container; absent without one.', value: (c) => c.inspect.limits.memoryBytes },
  { name: 'container_spec_memory_reservation_limit_bytes', type: 'gauge', help: 'Memory reservation (soft limit) for the container; absent without one.', value: (c) => c.inspect.limits.memoryReservationBytes },
  { name: 'container_spec_memory_swap_limit_bytes', type: 'gauge', help: 'Memory plus swap limit for the container; absent when unlimited.', value: (c) => c.inspect.limits.memorySwapBytes },
  { name: 'container_spec_cpu_quota', type: 'gauge', help: 'CPU quota of the container, microseconds of CPU time per period; absent without a CPU limit.', value: (c) => c.inspect.limits.cpuQuota },
  { name: 'container_spec_cpu_period', type: 'gauge', help: 'CPU period of the container, in microseconds (the kernel default 100000 unless set).', value: (c) => c.inspect.limits.cpuPeriod },
  { name: 'container_spec_cpu_shares', type: 'gauge', help: 'CPU shares of the container (1024 unless set).', value: (c) => c.inspect.limits.cpuShares },
  { name: 'container_spec_cpuset_cpus', type: 'gauge', help: 'Number of CPUs the container may run on (its cpuset); absent without a cpuset.', value: (c) => c.inspect.limits.cpusetCpus },
  { name: 'container_spec_pids_limit', type: 'gauge', help: 'Maximum number of processes in the container; absent when unlimited.', value: (c) => c.inspect.limits.pids },
  // From the host's last background GET /system/df (collection.disk_interval), as `docker ps --size`.
  { name: 'container_fs_usage_bytes', type: 'gauge', help: 'Bytes of the container\'s writable layer (SizeRw, as docker ps --size shows it), from the host\'s last disk usage walk.', value: (c, h) => h.disk?.usage?.containers.get(c.ident.id)?.rwBytes ?? NaN },
  { name: 'container_fs_rootfs_bytes', type: 'gauge', help: 'Bytes of the container\'s root filesystem: writable layer plus image (SizeRootFs), from the host\'s last disk usage walk.', value: (c, h) => h.disk?.usage?.containers.get(c.ident.id)?.rootFsBytes ?? NaN },
  { name: 'container_start_time_seconds', type: 'gauge', help: 'Start time of the container since unix epoch in seconds.', value: (c) => c.inspect.startedAt },
  { name: 'container_last_seen', type: 'gauge', help: 'Last time a container was seen by the exporter, unix seconds.', value: (c) => c.lastSeen },
];

const NETWORK: readonly { name: string; help: string; key: keyof Omit<NetworkSample, 'iface'> }[] = [
  { name: 'container_network_receive_bytes_total', help: 'Cumulative count of bytes received.', key: 'rxBytes' },
  { name: 'container_network_receive_packets_total', help: 'Cumulative count of packets received.', key: 'rxPackets' },
  { name: 'container_network_receive_errors_total', help: 'Cumulative count of errors encountered while receiving.', key: 'rxErrors' },
  { name: 'container_network_receive_packets_dropped_total', help: 'Cumulative count of packets dropped while receiving.', key: 'rxDropped' },
  { name: 'container_network_transmit_bytes_total', help: 'Cumulative count of bytes transmitted.', key: 'txBytes' },
  { name: 'container_network_transmit_packets_total', help: 'Cumulative count of packets transmitted.', key: 'txPackets' },
  { name: 'container_network_transmit_errors_total', help: 'Cumulative count of errors encountered while transmitting.', key: 'txErrors' },
  { name: 'container_network_transmit_packets_dropped_total', help: 'Cumulative count of packets dropped while transmitting.', key: 'txDropped' },
];

/** `interface="…"` as bytes, by interface name; a handful of names in practice, bounded anyway. */
function interfaceLabels(): (iface: string) => Buffer {
  const byName = new Map<string, Buffer>();
  return (iface) => {
    let bytes = byName.get(iface);
    if (bytes === undefined) {
      if (byName.size >= 1024) byName.clear();
      byName.set(iface, (bytes = labelBytes(`interface="${escapeLabelValue(iface)}"`)));
    }
    return bytes;
  };
}

export const cadvisorFamily: FamilyDescriptor = {
  name: 'cadvisor',
  optional: true,
  labels: ['name', 'id', 'image', 'interface'],
  create({ labels }) {
    const set = labels.define((i) => [['name', i.name], ['id', i.id], ['image', i.image]]);
    const ifaceLabel = interfaceLabels();
    return {
      *collect(hosts, out, render) {
        yield* writeContainerMetrics(hosts, out, render, METRICS, set);
        // the container's label bytes plus the interface's: nothing encoded per series
        const rows: [Buffer, Buffer, NetworkSample][] = [];
        for (const h of hosts) {
          for (const c of h.containers ?? []) {
            if (!c.stats) continue;
            const base = render.of(h, c, set);
            for (const n of c.stats.networks) rows.push([base, ifaceLabel(n.iface), n]);
          }
          yield;
        }
        for (const m of NETWORK) {
          out.family(m.name, 'counter', m.help);
          const name = nameBytes(m.name);
          for (let i = 0; i < rows.length; i++) {
            const [base, iface, n] = rows[i]!;
            out.sampleBytes(name, base, n[m.key], iface);
            if ((i & PAUSE_MASK) === PAUSE_MASK) yield;
          }
          yield;
        }
      },
    };
  },
};
