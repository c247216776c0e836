// What a container is, rather than what it uses: metadata, lifecycle state, health, exit.
import { CONTAINER_STATES, HEALTH_STATUSES, type ContainerSnapshot, type HostSnapshot } from '../../model.ts';
import { escapeLabelValue, labelBytes, nameBytes, type Exposition } from '../exposition.ts';
import { writeContainerMetrics, type ContainerMetric, type FamilyDescriptor } from '../family.ts';
import type { LabelSet, RenderLabels } from '../label-cache.ts';

const INFO_NAME = nameBytes('container_info');

const METRICS: readonly ContainerMetric[] = [
  { name: 'container_exit_code', type: 'gauge', help: 'Exit code of the last run of the container (0 while running).', value: (c) => c.inspect.exitCode },
  { name: 'container_oom_killed', type: 'gauge', help: 'Whether the last run of the container was killed for running out of memory (1) or not (0).', value: (c) => (c.inspect.oomKilled ? 1 : 0) },
  { name: 'container_finished_time_seconds', type: 'gauge', help: 'When the last run of the container finished, unix seconds; absent if it never finished.', value: (c) => c.inspect.finishedAt },
];

const LABEL_PREFIX = 'container_label_';

/**
 * A Swarm task's container, joined to its service and stack by the labels the daemon gives it:
 * `container_info{swarm_service="x"}` joins any container series to the service on (host, id).
 * Named swarm_*: `service` and `stack` are common static host labels.
 */
const SWARM_LABELS: readonly (readonly [string, string])[] = [
  ['com.docker.swarm.service.name', 'swarm_service'],
  ['com.docker.stack.namespace', 'swarm_stack'],
];

/** Docker label -> Prometheus label name: container_label_ + [a-zA-Z0-9_] only, as cAdvisor does. */
export function sanitizeLabelName(dockerLabel: string): string {
  return `${LABEL_PREFIX}${dockerLabel.replace(/[^a-zA-Z0-9_]/g, '_')}`;
}

/** A state set: one series per possible value, 1 for the current one. */
function* stateSet<T extends string>(
  out: Exposition,
  hosts: readonly HostSnapshot[],
  render: RenderLabels,
  set: LabelSet,
  metric: { name: string; help: string; label: string; values: readonly T[]; pick: (c: ContainerSnapshot) => T | undefined },
): Generator<void> {
  const { name, help, label, values, pick } = metric;
  out.family(name, 'gauge', help);
  // `label="value"` bytes once per state set and render
  const suffixes = values.map((v) => labelBytes(`${label}="${escapeLabelValue(v)}"`));
  const nameBuf = nameBytes(name);
  for (const h of hosts) {
    for (const c of h.containers ?? []) {
      const current = pick(c);
      if (current === undefined) continue;
      const base = render.of(h, c, set);
      for (let k = 0; k < values.length; k++) out.sampleBytes(nameBuf, base, values[k] === current ? 1 : 0, suffixes[k]);
    }
    yield;
  }
}

/** One series per container with its current value as a label. */
function* stateInfo(
  out: Exposition,
  hosts: readonly HostSnapshot[],
  render: RenderLabels,
  set: LabelSet,
  metric: { name: string; help: string; label: string; pick: (c: ContainerSnapshot) => string },
): Generator<void> {
  const { name, help, label, pick } = metric;
  out.family(name, 'gauge', help);
  const nameBuf = nameBytes(name);
  const suffixes = new Map<string, Buffer>();
  for (const h of hosts) {
    for (const c of h.containers ?? []) {
      const value = pick(c);
      let suffix = suffixes.get(value);
      if (suffix === undefined) suffixes.set(value, (suffix = labelBytes(`${label}="${escapeLabelValue(value)}"`)));
      out.sampleBytes(nameBuf, render.of(h, c, set), 1, suffix);
    }
    yield;
  }
}

export const stateFamily: FamilyDescriptor = {
  name: 'state',
  optional: true,
  labels: ['name', 'id', 'image', 'image_id', 'swarm_service', 'swarm_stack', 'state', 'status', 'policy'],
  labelPrefixes: [{ prefix: LABEL_PREFIX, what: 'the exported Docker labels' }],
  create({ containerLabels, labels }) {
    const allowed = containerLabels.map((l) => [l, sanitizeLabelName(l)] as const);
    const ids = labels.define((i) => [['name', i.name], ['id', i.id]]);
    const info = labels.define((i) => {
      const pairs: [string, string][] = [['name', i.name], ['id', i.id], ['image', i.image], ['image_id', i.imageId]];
      for (const [docker, prom] of SWARM_LABELS) {
        const v = i.labels[docker];
        if (v !== undefined && v !== '') pairs.push([prom, v]);
      }
      const used = new Set<string>();
      for (const [docker, prom] of allowed) {
        const v = i.labels[docker];
        if (v !== undefined && !used.has(prom)) {
          used.add(prom);
          pairs.push([prom, v]);
        }
      }
      return pairs;
    });
    return {
      *collect(hosts, out, render) {
        out.family('container_info', 'gauge', 'Container metadata; the value is always 1. Allow-listed Docker labels appear as container_label_<name>.');
        for (const h of hosts) {
          if (!h.containers) continue;
          for (const c of h.containers) out.sampleBytes(INFO_NAME, render.of(h, c, info), 1);
          yield;
        }
        yield* writeContainerMetrics(hosts, out, render, METRICS, ids);
        yield* stateSet(out, hosts, render, ids, {
          name: 'container_state',
          help: 'Container state as a state set: 1 for the current state, 0 for the others.',
          label: 'state',
          values: CONTAINER_STATES,
          pick: (c) => c.state,
        });
        yield* stateInfo(out, hosts, render, ids, {
          name: 'container_restart_policy_info',
          help: 'Restart policy of the container (HostConfig.RestartPolicy.Name); the value is always 1.',
          label: 'policy',
          pick: (c) => c.inspect.restartPolicy,
        });
        // No series for a container without a healthcheck.
        yield* stateSet(out, hosts, render, ids, {
          name: 'container_health_status',
          help: 'Healthcheck status as a state set: 1 for the current status, 0 for the others.',
          label: 'status',
          values: HEALTH_STATUSES,
          pick: (c) => c.inspect.health,
        });
      },
    };
  },
};
