// What a scrape must show: no duplicate series, the good host whole and fresh, promtool's
// verdict. Each check returns problems as sentences (empty = fine), so one scrape can report
// everything wrong with it at once.
import { spawnSync } from 'node:child_process';
import { parseExposition, select, show, type Exposition, type Sample } from '../../e2e/lib/exposition.ts';
import { containerFrom, sha256Hex, type ContainerInput } from '../../support/stats-bodies.ts';

export { parseExposition, select, show, type Exposition, type Sample };

const MiB = 1024 * 1024;

export const GOOD_HOST = 'good';

/** The id the fake gives a container named `name` that was added without one. */
export const containerId = (name: string): string => sha256Hex(`container:${name}`);

/** The well-behaved host next to every bad one: two running containers and an exited one. */
export const GOOD_CONTAINERS: ContainerInput[] = [
  { name: 'good-web', image: 'nginx:1.25', state: 'running', health: 'healthy', limits: { memory: 256 * MiB } },
  { name: 'good-db', image: 'postgres:16', state: 'running', limits: { memory: 1024 * MiB, cpuQuota: 50_000, cpuPeriod: 100_000 } },
  { name: 'good-job', image: 'busybox:1.36', state: 'exited', exitCode: 3 },
];

/** Series of a running container that come from its stats, each exactly once. */
const STATS_SERIES: readonly [string, Record<string, string>][] = [
  ['container_cpu_usage_seconds_total', {}],
  ['container_memory_usage_bytes', {}],
  ['container_memory_working_set_bytes', {}],
  ['container_network_receive_bytes_total', { interface: 'eth0' }],
  ['container_network_transmit_bytes_total', { interface: 'eth0' }],
  ['container_fs_reads_bytes_total', {}],
  ['container_processes', {}],
  ['docker_container_cpu_used_total', {}],
  ['docker_container_memory_used_bytes', {}],
  ['docker_container_network_in_bytes', {}],
];

export function seriesKey(s: Sample): string {
  return `${s.name}{${Object.keys(s.labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(s.labels[k])}`)
    .join(',')}}`;
}

/** Series that appear more than once (same name and labels), as "key x count". */
export function duplicateSeries(e: Exposition): string[] {
  const seen = new Map<string, number>();
  for (const s of e.samples) {
    const k = seriesKey(s);
    seen.set(k, (seen.get(k) ?? 0) + 1);
  }
  return [...seen].filter(([, n]) => n > 1).map(([k, n]) => `${k} x${n}`);
}

/** The series keys of one host, for comparing scrapes. */
export function hostKeys(e: Exposition, host: string): Set<string> {
  return new Set(e.samples.filter((s) => s.labels.host === host).map(seriesKey));
}

/** Exactly one sample; a problem otherwise. */
function one(e: Exposition, name: string, match: Record<string, string>, problems: string[]): number | undefined {
  const found = select(e, name, match);
  if (found.length === 1) return found[0]!.value;
  problems.push(`${name}${JSON.stringify(match)}: ${found.length} series, expected 1`);
  return undefined;
}

function expectValue(e: Exposition, name: string, match: Record<string, string>, want: number, problems: string[]): void {
  const v = one(e, name, match, problems);
  if (v !== undefined && v !== want) problems.push(`${name}${JSON.stringify(match)} = ${v}, expected ${want}`);
}

export interface GoodHostState {
  /** container_cpu_usage_seconds_total by container: must grow every scrape (a fresh probe) */
  cpu: Map<string, number>;
}

/**
 * The good host whole: up, its containers with their known state, limits and health, every
 * stats series of the running ones, and counters that moved since the previous scrape (so the
 * scrape was served by a probe that met its deadline, not a stale snapshot). `reference`: its
 * series keys in a healthy scrape; any missing or extra one is a problem.
 */
export function checkGoodHost(e: Exposition, prev: GoodHostState | undefined, reference?: Set<string>): { problems: string[]; state: GoodHostState } {
  const problems: string[] = [];
  const host = GOOD_HOST;
  expectValue(e, 'docker_host_up', { host }, 1, problems);
  expectValue(e, 'docker_containers', { host }, GOOD_CONTAINERS.length, problems);
  expectValue(e, 'machine_cpu_cores', { host }, 2, problems);
  expectValue(e, 'machine_memory_bytes', { host }, 8 * 1024 * MiB, problems);
  one(e, 'docker_host_info', { host }, problems);
  const cpu = new Map<string, number>();
  for (const input of GOOD_CONTAINERS) {
    const c = containerFrom(input);
    const name = c.name;
    const running = c.state === 'running';
    expectValue(e, 'docker_container_running_state', { host, name }, running ? 1 : 0, problems);
    expectValue(e, 'container_info', { host, name, id: c.id, image: c.image }, 1, problems);
    expectValue(e, 'container_state', { host, name, state: c.state }, 1, problems);
    expectValue(e, 'container_exit_code', { host, name }, c.exitCode, problems);
    // (without a limit: absent, or 0 from an older build; either is whole)
    if (c.limits.memory > 0) expectValue(e, 'container_spec_memory_limit_bytes', { host, name }, c.limits.memory, problems);
    if (c.health) expectValue(e, 'container_health_status', { host, name, status: c.health }, 1, problems);
    if (!running) {
      if (select(e, 'container_cpu_usage_seconds_total', { host, name }).length > 0) problems.push(`${name} is exited but has CPU series`);
      continue;
    }
    for (const [metric, extra] of STATS_SERIES) {
      const v = one(e, metric, { host, name, ...extra }, problems);
      if (v !== undefined && !(Number.isFinite(v) && v >= 0)) problems.push(`${metric}{name="${name}"} = ${v}`);
    }
    const used = select(e, 'container_cpu_usage_seconds_total', { host, name })[0]?.value;
    if (used !== undefined) {
      cpu.set(name, used);
      const before = prev?.cpu.get(name);
      if (before !== undefined && !(used > before)) {
        problems.push(`${name}: container_cpu_usage_seconds_total stayed at ${before}: a stale snapshot, the good host's probe missed its deadline`);
      }
    }
  }
  if (reference) {
    const keys = hostKeys(e, host);
    const missing = [...reference].filter((k) => !keys.has(k));
    const extra = [...keys].filter((k) => !reference.has(k));
    if (missing.length) problems.push(`${missing.length} series of a healthy scrape missing, e.g. ${missing.slice(0, 3).join(', ')}`);
    if (extra.length) problems.push(`${extra.length} series not in a healthy scrape, e.g. ${extra.slice(0, 3).join(', ')}`);
  }
  return { problems, state: { cpu } };
}

/** `promtool check metrics` on a body: undefined when it passes, else its complaint. */
export function promtoolProblem(body: string): string | undefined {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: body, encoding: 'utf8', maxBuffer: 64 * MiB });
  if (r.error) return `promtool did not run: ${r.error.message}`;
  if (r.status === 0) return undefined;
  return `promtool check metrics exited ${r.status}: ${`${r.stdout}${r.stderr}`.trim().slice(0, 1500)}`;
}
