// docker_exporter's metrics, names and help texts kept so its dashboards keep working.
// Types: the seed made its cumulative values gauges "because we do not know when Docker might
// reset the values"; Prometheus counters handle resets, and a gauge named *_total fails
// promtool's lint, so the two CPU totals are counters. restart_count stays a gauge in meaning
// but is written untyped: the lint reserves _count for histograms except on untyped metrics.
import type { ContainerSnapshot } from '../../model.ts';
import { F } from '../../stats/layout.ts';
import { stat, writeContainerMetrics, type ContainerMetric, type FamilyDescriptor } from '../family.ts';

/** Restarting is tested before Running (a restarting container also reports Running: tested the other way, 0.5 never showed); the states are exclusive. */
function runningState(c: ContainerSnapshot): number {
  return c.state === 'restarting' ? 0.5 : c.state === 'running' ? 1 : 0;
}

function netSum(c: ContainerSnapshot, key: 'rxBytes' | 'txBytes'): number {
  if (!c.stats) return NaN;
  let sum = 0;
  for (const n of c.stats.networks) sum += n[key];
  return sum;
}

const METRICS: readonly ContainerMetric[] = [
  { name: 'docker_container_running_state', type: 'gauge', help: 'Whether the container is running (value 1), restarting (value 0.5) or stopped (value 0).', value: runningState },
  { name: 'docker_container_restart_count', type: 'untyped', help: 'Number of times the runtime has restarted this container without explicit user action, since the container was last started.', value: (c) => c.inspect.restartCount },
  { name: 'docker_container_start_time_seconds', type: 'gauge', help: 'Timestamp indicating when the container was started. Does not get reset by automatic restarts.', value: (c) => c.inspect.startedAt },
  { name: 'docker_container_cpu_used_total', type: 'counter', help: 'Accumulated CPU usage of a container, in unspecified units, averaged for all logical CPUs usable by the container.', value: (c) => stat(c, F.cpuTotalNs) },
  { name: 'docker_container_cpu_capacity_total', type: 'counter', help: 'All potential CPU usage available to a container, in unspecified units, averaged for all logical CPUs usable by the container. Start point of measurement is undefined - only relative values should be used in analytics.', value: (c) => stat(c, F.systemCpuNs) },
  { name: 'docker_container_memory_used_bytes', type: 'gauge', help: 'Memory usage of a container.', value: (c) => stat(c, F.memUsage) },
  { name: 'docker_container_network_in_bytes', type: 'gauge', help: "Total bytes received by the container's network interfaces.", value: (c) => netSum(c, 'rxBytes') },
  { name: 'docker_container_network_out_bytes', type: 'gauge', help: "Total bytes sent by the container's network interfaces.", value: (c) => netSum(c, 'txBytes') },
  { name: 'docker_container_disk_read_bytes', type: 'gauge', help: 'Total bytes read from disk by a container.', value: (c) => stat(c, F.blkReadBytes) },
  { name: 'docker_container_disk_write_bytes', type: 'gauge', help: 'Total bytes written to disk by a container.', value: (c) => stat(c, F.blkWriteBytes) },
];

export const dockerExporterFamily: FamilyDescriptor = {
  name: 'docker_exporter',
  optional: true,
  labels: ['name'],
  create({ labels }) {
    const set = labels.define((i) => [['name', i.name]]);
    return {
      *collect(hosts, out, render) {
        yield* writeContainerMetrics(hosts, out, render, METRICS, set);
      },
    };
  },
};
