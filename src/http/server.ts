import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Fleet } from '../fleet.ts';
import type { Logger } from '../log.ts';
import { CONTENT_TYPE, type MetricsRenderer } from '../metrics/registry.ts';
import { landingPage } from './landing.ts';

/** Routes: /metrics (all hosts), /probe?target= (one host), /healthz, / (status page). GET only. */
export function createHttpServer(deps: { fleet: Fleet; renderer: MetricsRenderer; log: Logger; version: string }): Server {
  const { fleet, renderer, log, version } = deps;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://exporter');
    const route = url.pathname;
    if (route !== '/' && route !== '/metrics' && route !== '/probe' && route !== '/healthz') {
      return send(res, 404, 'text/plain; charset=utf-8', `404 not found: ${route}\n`);
    }
    if (req.method !== 'GET') {
      res.setHeader('allow', 'GET');
      return send(res, 405, 'text/plain; charset=utf-8', `405 method not allowed: ${req.method}\n`);
    }
    switch (route) {
      case '/metrics':
        return send(res, 200, CONTENT_TYPE, await renderer.renderBody(await fleet.scrape(), true));
      case '/probe': {
        const target = url.searchParams.get('target');
        if (!target) return send(res, 400, 'text/plain; charset=utf-8', 'missing ?target=<host name>\n');
        if (!fleet.has(target)) {
          return send(res, 400, 'text/plain; charset=utf-8', `unknown target ${JSON.stringify(target)}; configured hosts: ${fleet.names().join(', ')}\n`);
        }
        return send(res, 200, CONTENT_TYPE, await renderer.renderBody(await fleet.scrape(target), false));
      }
      case '/healthz':
        return send(res, 200, 'text/plain; charset=utf-8', 'ok\n');
      default:
        return send(res, 200, 'text/html; charset=utf-8', landingPage(version, fleet.lastServed()));
    }
  }

  return createServer({ keepAlive: true }, (req, res) => {
    handle(req, res).catch((err: unknown) => {
      log.error({ err: err instanceof Error ? err.message : String(err), url: req.url }, 'request failed');
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error\n');
      else res.destroy();
    });
  });
}

function send(res: ServerResponse, status: number, type: string, body: string | readonly Buffer[]): void {
  if (typeof body !== 'string') {
    let length = 0;
    for (const chunk of body) length += chunk.length;
    res.writeHead(status, { 'content-type': type, 'content-length': length });
    for (const chunk of body) res.write(chunk);
    res.end();
    return;
  }
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
