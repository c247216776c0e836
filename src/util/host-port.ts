// "host:port" as a listen address and as the authority of a tcp:// or ssh:// URL write it.
import net from 'node:net';

const HOSTNAME = /^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?$/;

export type HostPort = { ok: true; host: string; port?: number } | { ok: false; error: string };

/**
 * "host", "host:port", "[v6]" or "[v6]:port"; the host comes back without brackets, '' when
 * none is written (":9417") and `requireHost` is false. `ipv6Example` shows the bracketed form.
 */
export function splitHostPort(text: string, opts: { requireHost: boolean; minPort: number; ipv6Example: string }): HostPort {
  let host: string;
  let portText: string | undefined;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) return { ok: false, error: 'unterminated [ in the host' };
    host = text.slice(1, close);
    if (!net.isIPv6(host)) return { ok: false, error: `${JSON.stringify(host)} is not an IPv6 address` };
    const after = text.slice(close + 1);
    if (after !== '') {
      if (!after.startsWith(':')) return { ok: false, error: 'unexpected text after the ] of the host' };
      portText = after.slice(1);
    }
  } else {
    const parts = text.split(':');
    if (parts.length > 2) return { ok: false, error: `IPv6 addresses need brackets: ${opts.ipv6Example}` };
    host = parts[0]!;
    portText = parts[1];
    if (host === '' && opts.requireHost) return { ok: false, error: 'missing host' };
    if (host !== '' && !HOSTNAME.test(host)) return { ok: false, error: `${JSON.stringify(host)} is not a valid host name` };
  }
  if (portText === undefined) return { ok: true, host };
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= opts.minPort && port <= 65535)) return { ok: false, error: `bad port ${JSON.stringify(portText)}: must be ${opts.minPort}-65535` };
  return { ok: true, host, port };
}
