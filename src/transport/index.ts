// THE map of transports, one line each: a URL scheme and what reaches a daemon by it. The config
// reads hosts[].url and the transport's block through it, and the fleet creates transports
// through it. Another transport (a test's) registers itself the same way.
import { sshTransport } from './ssh/index.ts';
import type { SshEndpoint } from './ssh/options.ts';
import { tcpTransport, type TcpEndpoint } from './tcp.ts';
import type { Transport, TransportDeps, TransportDescriptor } from './types.ts';
import { unixTransport, type UnixEndpoint } from './unix.ts';

/** Where a host's daemon is: one variant per built-in transport, `kind` being its scheme. */
export type Endpoint = UnixEndpoint | TcpEndpoint | SshEndpoint;

const registry = new Map<string, TransportDescriptor>();

/** Adds a transport; its scheme must be new. */
export function registerTransport<E extends { kind: string }, U extends { kind: string }>(transport: TransportDescriptor<E, U>): void {
  if (registry.has(transport.scheme)) throw new Error(`transport "${transport.scheme}://" is registered twice`);
  registry.set(transport.scheme, transport);
}

registerTransport(unixTransport);
registerTransport(tcpTransport);
registerTransport(sshTransport);

/** In registration order. */
export function registeredTransports(): readonly TransportDescriptor[] {
  return [...registry.values()];
}

export function transportFor(scheme: string): TransportDescriptor | undefined {
  return registry.get(scheme);
}

/** One transport per host; `deps.maxInFlight` bounds that host's concurrent Engine API requests. */
export function createTransport(name: string, endpoint: { kind: string }, deps: TransportDeps): Transport {
  const transport = registry.get(endpoint.kind);
  if (transport === undefined) throw new Error(`host ${name}: no transport for ${endpoint.kind}://`);
  return transport.create(name, endpoint, deps);
}
