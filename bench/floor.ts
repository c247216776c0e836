// The floor: the least any exporter must do against the same fleet. A bare node:http client
// with one keep-alive agent per host lists every host and fetches and JSON.parses every
// running container's one-shot stats, all in parallel, and nothing else. Runs in its own
// process so its CPU can be read from /proc like the exporter's.
import http from 'node:http';
import { serve } from '../test/support/ipc.ts';

export interface FloorSpec {
  /** unix socket per host, or TCP port on 127.0.0.1 */
  hosts: { socketPath?: string; port?: number }[];
  /** requests in flight per host, as the exporter's collection.concurrency */
  concurrency: number;
}

const spec = JSON.parse(process.argv[2] ?? '{}') as FloorSpec;
const agents = spec.hosts.map(() => new http.Agent({ keepAlive: true, maxSockets: spec.concurrency, maxFreeSockets: spec.concurrency, scheduling: 'lifo' }));

function get(host: number, path: string): Promise<unknown> {
  const h = spec.hosts[host]!;
  return new Promise((resolve, reject) => {
    const req = http.request({ agent: agents[host], socketPath: h.socketPath, host: '127.0.0.1', port: h.port, path, method: 'GET' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        } catch (err) {
          reject(err);
        }
      });
    });
    req.on('error', reject);
    req.end();
  });
}

async function scrapeHost(host: number): Promise<number> {
  const list = (await get(host, '/containers/json?all=1')) as { Id: string; State: string }[];
  const running = list.filter((c) => c.State === 'running' || c.State === 'paused');
  await Promise.all(running.map((c) => get(host, `/containers/${c.Id}/stats?stream=false&one-shot=true`)));
  return running.length;
}

serve({
  /** One fleet-wide pass; returns wall ms and the number of stats bodies parsed. */
  scrape: async () => {
    const t0 = performance.now();
    const counts = await Promise.all(spec.hosts.map((_, i) => scrapeHost(i)));
    return { wallMs: performance.now() - t0, containers: counts.reduce((a, b) => a + b, 0) };
  },
  close: () => {
    for (const a of agents) a.destroy();
    setImmediate(() => process.exit(0));
  },
});
process.send?.({ ready: true });
