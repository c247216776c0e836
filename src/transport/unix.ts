// unix:///path.sock: a local daemon on its unix socket.
import { Agent } from 'node:http';
import { keepAliveOptions, sideAgents, type Transport, type TransportDescriptor } from './types.ts';

export type UnixEndpoint = { kind: 'unix'; socketPath: string };

export const unixTransport: TransportDescriptor<UnixEndpoint> = {
  scheme: 'unix',
  form: 'unix:///path/to/docker.sock',
  example: 'unix:///var/run/docker.sock',
  authority: false,
  parseUrl(rest) {
    if (!rest.startsWith('/') || rest === '/') return { ok: false, error: 'unix:// needs an absolute socket path, e.g. unix:///var/run/docker.sock' };
    return { ok: true, value: { kind: 'unix', socketPath: rest } };
  },
  fromDockerEnv: (endpoint) => ({ endpoint, errors: [], warnings: [] }),
  create: (_name, endpoint, { maxInFlight }) => createUnixTransport(endpoint.socketPath, maxInFlight),
};

/** Keep-alive, so a probe reuses its connections. */
export function createUnixTransport(socketPath: string, maxSockets: number): Transport {
  const agent = new Agent(keepAliveOptions(maxSockets));
  const side = sideAgents(() => new Agent({ keepAlive: false }));
  return {
    agent,
    newSideAgent: side.newSideAgent,
    requestOptions: { protocol: 'http:', socketPath },
    async close() {
      agent.destroy();
      side.destroy();
    },
  };
}
