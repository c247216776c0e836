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
  if (!tls) {
    const agent = new HttpAgent(common);
    return {
      kind: 'tcp',
      agent,
      requestOptions: { protocol: 'http:', host, port },
      async close() {
        agent.destroy();
      },
    };
  }
  // Files were checked readable at config load; a failure here is reported by the caller.
  const agent = new HttpsAgent({
    ...common,
    ca: tls.ca ? readFileSync(tls.ca) : undefined,
    cert: tls.cert ? readFileSync(tls.cert) : undefined,
    key: tls.key ? readFileSync(tls.key) : undefined,
    rejectUnauthorized: !tls.insecureSkipVerify,
  });
  return {
    kind: 'tcp',
    agent,
    requestOptions: { protocol: 'https:', host, port },
    async close() {
      agent.destroy();
    },
  };
}
