// Fake Docker daemons in a child process (daemons-child.ts), from the test's side.
import { fork } from 'node:child_process';
import type { FaultRule } from '../../support/fake-engine.ts';
import { Rpc } from '../../support/ipc.ts';
import type { ContainerOp, DaemonHostSpec, MethodReport } from './daemons-child.ts';

export type { ContainerOp, DaemonHostSpec, MethodReport };

export interface Daemons {
  readonly pid: number;
  /** host name -> "unix:///…sock" */
  readonly urls: ReadonlyMap<string, string>;
  fault(host: string, rule: FaultRule): Promise<void>;
  clearFaults(host: string): Promise<void>;
  mutate(host: string, ops: ContainerOp[]): Promise<void>;
  containers(host: string): Promise<{ id: string; name: string; state: string }[]>;
  methods(): Promise<MethodReport[]>;
  close(): Promise<void>;
}

export async function startDaemons(label: string, dir: string, hosts: DaemonHostSpec[]): Promise<Daemons> {
  const child = fork(new URL('./daemons-child.ts', import.meta.url), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const rpc = await Rpc.ready(child, `fake daemons ${label}`);
  const started = await rpc.call<{ name: string; url: string }[]>('start', { dir, hosts });
  return {
    pid: child.pid!,
    urls: new Map(started.map((h) => [h.name, h.url])),
    fault: (host, rule) => rpc.call('fault', { host, rule }),
    clearFaults: (host) => rpc.call('clearFaults', { host }),
    mutate: (host, ops) => rpc.call('mutate', { host, ops }),
    containers: (host) => rpc.call('containers', { host }),
    methods: () => rpc.call('methods'),
    async close() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      await rpc.call('close').catch(() => child.kill('SIGKILL'));
      await exited;
    },
  };
}
