// `docker-fleet-exporter healthcheck [flags]`: asks the running exporter for /healthz on the address
// that the same flags and environment make it listen on, for a container HEALTHCHECK. Docker runs
// a HEALTHCHECK with the image's and `docker run -e`'s environment but none of CMD's arguments, so
// the image sets the listen address in the environment, where both the server and this read it.
import http from 'node:http';
import { parseListenAddress } from '../config/listen-address.ts';
import type { RunArgs } from './flags.ts';
export type HealthResult = { ok: true } | { ok: false; reason: string };

/** Below Docker's own default --timeout (30 s) and the image's (3 s): the reason gets printed. */
export const HEALTHCHECK_TIMEOUT_MS = 2000;

/**
 * The address to check. One place to change when --web.listen-address becomes repeatable (the
 * first one) or the endpoint gets TLS (the scheme and the CA to trust).
 */
export function healthUrl(args: RunArgs): { ok: true; url: string } | { ok: false; reason: string } {
  const address = parseListenAddress(args.listenAddress);
  if (!address.ok) return { ok: false, reason: `--web.listen-address: ${address.error}` };
  if (address.port === 0) return { ok: false, reason: `--web.listen-address ${JSON.stringify(args.listenAddress)}: port 0 is any free port, which a health check cannot know` };
  return { ok: true, url: `http://${loopbackFor(address.host)}:${address.port}/healthz` };
}

/** Where a server bound to `host` is reached from inside its own network namespace. */
function loopbackFor(host: string | undefined): string {
  if (host === undefined || host === '0.0.0.0') return '127.0.0.1'; // ":9417" is every interface
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

/** GET `url`: ok on a 200 within `timeoutMs`, otherwise a one-line reason. Never rejects. */
export function checkHealth(url: string, timeoutMs: number = HEALTHCHECK_TIMEOUT_MS): Promise<HealthResult> {
  return new Promise((resolve) => {
    const fail = (why: string) => resolve({ ok: false, reason: `GET ${url}: ${why}` });
    const req = http.get(url, { agent: false, signal: AbortSignal.timeout(timeoutMs) }, (res) => {
      res.resume(); // the body is not needed; drain it so the socket closes
      if (res.statusCode === 200) resolve({ ok: true });
      else fail(`status ${res.statusCode ?? 'none'}`);
    });
    req.on('error', (err: Error) => {
      if (err.name === 'AbortError' || err.name === 'TimeoutError') fail(`no answer within ${timeoutMs} ms`);
      else fail(err.message);
    });
  });
}

/** The subcommand: exit code 0 when healthy, 1 with the reason on stderr when not. */
export async function runHealthcheck(args: RunArgs, stderr: NodeJS.WritableStream = process.stderr): Promise<number> {
  const target = healthUrl(args);
  const result = target.ok ? await checkHealth(target.url) : target;
  if (result.ok) return 0;
  stderr.write(`docker-fleet-exporter healthcheck: unhealthy: ${result.reason}\n`);
  return 1;
}
