// The Grafana dashboard, built from config.ts and the recording rules' names. Imported as
// community dashboards are: Grafana's import asks for the Prometheus of the input DS_PROMETHEUS
// (__inputs) and writes it wherever ${DS_PROMETHEUS} stands; the uid stays the same across
// versions, so a re-import replaces the dashboard. `job` picks one scrape job (a /metrics job and
// a /probe job of the same exporter would otherwise count every host twice), `host` and
// `container` are multi-value. Every query groups by `host`, never by `instance`.
import { config, type MonitoringConfig } from './config.ts';
import { DATASOURCE, DATASOURCE_INPUT, Layout, PANEL_NAMES, type Dashboard } from './panels.ts';

export function buildDashboard(c: MonitoringConfig = config): Dashboard {
  /** `metric{job="$job", <config.selector>, host=~"$host", <more>}` */
  const m = (metric: string, ...more: string[]) => `${metric}{${['job="$job"', c.selector, 'host=~"$host"', ...more].filter((x) => x !== '').join(', ')}}`;
  const C = 'name=~"$container"';
  const rate = (metric: string, ...more: string[]) => `rate(${m(metric, ...more)}[$__rate_interval])`;
  const byName = (agg: string, inner: string) => `${agg} by (host, name) (${inner})`;
  const L = new Layout();

  // ---- Fleet -------------------------------------------------------------------------------
  L.row('Fleet');
  L.add({ type: 'stat', title: 'Hosts up', w: 4, h: 4, queries: [`sum(${m('docker_host_up')})`] });
  L.add({ type: 'stat', title: 'Hosts down', w: 4, h: 4, redFrom: 1, count: true, queries: [`sum(1 - ${m('docker_host_up')})`] });
  L.add({ type: 'stat', title: 'Running containers', w: 4, h: 4, count: true, queries: [`sum(${m('host_state:container_state:sum', 'state="running"')})`] });
  L.add({ type: 'stat', title: 'Unhealthy containers', w: 4, h: 4, redFrom: 1, count: true, queries: [`sum(${m('host_status:container_health_status:sum', 'status="unhealthy"')})`] });
  L.add({ type: 'stat', title: 'CPU cores used', w: 4, h: 4, queries: [`sum(${m('host:container_cpu_usage_seconds:sum_rate')})`] });
  L.add({ type: 'stat', title: 'Memory working set', w: 4, h: 4, unit: 'bytes', queries: [`sum(${m('host:container_memory_working_set_bytes:sum')})`] });
  L.add({
    type: 'table',
    title: 'Hosts',
    description: 'Up, containers, CPU cores and memory in use against the machine, age of the data served.',
    w: 24,
    h: 7,
    instant: true,
    columns: ['Up', 'Containers', 'CPU cores used', 'CPU cores', 'Memory working set', 'Memory', 'Data age (s)'],
    queries: [
      `sum by (host) (${m('docker_host_up')})`,
      `sum by (host) (${m('docker_containers')})`,
      `sum by (host) (${m('host:container_cpu_usage_seconds:sum_rate')})`,
      `sum by (host) (${m('machine_cpu_cores')})`,
      `sum by (host) (${m('host:container_memory_working_set_bytes:sum')})`,
      `sum by (host) (${m('machine_memory_bytes')})`,
      `max by (host) (${m('docker_host_snapshot_age_seconds')})`,
    ],
  });
  L.add({ type: 'timeseries', title: 'Containers by state', w: 12, h: 8, stack: true, queries: [[`${m('host_state:container_state:sum')} > 0`, '{{host}} {{state}}']] });
  L.add({ type: 'timeseries', title: 'CPU cores used per host', w: 12, h: 8, queries: [[m('host:container_cpu_usage_seconds:sum_rate'), '{{host}}']] });
  L.add({ type: 'timeseries', title: 'Memory working set per host', w: 12, h: 8, unit: 'bytes', queries: [[m('host:container_memory_working_set_bytes:sum'), '{{host}}']] });
  L.add({
    type: 'timeseries',
    title: 'Network per host',
    w: 12,
    h: 8,
    unit: 'Bps',
    queries: [
      [m('host:container_network_receive_bytes:sum_rate'), '{{host}} receive'],
      [`-${m('host:container_network_transmit_bytes:sum_rate')}`, '{{host}} transmit'],
    ],
  });
  L.add({ type: 'bargauge', title: 'Top containers by CPU (cores)', w: 12, h: 8, instant: true, queries: [[`topk(10, ${byName('sum', rate('container_cpu_usage_seconds_total'))})`, '{{host}} / {{name}}']] });
  L.add({ type: 'bargauge', title: 'Top containers by memory', w: 12, h: 8, unit: 'bytes', instant: true, queries: [[`topk(10, ${byName('sum', m('container_memory_working_set_bytes'))})`, '{{host}} / {{name}}']] });
  L.add({ type: 'table', title: 'Unhealthy', w: 6, h: 8, instant: true, columns: ['Unhealthy'], queries: [`${byName('max', m('container_health_status', 'status="unhealthy"'))} == 1`] });
  L.add({ type: 'table', title: 'Restarted in the last hour', w: 6, h: 8, instant: true, columns: ['Restarts'], queries: [`${byName('max', `increase(${m('docker_container_restart_count')}[1h])`)} > 0`] });
  L.add({
    type: 'table',
    title: 'Exited non-zero',
    w: 6,
    h: 8,
    instant: true,
    columns: ['Exit code'],
    queries: [`${byName('max', `${m('container_exit_code')} != 0 and ignoring (state) ${m('container_state', 'state="exited"')} == 1`)}`],
  });
  L.add({
    type: 'table',
    title: 'OOM-killed',
    description: 'A: the last run ended OOM-killed. B: OOM events in the last hour (event stream).',
    w: 6,
    h: 8,
    instant: true,
    columns: ['Last run OOM-killed', 'OOM events (1h)'],
    queries: [`${byName('max', m('container_oom_killed'))} == 1`, `${byName('sum', `increase(${m('container_oom_events_total')}[1h])`)} > 0`],
  });

  // ---- One row per selected host -----------------------------------------------------------
  L.row('Host $host', 'host');
  L.add({ type: 'timeseries', title: 'CPU by container (cores)', w: 12, h: 8, queries: [[byName('sum', rate('container_cpu_usage_seconds_total')), '{{host}} / {{name}}']] });
  L.add({ type: 'timeseries', title: 'Memory working set by container', w: 12, h: 8, unit: 'bytes', queries: [[byName('sum', m('container_memory_working_set_bytes')), '{{host}} / {{name}}']] });
  L.add({
    type: 'bargauge',
    title: 'Memory used of limit',
    description: 'Working set over the memory limit, for containers that have one.',
    w: 12,
    h: 8,
    unit: 'percentunit',
    max: 1,
    instant: true,
    queries: [[byName('max', `${m('container_memory_working_set_bytes')} / (${m('container_spec_memory_limit_bytes')} > 0)`), '{{host}} / {{name}}']],
  });
  L.add({
    type: 'timeseries',
    title: 'CPU throttled',
    description: 'Share of CFS periods in which the container was throttled, for containers with a CPU quota.',
    w: 12,
    h: 8,
    unit: 'percentunit',
    max: 1,
    queries: [[`${byName('sum', rate('container_cpu_cfs_throttled_periods_total'))} / ${byName('sum', `${rate('container_cpu_cfs_periods_total')} > 0`)}`, '{{host}} / {{name}}']],
  });
  L.add({
    type: 'timeseries',
    title: 'Network by container',
    w: 12,
    h: 8,
    unit: 'Bps',
    queries: [
      [byName('sum', rate('container_network_receive_bytes_total')), '{{host}} / {{name}} receive'],
      [`-${byName('sum', rate('container_network_transmit_bytes_total'))}`, '{{host}} / {{name}} transmit'],
    ],
  });
  L.add({ type: 'timeseries', title: 'Restart count (containers that restarted)', w: 12, h: 8, queries: [[`${byName('max', m('docker_container_restart_count'))} > 0`, '{{host}} / {{name}}']] });
  L.add({
    type: 'timeseries',
    title: 'Probe duration (p90)',
    w: 8,
    h: 8,
    unit: 's',
    queries: [
      [`histogram_quantile(0.9, sum by (host, le) (${rate('docker_probe_duration_seconds_bucket')}))`, '{{host}} probe'],
      [`histogram_quantile(0.9, sum by (host, le) (${rate('docker_probe_stats_duration_seconds_bucket')}))`, '{{host}} stats'],
    ],
  });
  L.add({
    type: 'timeseries',
    title: 'Probe problems',
    description: 'Scrapes served without waiting for a late probe; failed container lists.',
    w: 8,
    h: 8,
    queries: [
      [`sum by (host) (increase(${m('docker_probe_inline_timeouts_total')}[$__rate_interval]))`, '{{host}} served without waiting'],
      [`sum by (host) (increase(${m('docker_probe_list_containers_failed_total')}[$__rate_interval]))`, '{{host}} list failed'],
    ],
  });
  L.add({ type: 'timeseries', title: 'Age of the data served', w: 8, h: 8, unit: 's', queries: [[`max by (host) (${m('docker_host_snapshot_age_seconds')})`, '{{host}}']] });
  L.add({
    type: 'timeseries',
    title: 'SSH connection',
    description: 'ssh:// hosts only: connected (1/0) and reconnects.',
    w: 8,
    h: 8,
    queries: [
      [`max by (host) (${m('docker_ssh_connected')})`, '{{host}} connected'],
      [`sum by (host) (increase(${m('docker_ssh_reconnects_total')}[$__rate_interval]))`, '{{host}} reconnects'],
    ],
  });
  L.add({ type: 'timeseries', title: 'Container events', w: 8, h: 8, queries: [[`sum by (host, event) (increase(${m('docker_host_container_events_total')}[$__rate_interval]))`, '{{host}} {{event}}']] });
  L.add({
    type: 'timeseries',
    title: 'Disk used by Docker',
    w: 8,
    h: 8,
    unit: 'bytes',
    queries: [
      [`sum by (host, type) (${m('docker_host_disk_usage_bytes')})`, '{{host}} {{type}}'],
      [`sum by (host, type) (${m('docker_host_disk_reclaimable_bytes')})`, '{{host}} {{type}} reclaimable'],
    ],
  });

  // ---- Selected containers -----------------------------------------------------------------
  L.row('Containers: $container');
  L.add({
    type: 'table',
    title: 'Containers',
    description: 'Image, state, health and restart policy of the selected containers.',
    w: 24,
    h: 6,
    instant: true,
    columns: ['', '', '', ''],
    queries: [
      `max by (host, name, image) (${m('container_info', C)})`,
      `max by (host, name, state) (${m('container_state', C)}) == 1`,
      `max by (host, name, status) (${m('container_health_status', C)}) == 1`,
      `max by (host, name, policy) (${m('container_restart_policy_info', C)})`,
    ],
  });
  L.add({
    type: 'timeseries',
    title: 'CPU (cores) and limit',
    w: 12,
    h: 8,
    queries: [
      [byName('sum', rate('container_cpu_usage_seconds_total', C)), '{{host}} / {{name}}'],
      [`${byName('max', `${m('container_spec_cpu_quota', C)} > 0`)} / ${byName('max', `${m('container_spec_cpu_period', C)} > 0`)}`, '{{host}} / {{name}} limit'],
    ],
  });
  L.add({
    type: 'timeseries',
    title: 'Memory and limit',
    w: 12,
    h: 8,
    unit: 'bytes',
    queries: [
      [byName('sum', m('container_memory_working_set_bytes', C)), '{{host}} / {{name}} working set'],
      [byName('sum', m('container_memory_usage_bytes', C)), '{{host}} / {{name}} usage'],
      [byName('max', `${m('container_spec_memory_limit_bytes', C)} > 0`), '{{host}} / {{name}} limit'],
    ],
  });
  L.add({
    type: 'timeseries',
    title: 'Network',
    w: 8,
    h: 8,
    unit: 'Bps',
    queries: [
      [byName('sum', rate('container_network_receive_bytes_total', C)), '{{host}} / {{name}} receive'],
      [`-${byName('sum', rate('container_network_transmit_bytes_total', C))}`, '{{host}} / {{name}} transmit'],
    ],
  });
  L.add({
    type: 'timeseries',
    title: 'Block I/O',
    w: 8,
    h: 8,
    unit: 'Bps',
    queries: [
      [byName('sum', rate('container_fs_reads_bytes_total', C)), '{{host}} / {{name}} read'],
      [`-${byName('sum', rate('container_fs_writes_bytes_total', C))}`, '{{host}} / {{name}} write'],
    ],
  });
  L.add({
    type: 'timeseries',
    title: 'Processes and limit',
    w: 8,
    h: 8,
    queries: [
      [byName('max', m('container_processes', C)), '{{host}} / {{name}}'],
      [byName('max', m('container_spec_pids_limit', C)), '{{host}} / {{name}} limit'],
    ],
  });
  L.add({ type: 'timeseries', title: 'Writable layer size', w: 8, h: 8, unit: 'bytes', queries: [[byName('max', m('container_fs_usage_bytes', C)), '{{host}} / {{name}}']] });
  L.add({ type: 'timeseries', title: 'Events', w: 8, h: 8, queries: [[`sum by (host, name, event) (increase(${m('container_events_total', C)}[$__rate_interval]))`, '{{host}} / {{name}} {{event}}']] });
  L.add({
    type: 'timeseries',
    title: 'Restarts and exit code',
    w: 8,
    h: 8,
    queries: [
      [byName('max', m('docker_container_restart_count', C)), '{{host}} / {{name}} restarts'],
      [byName('max', m('container_exit_code', C)), '{{host}} / {{name}} exit code'],
    ],
  });

  // ---- Swarm clusters (series without host: one per cluster, from one manager) ---------------
  /** `metric{job="$job", <config.selector>, cluster_id=~"$cluster", <more>}` */
  const sw = (metric: string, ...more: string[]) => `${metric}{${['job="$job"', c.selector, 'cluster_id=~"$cluster"', ...more].filter((x) => x !== '').join(', ')}}`;
  const byService = (agg: string, inner: string) => `${agg} by (cluster_id, stack, service) (${inner})`;
  L.row('Swarm');
  L.add({ type: 'stat', title: 'Services below desired', w: 6, h: 4, redFrom: 1, count: true, queries: [`count(${sw('docker_swarm_service_running_tasks')} < ${sw('docker_swarm_service_desired_tasks')})`] });
  L.add({ type: 'stat', title: 'Nodes not ready', w: 6, h: 4, redFrom: 1, count: true, queries: [`sum(${sw('docker_swarm_nodes', 'status!="ready"')})`] });
  L.add({ type: 'stat', title: 'Nodes ready', w: 6, h: 4, count: true, queries: [`sum(${sw('docker_swarm_nodes', 'status="ready"')})`] });
  L.add({ type: 'stat', title: 'Clusters without a manager answering', w: 6, h: 4, redFrom: 1, count: true, queries: [`sum(1 - ${sw('docker_swarm_cluster_up')})`] });
  L.add({
    type: 'table',
    title: 'Services',
    description: 'Desired and running tasks, tasks failed in the last hour; a service below its desired count first.',
    w: 12,
    h: 8,
    instant: true,
    columns: ['Desired', 'Running', 'Failed (1h)'],
    queries: [
      byService('max', sw('docker_swarm_service_desired_tasks')),
      byService('max', sw('docker_swarm_service_running_tasks')),
      byService('max', `increase(${sw('docker_swarm_service_failed_tasks_total')}[1h])`),
    ],
  });
  L.add({
    type: 'table',
    title: 'Nodes',
    description: 'Status, availability and role of every node; leader and reachability of the managers.',
    w: 12,
    h: 8,
    instant: true,
    columns: ['', '', '', ''],
    queries: [
      `max by (cluster_id, node, status) (${sw('docker_swarm_node_status')} == 1)`,
      `max by (cluster_id, node, availability) (${sw('docker_swarm_node_availability')} == 1)`,
      `max by (cluster_id, node, role) (${sw('docker_swarm_node_role')} == 1)`,
      `max by (cluster_id, node, reachability) (${sw('docker_swarm_node_manager_reachability')} == 1)`,
    ],
  });
  L.add({
    type: 'timeseries',
    title: 'Running and desired tasks',
    w: 12,
    h: 8,
    queries: [
      [byService('max', sw('docker_swarm_service_running_tasks')), '{{service}} running'],
      [byService('max', sw('docker_swarm_service_desired_tasks')), '{{service}} desired'],
    ],
  });
  L.add({ type: 'timeseries', title: 'Nodes by status', w: 12, h: 8, stack: true, queries: [[`sum by (cluster_id, status) (${sw('docker_swarm_nodes')}) > 0`, '{{status}}']] });
  L.add({
    type: 'timeseries',
    title: 'CPU by service, all nodes (cores)',
    description: 'Task containers joined to their service by container_info{swarm_service}; across every host of the cluster.',
    w: 12,
    h: 8,
    queries: [[`sum by (swarm_service) (${rate('container_cpu_usage_seconds_total')} * on (job, instance, host, id) group_left (swarm_service) ${m('container_info', 'swarm_service!=""')})`, '{{swarm_service}}']],
  });
  L.add({
    type: 'table',
    title: 'Task containers by host',
    description: 'Which hosts run each service, and how many of its containers.',
    w: 12,
    h: 8,
    instant: true,
    columns: ['Containers'],
    queries: [`count by (swarm_service, host) (${m('container_info', 'swarm_service!=""')})`],
  });

  const variable = (name: string, label: string, q: string, multi: boolean, allValue?: string) => ({
    name,
    label,
    type: 'query',
    datasource: DATASOURCE,
    query: q,
    definition: q,
    refresh: 2,
    sort: 1,
    multi,
    includeAll: allValue !== undefined,
    ...(allValue !== undefined ? { allValue } : {}),
    current: {},
    options: [],
    hide: 0,
    regex: '',
  });

  const panelTypes = [...new Set(L.panels.flatMap((p) => [p, ...(p.panels ?? [])]).map((p) => p.type))].filter((t) => t !== 'row').sort();
  return {
    __inputs: [
      { name: DATASOURCE_INPUT, label: 'Prometheus', description: 'The Prometheus that scrapes docker-fleet-exporter', type: 'datasource', pluginId: 'prometheus', pluginName: 'Prometheus' },
    ],
    __requires: [
      { type: 'grafana', id: 'grafana', name: 'Grafana', version: '10.0.0' },
      { type: 'datasource', id: 'prometheus', name: 'Prometheus', version: '1.0.0' },
      ...panelTypes.map((t) => ({ type: 'panel', id: t, name: PANEL_NAMES[t] ?? t, version: '' })),
    ],
    id: null,
    uid: 'docker-fleet-exporter',
    title: 'Docker fleet',
    description: 'docker-fleet-exporter: hosts, containers, probes. Generated by monitoring/build.ts.',
    tags: ['docker', 'docker-fleet-exporter'],
    editable: true,
    graphTooltip: 1,
    schemaVersion: 39,
    version: 1,
    time: { from: 'now-3h', to: 'now' },
    refresh: '30s',
    timepicker: {},
    annotations: { list: [] },
    links: [],
    templating: {
      list: [
        variable('job', 'Job', 'label_values(docker_host_up, job)', false),
        variable('host', 'Host', 'label_values(docker_host_up{job="$job"}, host)', true, '.*'),
        variable('container', 'Container', 'label_values(container_info{job="$job", host=~"$host"}, name)', true),
        variable('cluster', 'Swarm cluster', 'label_values(docker_swarm_cluster_up{job="$job"}, cluster_id)', true, '.*'),
      ],
    },
    panels: L.panels,
  };
}
