// The Swarm control plane's answers (GET /services?status=true, /nodes, /tasks), decoded into
// plain data. A field of the wrong shape is a value to handle: an entry without an id is left
// out and counted, never a TypeError.
import {
  SWARM_NODE_AVAILABILITIES,
  SWARM_NODE_ROLES,
  SWARM_NODE_STATES,
  SWARM_REACHABILITIES,
  SWARM_TASK_STATES,
  SWARM_UPDATE_STATES,
  type SwarmNode,
  type SwarmServiceMode,
  type SwarmTaskState,
  type SwarmUpdateState,
} from '../model.ts';
import { asRecord, jsonKind, num, str } from '../util/json.ts';

/** A service as listed, before its tasks are counted. */
export interface ListedService {
  id: string;
  name: string;
  stack: string;
  mode: SwarmServiceMode;
  image: string;
  /** the spec's replicas (replicated), else NaN */
  replicas: number;
  /** ServiceStatus (API 1.41+, `status=true`); absent from older daemons */
  status?: { running: number; desired: number };
  updateState?: SwarmUpdateState;
}

export interface ListedTask {
  id: string;
  serviceId: string;
  desiredState: string;
  state: SwarmTaskState | 'unknown';
}

/** The list, or a message naming what is wrong with the body. */
export type Decoded<T> = { items: T[]; skipped: number } | string;

function list<T>(what: string, body: unknown, one: (x: Record<string, unknown>) => T | undefined): Decoded<T> {
  if (!Array.isArray(body)) return `${what}: expected an array, got ${jsonKind(body)}`;
  const items: T[] = [];
  let skipped = 0;
  for (const raw of body) {
    const x = one(asRecord(raw));
    if (x === undefined) skipped++;
    else items.push(x);
  }
  return { items, skipped };
}

function oneOf<T extends string>(values: readonly T[], v: unknown): T | undefined {
  const s = str(v).toLowerCase();
  return (values as readonly string[]).includes(s) ? (s as T) : undefined;
}

export const STACK_LABEL = 'com.docker.stack.namespace';

/** `bb:latest@sha256:…` -> `bb:latest`: the digest makes the label long and says nothing more to a reader. */
function imageName(image: string): string {
  const at = image.indexOf('@');
  return at > 0 ? image.slice(0, at) : image;
}

function serviceMode(mode: Record<string, unknown>): { mode: SwarmServiceMode; replicas: number } {
  if (mode.Global !== undefined) return { mode: 'global', replicas: NaN };
  if (mode.ReplicatedJob !== undefined) return { mode: 'replicated-job', replicas: num(asRecord(mode.ReplicatedJob).MaxConcurrent) };
  if (mode.GlobalJob !== undefined) return { mode: 'global-job', replicas: NaN };
  // the daemon's default when Mode is left out
  return { mode: 'replicated', replicas: num(asRecord(mode.Replicated).Replicas) };
}

export function decodeServices(body: unknown): Decoded<ListedService> {
  return list('GET /services', body, (s) => {
    const id = str(s.ID);
    const spec = asRecord(s.Spec);
    const name = str(spec.Name);
    if (id === '' || name === '') return undefined;
    const status = asRecord(s.ServiceStatus);
    const running = num(status.RunningTasks);
    const desired = num(status.DesiredTasks);
    const updateState = oneOf(SWARM_UPDATE_STATES, asRecord(s.UpdateStatus).State);
    return {
      id,
      name,
      stack: str(asRecord(spec.Labels)[STACK_LABEL]),
      ...serviceMode(asRecord(spec.Mode)),
      image: imageName(str(asRecord(asRecord(spec.TaskTemplate).ContainerSpec).Image)),
      ...(Number.isNaN(running) || Number.isNaN(desired) ? {} : { status: { running, desired } }),
      ...(updateState ? { updateState } : {}),
    };
  });
}

export function decodeNodes(body: unknown): Decoded<SwarmNode> {
  return list('GET /nodes', body, (n) => {
    const id = str(n.ID);
    if (id === '') return undefined;
    const spec = asRecord(n.Spec);
    const desc = asRecord(n.Description);
    const status = asRecord(n.Status);
    const manager = n.ManagerStatus === undefined || n.ManagerStatus === null ? undefined : asRecord(n.ManagerStatus);
    const role = oneOf(SWARM_NODE_ROLES, spec.Role) ?? (manager ? 'manager' : 'worker');
    return {
      id,
      hostname: str(desc.Hostname),
      role,
      availability: oneOf(SWARM_NODE_AVAILABILITIES, spec.Availability) ?? 'active',
      status: oneOf(SWARM_NODE_STATES, status.State) ?? 'unknown',
      address: str(status.Addr),
      engineVersion: str(asRecord(desc.Engine).EngineVersion),
      ...(manager ? { reachability: oneOf(SWARM_REACHABILITIES, manager.Reachability) ?? 'unknown' } : {}),
      leader: manager?.Leader === true,
    };
  });
}

export function decodeTasks(body: unknown): Decoded<ListedTask> {
  return list('GET /tasks', body, (t) => {
    const id = str(t.ID);
    const serviceId = str(t.ServiceID);
    if (id === '' || serviceId === '') return undefined;
    return { id, serviceId, desiredState: str(t.DesiredState), state: oneOf(SWARM_TASK_STATES, asRecord(t.Status).State) ?? 'unknown' };
  });
}
