// `docker-fleet-exporter healthcheck [flags]`: asks the running exporter for /-/healthy on the
// address that the same flags and environment make it listen on (the first, when there are
// several), for a container HEALTHCHECK. Docker runs a HEALTHCHECK with the image's and `docker
// run -e`'s environment but none of CMD's arguments, so the image sets the listen address in the
// environment, where both the server and this read it. /-/healthy is never behind basic auth; when
// the web config turns TLS on, the check speaks TLS (see healthTarget).
import http from 'node:http';
import https from 'node:https';
import { parseListenAddress } from '../config/listen-address.ts';
import type { RunArgs } from './flags.ts';

export type HealthResult = { ok: true } | { ok: false; reason: string };

/** Below Docker's own default --timeout (30 s) and the image's (3 s): the reason gets printed. */
export const HEALTHCHECK_TIMEOUT_MS = 2000;

/** PEM material for a client certificate, when the server requires one. */
export interface HealthTls {
  cert?: string | Buffer;
  key?: string | Buffer;
}

export interface HealthTarget {
  url: string;
  /** present: https */
  tls?: HealthTls;
}

/** The address to check: the first --web.listen-address, on loopback when it is every interface. */
export function healthUrl(args: RunArgs, scheme: 'http' | 'https' = 'http'): { ok: true; url: string } | { ok: false; reason: string } {
  const first = args.listenAddresses[0]!;
  const address = parseListenAddress(first);
  if (!address.ok) return { ok: false, reason: `--web.listen-address: ${address.error}` };
  if (address.port === 0) return { ok: false, reason: `--web.listen-address ${JSON.stringify(first)}: port 0 is any free port, which a health check cannot know` };
  return { ok: true, url: `${scheme}://${loopbackFor(address.host)}:${address.port}/-/healthy` };
}

/** Where a server bound to `host` is reached from inside its own network namespace. */
function loopbackFor(host: string | undefined): string {
  if (host === undefined || host === '0.0.0.0') return '127.0.0.1'; // ":9417" is every interface
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * With --web.config.file: https when its tls_server_config turns TLS on. The server's certificate
 * names the host clients use, not the loopback address checked here, and the check sends no
 * secret, so it is not verified: the check is whether the server answers, not who it is. When
 * client_auth_type requires a client certificate, the server's own certificate and key are
 * presented: enough for RequireAnyClientCert, and for RequireAndVerifyClientCert when a CA in
 * client_ca_file signed the server certificate for client use too.
 */
export async function healthTarget(args: RunArgs): Promise<{ ok: true; target: HealthTarget } | { ok: false; reason: string }> {
  if (args.webConfigFile === undefined) {
    const url = healthUrl(args);
    return url.ok ? { ok: true, target: { url: url.url } } : url;
  }
  const { readWebConfig } = await import('../web/config.ts');
  const web = readWebConfig(args.webConfigFile);
  if (!web.ok) return { ok: false, reason: `${args.webConfigFile}: ${web.errors[0]!}` };
  const tls = web.config.tls;
  const url = healthUrl(args, tls === undefined ? 'http' : 'https');
  if (!url.ok) return url;
  if (tls === undefined) return { ok: true, target: { url: url.url } };
  const client: HealthTls = {};
  if (tls.clientAuth === 'RequireAnyClientCert' || tls.clientAuth === 'RequireAndVerifyClientCert') {
    const { readRegularFile } = await import('../util/read-file.ts');
    const cert = 'file' in tls.cert ? readRegularFile(tls.cert.file) : { ok: true as const, data: tls.cert.inline };
    const key = 'file' in tls.key ? readRegularFile(tls.key.file) : { ok: true as const, data: tls.key.inline };
    const unread = (file: string, reason: string) => ({ ok: false as const, reason: `cannot read the server's certificate or key to present: ${file} (${reason})` });
    if (!cert.ok) return unread('cert_file', cert.reason);
    if (!key.ok) return unread('key_file', key.reason);
    client.cert = cert.data;
    client.key = key.data;
  }
  return { ok: true, target: { url: url.url, tls: client } };
}

/** GET `target`: ok on a 200 within `timeoutMs`, otherwise a one-line reason. Never rejects. */
export function checkHealth(target: HealthTarget | string, timeoutMs: number = HEALTHCHECK_TIMEOUT_MS): Promise<HealthResult> {
  const { url, tls } = typeof target === 'string' ? { url: target, tls: undefined } : target;
  return new Promise((resolve) => {
    const fail = (why: string) => resolve({ ok: false, reason: `GET ${url}: ${why}` });
    const onResponse = (res: http.IncomingMessage) => {
      res.resume(); // the body is not needed; drain it so the socket closes
      if (res.statusCode === 200) resolve({ ok: true });
      else fail(`status ${res.statusCode ?? 'none'}`);
    };
    const signal = AbortSignal.timeout(timeoutMs);
    const req = tls === undefined
      ? http.get(url, { agent: false, signal }, onResponse)
      : https.get(url, { agent: false, signal, rejectUnauthorized: false, ...tls }, onResponse);
    req.on('error', (err: Error) => {
      if (err.name === 'AbortError' || err.name === 'TimeoutError') fail(`no answer within ${timeoutMs} ms`);
      else fail(err.message);
    });
  });
}

/** The subcommand: exit code 0 when healthy, 1 with the reason on stderr when not. */
export async function runHealthcheck(args: RunArgs, stderr: NodeJS.WritableStream = process.stderr): Promise<number> {
  const target = await healthTarget(args);
  const result = target.ok ? await checkHealth(target.target) : target;
  if (result.ok) return 0;
  stderr.write(`docker-fleet-exporter healthcheck: unhealthy: ${result.reason}\n`);
  return 1;
}
