// --web.listen-address: parsed here alone, for the flag, the config and the listener.
import { splitHostPort } from '../util/host-port.ts';

export type ListenAddress = { ok: true; host?: string; port: number } | { ok: false; error: string };

/** ":9417" (all interfaces), "127.0.0.1:9417", "localhost:9417" or "[::1]:9417". Port 0 = any free port. */
export function parseListenAddress(text: string): ListenAddress {
  const fail = (why: string): ListenAddress => ({ ok: false, error: `${JSON.stringify(text)}: ${why}` });
  const hp = splitHostPort(text, { requireHost: false, minPort: 0, ipv6Example: '[::1]:9417' });
  if (!hp.ok) return fail(hp.error);
  if (hp.port === undefined) return fail('expected host:port or :port');
  return hp.host === '' ? { ok: true, port: hp.port } : { ok: true, host: hp.host, port: hp.port };
}
