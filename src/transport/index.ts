// THE map of transports, one line each: a URL scheme and what reaches a daemon by it. The config
// reads hosts[].url and the transport's block through it, and the fleet creates transports
// through it. Another transport (a test's) registers itself the same way.
import { Registry } from '../util/registry.ts';
import { sshTransport } from './ssh/index.ts';
import { tcpTransport } from './tcp.ts';
import type { Transport, TransportDeps, TransportDescriptor } from './types.ts';
import { unixTransport } from './unix.ts';

const BUILT_IN = [
  unixTransport,
  tcpTransport,
  sshTransport,
] as const;

/** Where a host's daemon is: one variant per built-in transport, `kind` being its scheme. */
export type Endpoint = (typeof BUILT_IN)[number] extends infer D ? (D extends TransportDescriptor<infer E, infer _U> ? E : never) : never;

const registry = new Registry<TransportDescriptor>((scheme) => `transport "${scheme}://" is registered twice`);

/** Adds a transport; its scheme must be new. */
export function registerTransport(transport: TransportDescriptor): void {
  registry.add(transport.scheme, transport);
}

for (const transport of BUILT_IN) registerTransport(transport);

/** In registration order. */
export function registeredTransports(): readonly TransportDescriptor[] {
  return registry.all();
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
