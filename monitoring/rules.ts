// Recording and alert rules, built from config.ts. Every aggregation keeps `host` (and `job`, so
// a /metrics job and a /probe job scraping the same exporter are never added together): the rules
// are right whether one scrape carries every host (one `instance`) or each host has its own.
import { config, type MonitoringConfig } from './config.ts';

export interface RecordingRule {
  record: string;
  expr: string;
}

export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  severity: 'critical' | 'warning';
  summary: string;
  /** Templated from the labels: names the host and, for container alerts, the container. */
  description: string;
  /** One line: what to look at first. monitoring/README.md has the whole entry. */
  runbook: string;
  /** For the README's alert table: when it fires, in words, with the threshold. */
  firesWhen: string;
}

/** `metric{<config.selector>, <matchers>}`; just `metric` when there are no matchers. */
export function selector(metric: string, ...matchers: string[]): string {
  const all = [config.selector, ...matchers].filter((m) => m !== '');
  return all.length === 0 ? metric : `${metric}{${all.join(', ')}}`;
}

/** The grouping of every per-host aggregation. */
const BY_HOST = 'job, host';

export function recordingRules(c: MonitoringConfig = config): RecordingRule[] {
  const w = c.recordingRateWindow;
  return [
    { record: 'host:container_cpu_usage_seconds:sum_rate', expr: `sum by (${BY_HOST}) (rate(${selector('container_cpu_usage_seconds_total')}[${w}]))` },
    {
      record: 'host:container_cpu_usage:ratio',
      expr: `host:container_cpu_usage_seconds:sum_rate / sum by (${BY_HOST}) (${selector('machine_cpu_cores')})`,
    },
    { record: 'host:container_memory_working_set_bytes:sum', expr: `sum by (${BY_HOST}) (${selector('container_memory_working_set_bytes')})` },
    {
      record: 'host:container_memory_working_set_bytes:ratio',
      expr: `host:container_memory_working_set_bytes:sum / sum by (${BY_HOST}) (${selector('machine_memory_bytes')})`,
    },
    { record: 'host:container_network_receive_bytes:sum_rate', expr: `sum by (${BY_HOST}) (rate(${selector('container_network_receive_bytes_total')}[${w}]))` },
    { record: 'host:container_network_transmit_bytes:sum_rate', expr: `sum by (${BY_HOST}) (rate(${selector('container_network_transmit_bytes_total')}[${w}]))` },
    // State sets: every container has one series per state (0 or 1), so a sum counts them.
    { record: 'host_state:container_state:sum', expr: `sum by (${BY_HOST}, state) (${selector('container_state')})` },
    { record: 'host_status:container_health_status:sum', expr: `sum by (${BY_HOST}, status) (${selector('container_health_status')})` },
  ];
}

const HOST = '{{ $labels.host }}';
const CLUSTER = '{{ $labels.cluster_id }}';
/** Swarm series belong to a cluster, not a host: matched on it (and the exporter that serves it). */
const BY_CLUSTER = 'job, instance, cluster_id';
const CONTAINER = '{{ $labels.name }}';
const EXPORTER = '{{ $labels.instance }} (job {{ $labels.job }})';
const gib = (bytes: number) => `${+(bytes / 2 ** 30).toFixed(2)} GiB`;
const pct = (ratio: number) => `${+(ratio * 100).toFixed(1)}%`;

export function alertRules(c: MonitoringConfig = config): AlertRule[] {
  return [
    {
      alert: 'DockerHostDown',
      expr: `${selector('docker_host_up')} == 0`,
      for: c.hostDown.for,
      severity: 'critical',
      summary: 'A Docker host cannot be probed.',
      description: `Docker host ${HOST} has failed every probe for ${c.hostDown.for}, so its containers are not monitored; exporter ${EXPORTER}.`,
      runbook: 'Check that the daemon runs and that the exporter reaches it (socket, TCP/TLS or SSH); the exporter logs the error once per change.',
      firesWhen: `\`docker_host_up == 0\` for ${c.hostDown.for}`,
    },
    {
      alert: 'DockerHostSnapshotStale',
      expr: `${selector('docker_host_snapshot_age_seconds')} > ${c.snapshotStale.maxAgeSeconds}`,
      for: c.snapshotStale.for,
      severity: 'warning',
      summary: 'The container data served for a Docker host is old.',
      description: `The data served for Docker host ${HOST} is {{ $value | humanizeDuration }} old (over ${c.snapshotStale.maxAgeSeconds}s for ${c.snapshotStale.for}): its probes do not complete in time.`,
      runbook: "Compare docker_probe_duration_seconds with collection.timeout; a slow daemon (`docker ps` takes long) or too many containers for the host's CPU.",
      firesWhen: `\`docker_host_snapshot_age_seconds\` > ${c.snapshotStale.maxAgeSeconds}s for ${c.snapshotStale.for}`,
    },
    {
      alert: 'DockerHostProbeTimeouts',
      expr: `increase(${selector('docker_probe_inline_timeouts_total')}[${c.probeTimeouts.window}]) > ${c.probeTimeouts.max}`,
      severity: 'warning',
      summary: 'Probes of a Docker host keep missing their deadline.',
      description: `{{ $value | printf "%.0f" }} scrapes of Docker host ${HOST} in the last ${c.probeTimeouts.window} were served without waiting for a probe past collection.timeout.`,
      runbook: 'Look at docker_probe_*_duration_seconds for the slow phase (list, inspect, stats); raise collection.timeout (below scrape_timeout) or find what slows the daemon.',
      firesWhen: `more than ${c.probeTimeouts.max} \`docker_probe_inline_timeouts_total\` in ${c.probeTimeouts.window}`,
    },
    {
      alert: 'ContainerUnhealthy',
      expr: `${selector('container_health_status', 'status="unhealthy"')} == 1 and ignoring (status, state) ${selector('container_state', 'state="running"')} == 1`,
      for: c.unhealthy.for,
      severity: 'warning',
      summary: 'A running container fails its healthcheck.',
      description: `Container ${CONTAINER} on host ${HOST} has been unhealthy for ${c.unhealthy.for}.`,
      runbook: '`docker inspect <name>` on the host: State.Health.Log holds the last healthcheck outputs.',
      firesWhen: `running and health status \`unhealthy\` for ${c.unhealthy.for}`,
    },
    {
      alert: 'ContainerCrashLooping',
      // Either count: restarts (restart policy) or die events (also without a policy). `without`
      // drops the labels one side has and the other lacks, so a container firing both is one alert.
      expr: [
        `increase(${selector('docker_container_restart_count')}[${c.crashLooping.window}]) > ${c.crashLooping.maxRestarts}`,
        `or sum without (id, image, event) (increase(${selector('container_events_total', 'event="die"')}[${c.crashLooping.window}])) > ${c.crashLooping.maxRestarts}`,
      ].join('\n'),
      severity: 'warning',
      summary: 'A container keeps restarting.',
      description: `Container ${CONTAINER} on host ${HOST} restarted or died {{ $value | printf "%.0f" }} times in the last ${c.crashLooping.window}.`,
      runbook: '`docker logs --tail 50 <name>` and the exit code (`container_exit_code`) on the host say why it exits.',
      firesWhen: `more than ${c.crashLooping.maxRestarts} restarts (\`docker_container_restart_count\`) or \`die\` events in ${c.crashLooping.window}`,
    },
    {
      alert: 'ContainerOOMKilled',
      // OOM events where the host's event stream is connected; else the last run's OOMKilled flag.
      expr: [
        `sum without (id, image) (increase(${selector('container_oom_events_total')}[${c.oomKilled.window}])) > 0`,
        `or (max without (id, image) (${selector('container_oom_killed')}) == 1 unless on (job, instance, host) ${selector('docker_events_connected')} == 1)`,
      ].join('\n'),
      severity: 'warning',
      summary: 'The kernel OOM killer killed a process of a container.',
      description: `A process of container ${CONTAINER} on host ${HOST} was killed for running out of memory (OOM events in ${c.oomKilled.window}, or its last run ended OOM-killed).`,
      runbook: 'Compare container_memory_working_set_bytes with container_spec_memory_limit_bytes; raise the limit or find the leak.',
      firesWhen: `an OOM event in ${c.oomKilled.window}; without events, \`container_oom_killed == 1\``,
    },
    {
      alert: 'ContainerExitedNonZero',
      expr: [
        `${selector('container_exit_code')} != 0`,
        `and ignoring (state) ${selector('container_state', 'state="exited"')} == 1`,
        `and ignoring (policy) ${selector('container_restart_policy_info', 'policy!="no"')} == 1`,
      ].join('\n'),
      for: c.exitedNonZero.for,
      severity: 'warning',
      summary: 'A container that should run has exited with an error.',
      description: `Container ${CONTAINER} on host ${HOST} has a restart policy but has been stopped with exit code {{ $value }} for ${c.exitedNonZero.for}.`,
      runbook: '`docker logs --tail 50 <name>`; on-failure with a retry limit gives up, and `docker stop` of an always/unless-stopped container stays stopped.',
      firesWhen: `exited, exit code not 0, restart policy not \`no\`, for ${c.exitedNonZero.for}`,
    },
    {
      alert: 'ContainerMemoryNearLimit',
      expr: `${selector('container_memory_working_set_bytes')} / (${selector('container_spec_memory_limit_bytes')} > 0) > ${c.memoryNearLimit.ratio}`,
      for: c.memoryNearLimit.for,
      severity: 'warning',
      summary: 'A container uses nearly all of its memory limit.',
      description: `Container ${CONTAINER} on host ${HOST} has used {{ $value | humanizePercentage }} of its memory limit for ${c.memoryNearLimit.for}; the OOM killer is next.`,
      runbook: 'Raise the memory limit or find what grows (container_memory_rss against container_memory_cache).',
      firesWhen: `working set > ${pct(c.memoryNearLimit.ratio)} of the memory limit for ${c.memoryNearLimit.for}`,
    },
    {
      alert: 'ContainerCpuThrottled',
      expr: [
        `rate(${selector('container_cpu_cfs_throttled_periods_total')}[${c.cpuThrottled.window}])`,
        `/ (rate(${selector('container_cpu_cfs_periods_total')}[${c.cpuThrottled.window}]) > 0) > ${c.cpuThrottled.ratio}`,
      ].join('\n'),
      for: c.cpuThrottled.for,
      severity: 'warning',
      summary: 'A container is held back by its CPU limit.',
      description: `Container ${CONTAINER} on host ${HOST} was throttled in {{ $value | humanizePercentage }} of its CPU periods over ${c.cpuThrottled.window}, for ${c.cpuThrottled.for}.`,
      runbook: 'Raise its CPU limit (--cpus) or reduce its work; latency suffers while it is throttled.',
      firesWhen: `throttled in > ${pct(c.cpuThrottled.ratio)} of CFS periods (rate over ${c.cpuThrottled.window}) for ${c.cpuThrottled.for}`,
    },
    {
      alert: 'DockerSshReconnecting',
      expr: `increase(${selector('docker_ssh_reconnects_total')}[${c.sshReconnecting.window}]) > ${c.sshReconnecting.max}`,
      severity: 'warning',
      summary: "The exporter's SSH connection to a Docker host keeps dropping.",
      description: `The SSH connection of exporter ${EXPORTER} to Docker host ${HOST} reconnected {{ $value | printf "%.0f" }} times in ${c.sshReconnecting.window}.`,
      runbook: "sshd's log on the host (MaxSessions, ClientAlive*), the network path, ssh.keepalive_interval.",
      firesWhen: `more than ${c.sshReconnecting.max} SSH reconnects in ${c.sshReconnecting.window}`,
    },
    {
      alert: 'DockerSshDisconnected',
      expr: `${selector('docker_ssh_connected')} == 0`,
      for: c.sshDisconnected.for,
      severity: 'warning',
      summary: 'The exporter cannot keep an SSH connection to a Docker host.',
      description: `Exporter ${EXPORTER} has had no SSH connection to Docker host ${HOST} for ${c.sshDisconnected.for}.`,
      runbook: "The exporter log names the SSH error (auth, host key, refused, socket path); sshd's log on the host says why it refused.",
      firesWhen: `\`docker_ssh_connected == 0\` for ${c.sshDisconnected.for}`,
    },
    {
      alert: 'DockerFleetExporterConfigReloadFailed',
      expr: `${selector('docker_fleet_exporter_config_last_reload_successful')} == 0`,
      for: c.configReloadFailed.for,
      severity: 'warning',
      summary: 'The exporter rejected its new configuration.',
      description: `Exporter ${EXPORTER} has failed to reload its configuration for ${c.configReloadFailed.for}; it still runs the previous one.`,
      runbook: 'The exporter log names every problem (file, key, host); fix the file and reload again.',
      firesWhen: `\`docker_fleet_exporter_config_last_reload_successful == 0\` for ${c.configReloadFailed.for}`,
    },
    {
      alert: 'DockerHostDiskReclaimable',
      expr: `sum without (type) (${selector('docker_host_disk_reclaimable_bytes')}) > ${c.diskReclaimable.bytes}`,
      for: c.diskReclaimable.for,
      severity: 'warning',
      summary: 'A Docker host holds much reclaimable disk space.',
      description: `Docker host ${HOST} has {{ $value | humanize1024 }}B that \`docker system prune\` could reclaim (unused images, stopped containers, volumes, build cache).`,
      runbook: '`docker system df -v` on the host shows what; prune what is not needed.',
      firesWhen: `reclaimable bytes (all types) > ${gib(c.diskReclaimable.bytes)} for ${c.diskReclaimable.for}`,
    },
    {
      alert: 'SwarmServiceReplicasMissing',
      // Jobs finish: their running tasks fall below desired by design.
      expr: `${selector('docker_swarm_service_running_tasks')} < ${selector('docker_swarm_service_desired_tasks')}\nunless on (${BY_CLUSTER}, service) ${selector('docker_swarm_service_info', 'mode=~".*-job"')}`,
      for: c.swarmReplicasMissing.for,
      severity: 'warning',
      summary: 'A Swarm service runs fewer tasks than it should.',
      description: `Swarm service {{ $labels.service }} of cluster ${CLUSTER} has run {{ $value }} tasks, below its desired count, for ${c.swarmReplicasMissing.for}.`,
      runbook: '`docker service ps --no-trunc <service>` on a manager: pending tasks name the constraint or resource no node meets, failed ones the error.',
      firesWhen: `\`docker_swarm_service_running_tasks < docker_swarm_service_desired_tasks\` for ${c.swarmReplicasMissing.for} (jobs excepted)`,
    },
    {
      alert: 'SwarmServiceTasksFailing',
      expr: `increase(${selector('docker_swarm_service_failed_tasks_total')}[${c.swarmTasksFailing.window}]) > ${c.swarmTasksFailing.max}`,
      severity: 'warning',
      summary: 'Tasks of a Swarm service keep failing.',
      description: `{{ $value | printf "%.0f" }} tasks of Swarm service {{ $labels.service }} of cluster ${CLUSTER} failed in the last ${c.swarmTasksFailing.window}.`,
      runbook: '`docker service ps --no-trunc <service>` shows each failed task\'s error; `docker service logs <service>` its output.',
      firesWhen: `more than ${c.swarmTasksFailing.max} failed or rejected tasks in ${c.swarmTasksFailing.window}`,
    },
    {
      alert: 'SwarmNodeDown',
      expr: `${selector('docker_swarm_node_status', 'status="down"')} == 1`,
      for: c.swarmNodeDown.for,
      severity: 'critical',
      summary: 'A Swarm node is down.',
      description: `Swarm node {{ $labels.node }} ({{ $labels.node_id }}) of cluster ${CLUSTER} has been down for ${c.swarmNodeDown.for}; its tasks are rescheduled elsewhere.`,
      runbook: 'Check the node\'s dockerd and its network path to the managers (port 2377, 7946); `docker node ls` on a manager.',
      firesWhen: `a node's status \`down\` for ${c.swarmNodeDown.for}`,
    },
    {
      alert: 'SwarmClusterWithoutLeader',
      // Without a leader the managers answer no /nodes or /services: no manager served the cluster.
      expr: `${selector('docker_swarm_cluster_up')} == 0\nor max by (${BY_CLUSTER}) (${selector('docker_swarm_node_leader')}) == 0`,
      for: c.swarmNoLeader.for,
      severity: 'critical',
      summary: 'A Swarm cluster has no leader, or no configured manager answers.',
      description: `Swarm cluster ${CLUSTER} has had no leader, or no manager answering the exporter ${EXPORTER}, for ${c.swarmNoLeader.for}: services cannot be changed or rescheduled.`,
      runbook: '`docker node ls` on each manager: a lost quorum needs a majority of managers back, or `docker swarm init --force-new-cluster` on one.',
      firesWhen: `\`docker_swarm_cluster_up == 0\` or no node with \`docker_swarm_node_leader == 1\`, for ${c.swarmNoLeader.for}`,
    },
    {
      alert: 'SwarmManagerUnreachable',
      expr: `${selector('docker_swarm_node_manager_reachability', 'reachability="unreachable"')} == 1`,
      for: c.swarmManagerUnreachable.for,
      severity: 'warning',
      summary: 'A Swarm manager is unreachable from the quorum.',
      description: `Manager {{ $labels.node }} ({{ $labels.node_id }}) of Swarm cluster ${CLUSTER} has been unreachable for ${c.swarmManagerUnreachable.for}; one more lost manager may cost the quorum.`,
      runbook: 'Bring the manager\'s dockerd back, or demote and remove it (`docker node demote`, `docker node rm`) to restore the odd manager count.',
      firesWhen: `a manager's reachability \`unreachable\` for ${c.swarmManagerUnreachable.for}`,
    },
  ];
}

/** The runbook anchor of an alert in monitoring/README.md (a `### <alert>` heading). */
export const runbookAnchor = (alert: string) => alert.toLowerCase();
