// What a container is, rather than what it uses: metadata, lifecycle state, health, exit.
import type { ContainerIdentity, ContainerSnapshot, ContainerState, HealthStatus, HostSnapshot } from '../../model.ts';
import { escapeLabelValue, labelBytes, labelText, nameBytes, type Exposition } from '../exposition.ts';
import { hostLabels, writeContainerMetrics, type Collector, type ContainerMetric } from '../family.ts';

const STATES: readonly ContainerState[] = ['created', 'running', 'paused', 'restarting', 'removing', 'exited', 'dead'];
const HEALTH: readonly HealthStatus[] = ['starting', 'healthy', 'unhealthy'];
const INFO_NAME = nameBytes('container_info');

const METRICS: readonly ContainerMetric[] = [
  { name: 'container_exit_code', type: 'gauge', help: 'Exit code of the last run of the container (0 while running).', value: (c) => c.inspect.exitCode },
  { name: 'container_oom_killed', type: 'gauge', help: 'Whether the last run of the container was killed for running out of memory (1) or not (0).', value: (c) => (c.inspect.oomKilled ? 1 : 0) },
  { name: 'container_finished_time_seconds', type: 'gauge', help: 'When the last run of the container finished, unix seconds; absent if it never finished.', value: (c) => c.inspect.finishedAt },
];

/** Docker label -> Prometheus label name: container_label_ + [a-zA-Z0-9_] only, as cAdvisor does. */
export function sanitizeLabelName(dockerLabel: string): string {
  return `container_label_${dockerLabel.replace(/[^a-zA-Z0-9_]/g, '_')}`;
}

export function createStateFamily(containerLabels: readonly string[]): Collector {
  const allowed = containerLabels.map((l) => [l, sanitizeLabelName(l)] as const);
  const idCache = new WeakMap<ContainerIdentity, Buffer>();
  const infoCache = new WeakMap<ContainerIdentity, Buffer>();
  const idLabels = (i: ContainerIdentity) => [['name', i.name], ['id', i.id]] as const;

  function infoLabels(h: HostSnapshot, i: ContainerIdentity): Buffer {
    let text = infoCache.get(i);
    if (text === undefined) {
      const pairs: [string, string][] = [['name', i.name], ['id', i.id], ['image', i.image], ['image_id', i.imageId]];
      const used = new Set<string>();
      for (const [docker, prom] of allowed) {
        const v = i.labels[docker];
        if (v !== undefined && !used.has(prom)) {
          used.add(prom);
          pairs.push([prom, v]);
        }
      }
      text = labelBytes(`${hostLabels(h)},${labelText(pairs)}`);
      infoCache.set(i, text);
    }
    return text;
  }

  /** A state set: one series per possible value, 1 for the current one. */
  function* stateSet<T extends string>(out: Exposition, hosts: readonly HostSnapshot[], name: string, help: string, label: string, values: readonly T[], pick: (c: ContainerSnapshot) => T | undefined): Generator<void> {
    out.family(name, 'gauge', help);
    // `label="value"` bytes once per state set and render
    const suffixes = values.map((v) => labelBytes(`${label}="${escapeLabelValue(v)}"`));
    const nameBuf = nameBytes(name);
    for (const h of hosts) {
      for (const c of h.containers ?? []) {
        const current = pick(c);
        if (current === undefined) continue;
        const base = idCache.get(c.ident)!;
        for (let k = 0; k < values.length; k++) out.sampleBytes(nameBuf, base, values[k] === current ? 1 : 0, suffixes[k]);
      }
      yield;
    }
  }

  /** One series per container with its current value as a label. */
  function* stateInfo(out: Exposition, hosts: readonly HostSnapshot[], name: string, help: string, label: string, pick: (c: ContainerSnapshot) => string): Generator<void> {
    out.family(name, 'gauge', help);
    const nameBuf = nameBytes(name);
    const suffixes = new Map<string, Buffer>();
    for (const h of hosts) {
      for (const c of h.containers ?? []) {
        const value = pick(c);
        let suffix = suffixes.get(value);
        if (suffix === undefined) suffixes.set(value, (suffix = labelBytes(`${label}="${escapeLabelValue(value)}"`)));
        out.sampleBytes(nameBuf, idCache.get(c.ident)!, 1, suffix);
      }
      yield;
    }
  }

  return {
    name: 'state',
    *collect(hosts, out) {
      out.family('container_info', 'gauge', 'Container metadata; the value is always 1. Allow-listed Docker labels appear as container_label_<name>.');
      for (const h of hosts) {
        if (!h.containers) continue;
        for (const c of h.containers) out.sampleBytes(INFO_NAME, infoLabels(h, c.ident), 1);
        yield;
      }
      yield* writeContainerMetrics(hosts, out, METRICS, idLabels, idCache);
      yield* stateSet(out, hosts, 'container_state', 'Container state as a state set: 1 for the current state, 0 for the others.', 'state', STATES, (c) => c.state);
      yield* stateInfo(out, hosts, 'container_restart_policy_info', 'Restart policy of the container (HostConfig.RestartPolicy.Name); the value is always 1.', 'policy', (c) => c.inspect.restartPolicy);
      // No series for a container without a healthcheck.
      yield* stateSet(out, hosts, 'container_health_status', 'Healthcheck status as a state set: 1 for the current status, 0 for the others.', 'status', HEALTH, (c) => c.inspect.health);
    },
  };
}
