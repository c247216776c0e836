import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { loadTlsContext } from '../config/tls-material.ts';
import type { TlsFiles } from '../config/types.ts';
import type { Transport } from './types.ts';

/**
 * A remote daemon on TCP, plain or with mutual TLS. The TLS material lives in the agent,
 * loaded once into one secure context, so every request of the host shares its kept-alive
 * sessions: one handshake per connection, not per request, and no file read per connection.
 */
export function createTcpTransport(host: string, port: number, tls: TlsFiles | undefined, maxSockets: number, env: NodeJS.ProcessEnv = process.env): Transport {
  const common = { keepAlive: true, maxSockets, maxFreeSockets: maxSockets, scheduling: 'lifo' as const };
  let agent: HttpAgent;
  if (tls) {
    // Checked at config load; a file changed since fails this host's requests, not the process.
    const loaded = loadTlsContext(tls, env);
    agent = new HttpsAgent({ ...common, rejectUnauthorized: !tls.insecureSkipVerify, ...(loaded.ok ? { secureContext: loaded.context } : {}) });
    if (!loaded.ok) {
      const problem = loaded.problems.map((p) => `tls.${p.key}: ${p.message}`).join('; ');
      agent.createConnection = () => {
        throw new Error(problem);
      };
    }
  } else {
    agent = new HttpAgent(common);
  }
  return {
    kind: 'tcp',
    agent,
    requestOptions: { protocol: tls ? 'https:' : 'http:', host, port },
    async close() {
      agent.destroy();
    },
  };
}
