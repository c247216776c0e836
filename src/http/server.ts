import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Fleet } from '../fleet.ts';
import type { Logger } from '../log.ts';
import type { MetricsRenderer } from '../metrics/renderer.ts';
import type { ReloadResult } from '../reload/reloader.ts';
import { routeTable } from '../routes.ts';
import { errorMessage } from '../util/errors.ts';
import type { LiveWebConfig } from '../web/live.ts';
import { createHandlers } from './handlers.ts';
import { RequestLimits } from './limits.ts';
import { connectionTls } from './listeners.ts';
import { parseRequestTarget } from './request-target.ts';
import { Responder, TEXT } from './respond.ts';
import { Router } from './router.ts';
import { registerWebMetrics } from './self-metrics.ts';
import { guard } from './web-guard.ts';

/** Limits on what clients may hold; 0 switches one off. */
export interface WebLimits {
  /**
   * /metrics and /probe requests being collected and rendered; beyond: 503 at once. As many
   * responses may be being sent; one more cuts off the one that has been sending longest.
   */
  maxRequests: number;
  /** a response the client has not taken whole this long after it was started is cut off */
  writeTimeoutMs: number;
}

/**
 * The request side. A scrape request is one small packet, so 10 s is ample on any link, and
 * a client sending its headers byte by byte (slowloris) is cut off after it (node's defaults:
 * 60 s for headers, 300 s for the request, checked every 30 s, so up to 90 s per socket; and a
 * connection that sends nothing at all was never cut off). These bound receiving a request,
 * never the time to answer it; idle keep-alive connections close after node's 5 s.
 */
export const REQUEST_TIMEOUT_MS = 10_000;
const CONNECTIONS_CHECKING_INTERVAL_MS = 1_000;

export interface HttpServerDeps {
  fleet: Fleet;
  renderer: MetricsRenderer;
  log: Logger;
  version: string;
  limits: WebLimits;
  /** all hosts (--web.telemetry-path) */
  telemetryPath: string;
  /** --web.config.file: TLS (handled by the listeners), headers, basic auth, rate limit */
  web?: LiveWebConfig;
  /** /-/ready: the configuration is loaded and every listener is bound */
  isReady(): boolean;
  /** Reads the config again and applies it (reload/reloader.ts). */
  reload(trigger: string): Promise<ReloadResult>;
}

/**
 * Answers each request by its route in src/routes.ts: 404 for no route, 405 for a method it
 * does not take, then the web config if the route is behind it, then --web.max-requests if it
 * is counted, then its handler (handlers.ts).
 */
export function createHttpServer(deps: HttpServerDeps): Server {
  const { log, limits: config, web } = deps;
  const router = new Router(routeTable(deps.telemetryPath));
  // read at each self-metrics scrape, by when `limits` exists
  const webMetrics = registerWebMetrics(deps.renderer.selfRegistry, () => limits.inFlight);
  const limits = new RequestLimits(config.maxRequests, webMetrics, log);
  const respond = new Responder(config.writeTimeoutMs, webMetrics, log);
  const handlers = createHandlers({ ...deps, respond, startSending: (req, res) => limits.startSending(req, res) });
  const text = (req: IncomingMessage, res: ServerResponse, status: number, body: string) => respond.send(req, res, status, TEXT, body);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (web?.tlsEnabled && connectionTls(req.socket) !== web.tlsForConnection()) {
      // A keep-alive connection from before the TLS settings changed: the new client policy may
      // refuse it. Closed unanswered; clients retry a GET on a new connection (Go's transport
      // does so at once), which gets the new settings' handshake.
      log.debug({ remote: req.socket.remoteAddress }, 'connection from before a TLS settings change closed');
      req.socket.destroy();
      return;
    }
    const target = parseRequestTarget(req.url ?? '');
    if (target === undefined) return text(req, res, 400, '400 bad request: invalid request target\n');
    const { path, query } = target;
    const matched = router.match(path);
    if (matched === undefined) return text(req, res, 404, `404 not found: ${path}\n`);
    const { name, route } = matched;
    if (!(route.methods as readonly string[]).includes(req.method ?? '')) {
      res.setHeader('allow', route.methods.join(', '));
      return text(req, res, 405, `405 method not allowed: ${req.method}\n`);
    }
    if (route.auth && web !== undefined) {
      const verdict = await guard(web, req, res);
      if (!verdict.pass) return text(req, res, verdict.status, verdict.body);
    }
    let release = NO_SLOT;
    if (route.counted) {
      const slot = limits.admit(req, res);
      if (slot === undefined) {
        return text(req, res, 503, `503 service unavailable: ${limits.max} requests to /metrics and /probe are in flight already (--web.max-requests); try again later\n`);
      }
      release = slot;
    }
    await handlers[name]({ req, res, path, query, release });
  }

  const server = createServer(
    { keepAlive: true, headersTimeout: REQUEST_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS, connectionsCheckingInterval: CONNECTIONS_CHECKING_INTERVAL_MS },
    (req, res) => {
      req.socket.setTimeout(0); // the request is in; answering it may take a probe's deadline
      handle(req, res).catch((err: unknown) => {
        // a bug of ours, never something a client sent: those are answered above
        log.error({ err: errorMessage(err), url: req.url }, 'request failed');
        if (!res.headersSent) text(req, res, 500, 'internal error\n');
        else res.destroy();
      });
    },
  );
  // headersTimeout starts at a request's first byte: a connection sending none would stay for ever
  server.on('connection', (socket) => socket.setTimeout(server.requestTimeout));
  return server;
}

const NO_SLOT = (): void => {};
