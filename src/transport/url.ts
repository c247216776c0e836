// The authority of a tcp:// or ssh:// URL: [user@]host[:port], and no path.
import { splitHostPort } from '../util/host-port.ts';
import type { UrlResult } from './types.ts';

const USER = /^[A-Za-z0-9_.][A-Za-z0-9_.-]*$/;

export function parseAuthority(
  scheme: string,
  rest: string,
  opts: { user: 'none' | 'required'; defaultPort: number; pathError: string },
): UrlResult<{ user?: string; host: string; port: number }> {
  const fail = (error: string) => ({ ok: false, error }) as const;
  const slash = rest.indexOf('/');
  const authority = slash >= 0 ? rest.slice(0, slash) : rest;
  if (slash >= 0 && rest.slice(slash) !== '/') return fail(opts.pathError);
  const at = authority.lastIndexOf('@');
  let user: string | undefined;
  let hostPort = authority;
  if (at >= 0) {
    if (opts.user === 'none') return fail(`${scheme}:// URLs take no user name`);
    user = authority.slice(0, at);
    hostPort = authority.slice(at + 1);
  }
  if (opts.user === 'required') {
    if (user === undefined || user === '') return fail(`${scheme}:// needs a user: ${scheme}://user@host[:port]`);
    if (!USER.test(user)) return fail(`${JSON.stringify(user)} is not a valid user name`);
  }
  const hp = splitHostPort(hostPort, { requireHost: true, minPort: 1, ipv6Example: 'tcp://[::1]:2376' });
  if (!hp.ok) return hp;
  const port = hp.port ?? opts.defaultPort;
  return { ok: true, value: user === undefined ? { host: hp.host, port } : { user, host: hp.host, port } };
}
