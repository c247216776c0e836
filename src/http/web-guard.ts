// What the web config puts in front of every endpoint but /-/healthy, in exporter-toolkit's
// order: the file must be valid (else 500: fail closed), rate_limit (429), the configured
// headers, then basic auth (401 with WWW-Authenticate: Basic).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LiveWebConfig } from '../web/live.ts';

/** pass, or the status and one-line body to answer with instead */
export type Verdict = { pass: true } | { pass: false; status: number; body: string };

const PASS: Verdict = { pass: true };

export async function guard(web: LiveWebConfig, req: IncomingMessage, res: ServerResponse): Promise<Verdict> {
  const current = web.current();
  // The reason is in the log (once per change); a client learns nothing about the file.
  if (!current.ok) return { pass: false, status: 500, body: '500 internal server error: the web config file is invalid (see the exporter\'s log)\n' };
  const { config, limiter } = current.state;
  if (limiter !== undefined && !limiter.take()) return { pass: false, status: 429, body: '429 too many requests (rate_limit in the web config)\n' };
  for (const [name, value] of config.headers) res.setHeader(name, value);
  if (config.users.size === 0) return PASS;
  const result = await web.auth.check(config.users, req.headers.authorization);
  if (result === 'ok') return PASS;
  if (result === 'busy') return { pass: false, status: 503, body: '503 service unavailable: too many password checks in progress; try again later\n' };
  res.setHeader('www-authenticate', 'Basic');
  return { pass: false, status: 401, body: '401 unauthorized\n' };
}
