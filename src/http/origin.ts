// Cross-site requests to endpoints that change something (POST|PUT /-/reload). A browser sends
// Origin with every POST and PUT, from any page and even with a text/plain body that needs no
// CORS preflight; Prometheus, curl, systemd's ExecReload and other programs send none. So a
// request without Origin is let through, and one with an Origin other than this server's (the
// scheme and the Host it was sent to) is refused. This stops a page on another site from
// reloading the exporter through a visitor's browser; it cannot stop a page served from a name
// that resolves to the exporter (DNS rebinding): basic auth does.
import type { IncomingHttpHeaders } from 'node:http';

/** Whether a browser sent this request from a page of another origin than this server. */
export function isCrossOrigin(headers: IncomingHttpHeaders, https: boolean): boolean {
  const origin = headers.origin;
  if (origin === undefined) return false;
  const self = headers.host === undefined ? undefined : originOf(`${https ? 'https' : 'http'}://${headers.host}`);
  const from = originOf(origin);
  return from === undefined || from !== self;
}

/** scheme://host:port as URL normalizes it (default port dropped, host lowercased); undefined when not a URL ("null"). */
function originOf(url: string): string | undefined {
  try {
    const u = new URL(url);
    return u.host === '' ? undefined : `${u.protocol}//${u.host}`;
  } catch {
    return undefined;
  }
}
