// A fake Swarm cluster for the fake engine: services, nodes and tasks as a manager's
// GET /services (?status=true), /nodes and /tasks (?filters=) answer them. Several fake engines
// can share one, each as one of its nodes (manager or worker). Bodies are rendered when the
// state changes, not per request.
import { randomBytes } from 'node:crypto';

export interface FakeServiceInput {
  name: string;
  mode?: 'replicated' | 'global';
  /** replicated only; default 1 */
  replicas?: number;
  stack?: string;
  image?: string;
  /** a placement constraint no node meets: its tasks stay pending */
  unschedulable?: boolean;
  /** its tasks fail as they start: each converge() adds a failed task per slot */
  crashLooping?: boolean;
  updateState?: string;
}

export interface FakeService extends Required<Omit<FakeServiceInput, 'updateState'>> {
  id: string;
  updateState?: string;
}

export interface FakeNode {
  id: string;
  hostname: string;
  role: 'manager' | 'worker';
  status: 'ready' | 'down' | 'unknown' | 'disconnected';
  availability: 'active' | 'pause' | 'drain';
  leader: boolean;
  reachability: 'reachable' | 'unreachable' | 'unknown';
}

export interface FakeTask {
  id: string;
  serviceId: string;
  nodeId: string;
  slot: number;
  desiredState: 'running' | 'shutdown';
  state: string;
}

const hexId = (): string => randomBytes(13).toString('hex').slice(0, 25);

export class FakeSwarm {
  readonly id = hexId();
  readonly services: FakeService[] = [];
  readonly nodes: FakeNode[] = [];
  tasks: FakeTask[] = [];
  #version = 0;
  #rendered = -1;
  #servicesBody = '';
  #servicesStatusBody = '';
  #nodesBody = '';
  #taskBodies: string[] = [];

  /** `converge` false: call converge() once after adding many (a cluster of thousands of tasks). */
  addNode(input: Partial<FakeNode> & { hostname: string }, converge = true): FakeNode {
    const node: FakeNode = { id: hexId(), role: 'worker', status: 'ready', availability: 'active', leader: false, reachability: 'reachable', ...input };
    this.nodes.push(node);
    if (converge) this.converge();
    return node;
  }

  addService(input: FakeServiceInput, converge = true): FakeService {
    const { updateState, ...rest } = input;
    const s: FakeService = { id: hexId(), mode: 'replicated', replicas: 1, stack: '', image: 'bb:latest', unschedulable: false, crashLooping: false, ...rest, ...(updateState ? { updateState } : {}) };
    this.services.push(s);
    if (converge) this.converge();
    return s;
  }

  service(name: string): FakeService {
    const s = this.services.find((x) => x.name === name);
    if (!s) throw new Error(`fake swarm: no service "${name}"`);
    return s;
  }

  node(hostname: string): FakeNode {
    const n = this.nodes.find((x) => x.hostname === hostname);
    if (!n) throw new Error(`fake swarm: no node "${hostname}"`);
    return n;
  }

  /** Changes a service or node, then converges as the orchestrator would. */
  update<T extends FakeService | FakeNode>(x: T, patch: Partial<T>): void {
    Object.assign(x, patch);
    this.converge();
  }

  removeService(name: string): void {
    const s = this.service(name);
    this.services.splice(this.services.indexOf(s), 1);
    this.tasks = this.tasks.filter((t) => t.serviceId !== s.id);
    this.#version++;
  }

  /** The tasks each service should have: missing slots started, extra ones and those of down nodes shut down. */
  converge(): void {
    const ready = this.nodes.filter((n) => n.status === 'ready' && n.availability === 'active');
    const up = new Set(ready.map((n) => n.id));
    // A node down: its tasks are to shut down and replaced elsewhere, but still "running" as
    // last reported (Docker 26 counts them in ServiceStatus.RunningTasks until the node is back).
    for (const t of this.tasks) {
      if (t.desiredState === 'running' && !up.has(t.nodeId) && t.state === 'running') t.desiredState = 'shutdown';
      else if (t.desiredState === 'shutdown' && up.has(t.nodeId) && t.state === 'running') t.state = 'shutdown';
    }
    const byService = new Map<string, FakeTask[]>();
    for (const t of this.tasks) {
      const list = byService.get(t.serviceId);
      if (list) list.push(t);
      else byService.set(t.serviceId, [t]);
    }
    for (const s of this.services) {
      const slots = s.mode === 'global' ? ready.map((_, i) => i + 1) : Array.from({ length: s.replicas }, (_, i) => i + 1);
      const current = (byService.get(s.id) ?? []).filter((t) => t.desiredState === 'running');
      for (const t of current) {
        if (t.slot > slots.length) {
          t.desiredState = 'shutdown';
          t.state = 'shutdown';
        } else if (s.crashLooping && t.state === 'running') {
          t.desiredState = 'shutdown';
          t.state = 'failed';
        }
      }
      const live = new Set(current.filter((t) => t.desiredState === 'running').map((t) => t.slot));
      for (const slot of slots) {
        if (live.has(slot)) continue;
        const node = s.mode === 'global' ? ready[slot - 1] : ready[(slot - 1) % Math.max(1, ready.length)];
        const state = s.unschedulable || !node ? 'pending' : s.crashLooping ? 'starting' : 'running';
        this.tasks.push({ id: hexId(), serviceId: s.id, nodeId: s.unschedulable ? '' : (node?.id ?? ''), slot, desiredState: 'running', state });
      }
    }
    this.#version++;
  }

  /** @internal what the fake engine answers */
  answer(path: '/services' | '/nodes' | '/tasks', query: URLSearchParams): string {
    this.#render();
    if (path === '/nodes') return this.#nodesBody;
    if (path === '/services') {
      const status = query.get('status');
      return status === '1' || status === 'true' ? this.#servicesStatusBody : this.#servicesBody;
    }
    const filters = JSON.parse(query.get('filters') ?? '{}') as Record<string, unknown>;
    const wanted = filterValues(filters.service);
    const desired = filterValues(filters['desired-state']);
    const out: string[] = [];
    this.tasks.forEach((t, i) => {
      if (wanted && !wanted.has(t.serviceId)) return;
      if (desired && !desired.has(t.desiredState)) return;
      out.push(this.#taskBodies[i]!);
    });
    return `[${out.join(',')}]\n`;
  }

  #render(): void {
    if (this.#rendered === this.#version) return;
    const running = new Map<string, number>();
    for (const t of this.tasks) if (t.state === 'running') running.set(t.serviceId, (running.get(t.serviceId) ?? 0) + 1);
    const eligible = this.nodes.filter((n) => n.status === 'ready' && n.availability === 'active').length;
    const spec = (s: FakeService) => ({
      Name: s.name,
      Labels: s.stack ? { 'com.docker.stack.namespace': s.stack } : {},
      TaskTemplate: { ContainerSpec: { Image: `${s.image}@sha256:${'0'.repeat(64)}` }, Placement: s.unschedulable ? { Constraints: ['node.labels.nope==1'] } : {} },
      Mode: s.mode === 'global' ? { Global: {} } : { Replicated: { Replicas: s.replicas } },
    });
    const body = (s: FakeService, status: boolean) => ({
      ID: s.id,
      Version: { Index: 11 },
      CreatedAt: '2026-01-01T00:00:00Z',
      Spec: spec(s),
      Endpoint: { Spec: {} },
      ...(s.updateState ? { UpdateStatus: { State: s.updateState, Message: 'update' } } : {}),
      ...(status ? { ServiceStatus: { RunningTasks: running.get(s.id) ?? 0, DesiredTasks: s.mode === 'global' ? (s.unschedulable ? 0 : eligible) : s.replicas, CompletedTasks: 0 } } : {}),
    });
    this.#servicesBody = `${JSON.stringify(this.services.map((s) => body(s, false)))}\n`;
    this.#servicesStatusBody = `${JSON.stringify(this.services.map((s) => body(s, true)))}\n`;
    this.#nodesBody = `${JSON.stringify(
      this.nodes.map((n) => ({
        ID: n.id,
        Spec: { Role: n.role, Availability: n.availability, Labels: {} },
        Description: { Hostname: n.hostname, Platform: { Architecture: 'x86_64', OS: 'linux' }, Engine: { EngineVersion: '26.1.5' } },
        Status: { State: n.status, Addr: '127.0.0.1' },
        ...(n.role === 'manager' ? { ManagerStatus: { Leader: n.leader, Reachability: n.reachability, Addr: '127.0.0.1:2377' } } : {}),
      })),
    )}\n`;
    this.#taskBodies = this.tasks.map((t) =>
      JSON.stringify({
        ID: t.id,
        ServiceID: t.serviceId,
        NodeID: t.nodeId,
        Slot: t.slot,
        Spec: { ContainerSpec: { Image: 'bb:latest' } },
        Status: { Timestamp: '2026-01-01T00:00:00Z', State: t.state, Message: t.state, ...(t.state === 'failed' ? { Err: 'task: non-zero exit (1)' } : {}) },
        DesiredState: t.desiredState,
      }),
    );
    this.#rendered = this.#version;
  }
}

function filterValues(v: unknown): Set<string> | undefined {
  if (Array.isArray(v)) return new Set(v.map(String));
  if (v !== null && typeof v === 'object') return new Set(Object.keys(v));
  return undefined;
}
