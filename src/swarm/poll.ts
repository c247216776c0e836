// One look at a cluster through one manager: services with their task counts, nodes, and the
// tasks of only the services that need them. At 200 services x 10 replicas the task list of
// every service is about 2000 entries of 2-3 KiB each per scrape; `status=true` makes it
// needless for a service whose running count is its desired count.
import { EngineError } from '../docker/engine-client.ts';
import type { SwarmNode } from '../model.ts';
import { decodeNodes, decodeServices, decodeTasks, type Decoded, type ListedService, type ListedTask } from './decode.ts';

/** A manager's control plane, through its host's dockerode (docker/daemon-client.ts). */
export interface SwarmApi {
  services(timeoutMs: number): Promise<unknown>;
  nodes(timeoutMs: number): Promise<unknown>;
  tasks(filters: Record<string, string[]>, timeoutMs: number): Promise<unknown>;
}

export interface ClusterPoll {
  services: ListedService[];
  nodes: SwarmNode[];
  /** the tasks of `listed` services, every desired state (failed ones included) */
  tasks: ListedTask[];
  /** ids of the services whose tasks were listed */
  listed: ReadonlySet<string>;
  /** entries of the answers left out for want of an id */
  skipped: number;
}

/**
 * Past this many services needing their tasks, one unfiltered list is cheaper than a query
 * string of their ids (25 bytes each).
 */
const MAX_SERVICE_FILTER = 100;

/** A service whose counts the task list must give (or explain): running is not desired, or unknown. */
export function needsTasks(s: ListedService): boolean {
  return s.status === undefined || s.status.running !== s.status.desired;
}

function items<T>(d: Decoded<T>): { items: T[]; skipped: number } {
  if (typeof d === 'string') throw new EngineError(d);
  return d;
}

/** Rejects on any failed call: a partial view of a cluster would read as services gone. */
export async function pollCluster(api: SwarmApi, deadline: number): Promise<ClusterPoll> {
  const left = (): number => Math.max(1, deadline - Date.now());
  const [servicesBody, nodesBody] = await Promise.all([api.services(left()), api.nodes(left())]);
  const services = items(decodeServices(servicesBody));
  const nodes = items(decodeNodes(nodesBody));
  const wanted = services.items.filter(needsTasks).map((s) => s.id);
  let tasks: ListedTask[] = [];
  let skipped = services.skipped + nodes.skipped;
  if (wanted.length > 0) {
    const filters: Record<string, string[]> = wanted.length <= MAX_SERVICE_FILTER ? { service: wanted } : {};
    const listed = items(decodeTasks(await api.tasks(filters, left())));
    const keep = new Set(wanted);
    tasks = listed.items.filter((t) => keep.has(t.serviceId));
    skipped += listed.skipped;
  }
  return { services: services.items, nodes: nodes.items, tasks, listed: new Set(wanted), skipped };
}
