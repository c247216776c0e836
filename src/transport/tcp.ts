import { readFileSync } from 'node:fs';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { TlsFiles } from '../config/types.ts';
import type { Transport } from './types.ts';

/**
 * A remote daemon on TCP, plain or with mutual TLS. The TLS material lives in the agent,
 * not in each request, so every request of the host shares its kept-alive sessions:
 * one handshake per connection, not per request.
 */
export function createTcpTransport(host: string, port: number, tls: TlsFiles | undefined, maxSockets: number): Transport {
  const common = { keepAlive: true, maxSockets, maxFreeSockets: maxSockets, scheduling: 'lifo' as const };
  // Files were checked readable at config load.
  const agent = tls
    ? new HttpsAgent({
        ...common,
        ca: tls.ca ? readFileSync(tls.ca) : undefined,
        cert: tls.cert ? readFileSync(tls.cert) : undefined,
        key: tls.key ? readFileSync(tls.key) : undefined,
        rejectUnauthorized: !tls.insecureSkipVerify,
      })
    : new HttpAgent(common);
  return {
    kind: 'tcp',
    agent,
    requestOptions: { protocol: tls ? 'https:' : 'http:', host, port },
    async close() {
      agent.destroy();
    },
  };
}
