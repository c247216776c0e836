// One view per Swarm cluster, whatever number of its managers the config lists: the hosts'
// snapshots say which are managers of which cluster (from /info), one of them is asked, and its
// view is attached to its snapshot only, so the cluster's series are written once. The serving
// manager stays until it stops answering; then the next one in the config's order serves.
// Cluster series carry cluster_id and no host label: a failover changes no series but the
// `docker_swarm_cluster_info` line that names the serving host, so an alert with `for:` lives through it.
import type { Logger } from '../log.ts';
import { SWARM_TASK_STATES, type ClusterSnapshot, type HostSnapshot, type SwarmService, type SwarmTaskState } from '../model.ts';
import { errorMessage } from '../util/errors.ts';
import { pollCluster, type ClusterPoll, type SwarmApi } from './poll.ts';

interface Cluster {
  /** the host that served last */
  serving?: string;
  /** whether each manager's last probe succeeded, as the scrapes that saw it say */
  managerUp: Map<string, boolean>;
  failovers: number;
  /** per service id: failed task ids still in the manager's history, and how many were ever seen */
  failures: Map<string, { ids: Set<string>; count: number }>;
  inFlight?: Promise<ClusterSnapshot>;
  last?: { at: number; view: ClusterSnapshot };
}

export interface ClusterTiming {
  /** every cluster's poll ends by then, failovers included */
  timeoutMs: number;
  /** a view this young is served again instead of asking */
  minIntervalMs: number;
}

const FAILED: ReadonlySet<string> = new Set(['failed', 'rejected']);

export class Clusters {
  readonly #clusters = new Map<string, Cluster>();
  readonly #log: Logger;
  /**
   * A host's snapshot with a view attached, kept while the snapshot lives: concurrent scrapes
   * sharing a probe and a view get the same object, so they can share one rendered body
   * (http/shared-bodies.ts keys bodies by snapshot identity).
   */
  readonly #attached = new WeakMap<HostSnapshot, HostSnapshot>();

  constructor(log: Logger) {
    this.#log = log;
  }

  /**
   * `snapshots` with each cluster's view attached to its serving manager's (copied, never
   * changed). `api(name)` is the host's control plane. `complete`: every configured host is
   * among them, so clusters none of them manages any more are forgotten. Otherwise (a /probe of
   * one host) a manager serves its cluster only if it is the serving one, or that one was down
   * when last seen: each probe target of a cluster's managers must not serve it again.
   */
  async attach(snapshots: readonly HostSnapshot[], api: (host: string) => SwarmApi | undefined, timing: ClusterTiming, complete: boolean): Promise<HostSnapshot[]> {
    const managers = new Map<string, HostSnapshot[]>();
    for (const s of snapshots) {
      const m = s.info?.swarm;
      if (!m?.manager || m.clusterId === '') continue;
      const list = managers.get(m.clusterId);
      if (list) list.push(s);
      else managers.set(m.clusterId, [s]);
    }
    if (complete) for (const id of this.#clusters.keys()) if (!managers.has(id)) this.#clusters.delete(id);
    if (managers.size === 0) return [...snapshots];

    const views = await Promise.all(
      [...managers].map(([id, candidates]) => {
        let c = this.#clusters.get(id);
        if (!c) this.#clusters.set(id, (c = { failovers: 0, failures: new Map(), managerUp: new Map() }));
        if (complete) c.managerUp = new Map();
        for (const s of candidates) c.managerUp.set(s.host, s.up);
        const serving = c.serving;
        if (!complete && serving !== undefined && c.managerUp.get(serving) === true && !candidates.some((s) => s.host === serving)) return undefined;
        if (c.last && Date.now() - c.last.at < timing.minIntervalMs && candidates.some((s) => s.host === c.last!.view.servedBy)) return c.last.view;
        if (!c.inFlight) {
          const cluster = c;
          c.inFlight = this.#serve(id, cluster, candidates, api, Date.now() + timing.timeoutMs).finally(() => (cluster.inFlight = undefined));
        }
        return c.inFlight;
      }),
    );
    const byHost = new Map(views.filter((v) => v !== undefined).map((v) => [v.servedBy, v]));
    return snapshots.map((s) => {
      const view = byHost.get(s.host);
      if (!view) return s;
      let attached = this.#attached.get(s);
      if (attached?.swarm !== view) this.#attached.set(s, (attached = { ...s, swarm: view }));
      return attached;
    });
  }

  /** The serving manager first, then the others in the config's order after it; hosts whose probe failed are passed over. */
  async #serve(id: string, c: Cluster, candidates: HostSnapshot[], api: (host: string) => SwarmApi | undefined, deadline: number): Promise<ClusterSnapshot> {
    const start = Math.max(0, candidates.findIndex((s) => s.host === c.serving));
    const errors: string[] = [];
    for (let k = 0; k < candidates.length; k++) {
      const s = candidates[(start + k) % candidates.length]!;
      const client = api(s.host);
      if (!s.up || !client) {
        errors.push(`${s.host}: ${s.error ?? 'not answering'}`);
        continue;
      }
      if (Date.now() >= deadline) {
        errors.push(`${s.host}: not asked, the deadline had passed`);
        continue;
      }
      let poll: ClusterPoll;
      try {
        poll = await pollCluster(client, deadline);
      } catch (err) {
        errors.push(`${s.host}: ${errorMessage(err)}`);
        continue;
      }
      if (c.serving !== undefined && c.serving !== s.host) {
        c.failovers++;
        this.#log.warn({ cluster: id, from: c.serving, to: s.host }, 'swarm cluster now served by another manager');
      }
      c.serving = s.host;
      if (poll.skipped > 0) this.#log.debug({ cluster: id, skipped: poll.skipped }, 'swarm answers held entries without an id');
      const view: ClusterSnapshot = { clusterId: id, servedBy: s.host, up: true, services: this.#services(c, poll), nodes: poll.nodes, failovers: c.failovers };
      c.last = { at: Date.now(), view };
      return view;
    }
    // No manager answered: the cluster is down for this scrape, its services and nodes unknown.
    // The view hangs on the manager that served last (or the first), so cluster_up stays one series.
    const at = candidates.find((s) => s.host === c.serving) ?? candidates[0]!;
    const error = `no manager answered: ${errors.join('; ')}`;
    c.last = undefined;
    return { clusterId: id, servedBy: at.host, up: false, error, services: [], nodes: [], failovers: c.failovers };
  }

  #services(c: Cluster, poll: ClusterPoll): SwarmService[] {
    const byService = new Map<string, { tasks: Record<SwarmTaskState, number>; failed: string[] }>();
    for (const id of poll.listed) byService.set(id, { tasks: zeroTasks(), failed: [] });
    for (const t of poll.tasks) {
      const e = byService.get(t.serviceId)!;
      if (t.desiredState === 'running' && t.state !== 'unknown') e.tasks[t.state]++;
      if (FAILED.has(t.state)) e.failed.push(t.id);
    }
    const live = new Set<string>();
    const out: SwarmService[] = [];
    for (const s of poll.services) {
      live.add(s.id);
      const counted = byService.get(s.id);
      let failures = c.failures.get(s.id);
      if (counted) {
        // Counted once per task id; ids the manager has dropped from its history are forgotten.
        failures ??= { ids: new Set(), count: 0 };
        const ids = new Set(counted.failed);
        for (const id of ids) if (!failures.ids.has(id)) failures.count++;
        failures.ids = ids;
        c.failures.set(s.id, failures);
      }
      // Listed tasks count better: ServiceStatus.RunningTasks (Docker 26) still counts the tasks
      // of a node that went down, which are to shut down and already replaced elsewhere.
      const running = counted?.tasks.running ?? s.status?.running ?? 0;
      const desired = s.status?.desired ?? s.replicas;
      // A service whose tasks were not listed runs its desired count, all of them running.
      const tasks = counted?.tasks ?? { ...zeroTasks(), running };
      out.push({
        id: s.id,
        name: s.name,
        stack: s.stack,
        mode: s.mode,
        image: s.image,
        desiredTasks: desired,
        runningTasks: running,
        tasks,
        ...(s.updateState ? { updateState: s.updateState } : {}),
        failedTasks: failures?.count ?? 0,
      });
    }
    for (const id of c.failures.keys()) if (!live.has(id)) c.failures.delete(id);
    return out;
  }
}

function zeroTasks(): Record<SwarmTaskState, number> {
  return Object.fromEntries(SWARM_TASK_STATES.map((s) => [s, 0])) as Record<SwarmTaskState, number>;
}
