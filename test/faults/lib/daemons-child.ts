// A child process serving fake Engine APIs (test/support/fake-engine.ts), one per host on a unix
// socket, driven over IPC by daemons.ts. Out of the test process so that a daemon streaming
// 200 MB or nested arrays never delays the test's own clocks and clients.
import { join } from 'node:path';
import { startFakeEngine, type FakeEngine, type FaultRule, type RequestRecord } from '../../support/fake-engine.ts';
import { serve } from '../../support/ipc.ts';
import type { ContainerInput } from '../../support/stats-bodies.ts';

export interface DaemonHostSpec {
  name: string;
  containers: ContainerInput[];
}

export type ContainerOp =
  | { op: 'add'; container: ContainerInput }
  | { op: 'remove'; ref: string }
  | { op: 'update'; ref: string; patch: ContainerInput };

export interface MethodReport {
  host: string;
  total: number;
  byMethod: Record<string, number>;
  /** the first few requests that were not GET */
  nonGet: RequestRecord[];
}

const engines = new Map<string, FakeEngine>();

function engine(host: unknown): FakeEngine {
  const e = engines.get(String(host));
  if (!e) throw new Error(`no fake daemon "${String(host)}"`);
  return e;
}

serve({
  async start(arg) {
    const { dir, hosts } = arg as { dir: string; hosts: DaemonHostSpec[] };
    for (const h of hosts) {
      // logLimit: the non-GET check reads byMethod, which counts everything; the log is for detail
      const e = await startFakeEngine({ socketPath: join(dir, `${h.name}.sock`), containers: h.containers, logLimit: 1000 });
      engines.set(h.name, e);
    }
    return hosts.map((h) => ({ name: h.name, url: engine(h.name).url }));
  },
  fault(arg) {
    const { host, rule } = arg as { host: string; rule: FaultRule };
    engine(host).addFault(rule);
    // streams already open would never see it
    if (rule.kind === 'events') engine(host).events.cut();
  },
  clearFaults(arg) {
    engine((arg as { host: string }).host).clearFaults();
  },
  mutate(arg) {
    const { host, ops } = arg as { host: string; ops: ContainerOp[] };
    const store = engine(host).containers;
    for (const o of ops) {
      if (o.op === 'add') store.add(o.container);
      else if (o.op === 'remove') store.remove(o.ref);
      else store.update(o.ref, o.patch);
    }
  },
  containers(arg) {
    return engine((arg as { host: string }).host)
      .containers.all()
      .map((c) => ({ id: c.id, name: c.name, state: c.state }));
  },
  methods(): MethodReport[] {
    return [...engines].map(([host, e]) => ({
      host,
      total: e.requests.total,
      byMethod: { ...e.requests.byMethod },
      nonGet: e.requests.log.filter((r) => r.method !== 'GET').slice(0, 5),
    }));
  },
  async close() {
    await Promise.all([...engines.values()].map((e) => e.close()));
    setImmediate(() => process.exit(0));
  },
});
process.send?.({ ready: true });
