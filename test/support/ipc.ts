// A tiny request/response protocol over a forked child's IPC channel: the parent sends
// {id, cmd, arg}, the child answers {id, ok, value | error}.
import type { ChildProcess } from 'node:child_process';

interface Reply {
  id: number;
  ok: boolean;
  value?: unknown;
  error?: string;
}

export type Handlers = Record<string, (arg: unknown) => unknown>;

/** In the child: answer the parent's commands. */
export function serve(handlers: Handlers): void {
  process.on('message', (raw: unknown) => {
    const msg = raw as { id: number; cmd: string; arg: unknown };
    const send = (r: Reply): void => void process.send?.(r);
    const h = handlers[msg.cmd];
    if (!h) return send({ id: msg.id, ok: false, error: `unknown command ${msg.cmd}` });
    Promise.resolve()
      .then(() => h(msg.arg))
      .then(
        (value) => send({ id: msg.id, ok: true, value }),
        (err: unknown) => send({ id: msg.id, ok: false, error: err instanceof Error ? err.message : String(err) }),
      );
  });
}

/** In the parent: one client per child. */
export class Rpc {
  #next = 1;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  constructor(readonly child: ChildProcess, readonly label: string) {
    child.on('message', (raw: unknown) => {
      const r = raw as Reply;
      const p = this.#pending.get(r.id);
      if (!p) return;
      this.#pending.delete(r.id);
      if (r.ok) p.resolve(r.value);
      else p.reject(new Error(`${label}: ${r.error}`));
    });
    child.on('exit', (code) => {
      for (const p of this.#pending.values()) p.reject(new Error(`${label} exited (${code})`));
      this.#pending.clear();
    });
  }

  call<T>(cmd: string, arg?: unknown): Promise<T> {
    const id = this.#next++;
    return new Promise<T>((resolve, reject) => {
      // a child that is gone would never answer
      if (!this.child.connected) return reject(new Error(`${this.label}: not running (${cmd})`));
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ id, cmd, arg }, (err) => {
        if (!err || !this.#pending.delete(id)) return;
        reject(new Error(`${this.label}: ${cmd}: ${err.message}`));
      });
    });
  }

  /** Waits for the child's 'ready' message (sent once it serves). */
  static ready(child: ChildProcess, label: string): Promise<Rpc> {
    return new Promise((resolve, reject) => {
      const onMsg = (m: unknown): void => {
        if ((m as { ready?: boolean }).ready) {
          child.off('exit', onExit);
          child.off('message', onMsg);
          resolve(new Rpc(child, label));
        }
      };
      const onExit = (code: number | null): void => reject(new Error(`${label} exited (${code}) before it was ready`));
      child.on('message', onMsg);
      child.once('exit', onExit);
    });
  }
}
