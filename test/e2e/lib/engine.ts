// What the daemon itself says: GET requests to the Engine API on a unix socket.
import { request } from 'node:http';

export async function engineGet<T>(socket: string, path: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const req = request({ socketPath: socket, path, method: 'GET', headers: { host: 'docker' }, timeout: 15_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode !== 200) {
          reject(new Error(`GET ${path} on ${socket}: HTTP ${res.statusCode}: ${body.slice(0, 200)}`));
          return;
        }
        try {
          resolve(JSON.parse(body) as T);
        } catch (err) {
          reject(new Error(`GET ${path} on ${socket}: bad JSON: ${(err as Error).message}`));
        }
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path} on ${socket}: timed out`)));
    req.on('error', reject);
    req.end();
  });
}

export interface ListedContainer {
  Id: string;
  Names: string[];
  Image: string;
  State: string;
  Labels: Record<string, string> | null;
}

export interface Inspect {
  Id: string;
  Name: string;
  RestartCount: number;
  State: {
    Status: string;
    Running: boolean;
    Restarting: boolean;
    Pid: number;
    ExitCode: number;
    OOMKilled: boolean;
    StartedAt: string;
    FinishedAt: string;
    Health?: { Status: string };
  };
  HostConfig: { Memory: number; MemoryReservation: number; MemorySwap: number; NanoCpus: number; CpuShares: number };
}

export interface EngineInfo {
  NCPU: number;
  MemTotal: number;
  ServerVersion: string;
  Driver: string;
  CgroupVersion?: string;
}

export const listContainers = (socket: string) => engineGet<ListedContainer[]>(socket, '/containers/json?all=1');
export const inspect = (socket: string, idOrName: string) => engineGet<Inspect>(socket, `/containers/${encodeURIComponent(idOrName)}/json`);
export const info = (socket: string) => engineGet<EngineInfo>(socket, '/info');
export const version = (socket: string) => engineGet<{ Version: string; ApiVersion: string }>(socket, '/version');

/** The display name the exporter uses: first name without its "/". */
export const displayName = (c: ListedContainer): string => (c.Names[0] ?? '').replace(/^\//, '') || c.Id.slice(0, 12);

export interface Observed {
  container: ListedContainer;
  inspect: Inspect;
}

/**
 * Lists and inspects every container, runs `during`, and lists and inspects again. Returns the
 * containers that did not change meanwhile (same state, start, finish and restart count): for
 * those, whatever the exporter saw during `during` must equal what the daemon says.
 */
export async function heldStill<T>(socket: string, during: () => Promise<T>): Promise<{ result: T; still: Observed[] }> {
  const look = async () => {
    const list = await listContainers(socket);
    const inspected = await Promise.all(list.map((c) => inspect(socket, c.Id).catch(() => null)));
    return list.flatMap((c, i) => (inspected[i] ? [{ container: c, inspect: inspected[i] }] : []));
  };
  const key = (o: Observed) => `${o.container.State}|${o.inspect.State.Status}|${o.inspect.RestartCount}|${o.inspect.State.StartedAt}|${o.inspect.State.FinishedAt}`;
  const before = await look();
  const result = await during();
  const after = new Map((await look()).map((o) => [o.container.Id, key(o)]));
  return { result, still: before.filter((o) => after.get(o.container.Id) === key(o)) };
}
