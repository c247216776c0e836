import { Agent } from 'node:http';
import type { Transport } from './types.ts';

/** A local daemon on its unix socket; keep-alive so a probe reuses its connections. */
export function createUnixTransport(socketPath: string, maxSockets: number): Transport {
  const agent = new Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets, scheduling: 'lifo' });
  return {
    kind: 'unix',
    agent,
    requestOptions: { protocol: 'http:', socketPath },
    async close() {
      agent.destroy();
    },
  };
}
