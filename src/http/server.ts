import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Counter, Gauge } from 'prom-client';
import type { Fleet } from '../fleet.ts';
import type { Logger } from '../log.ts';
import { CONTENT_TYPE, type MetricsRenderer } from '../metrics/renderer.ts';
import { formatDuration } from '../util/duration.ts';
import { errorMessage } from '../util/errors.ts';
import type { ReloadResult } from '../reload/reloader.ts';
import type { LiveWebConfig } from '../web/live.ts';
import { acceptsGzip, sendGzip } from './compression.ts';
import { connectionTls } from './listeners.ts';
import { isCrossOrigin } from './origin.ts';
import { hostPage } from './status/host-page.ts';
import { overviewPage } from './status/overview.ts';
import { parseRequestTarget } from './request-target.ts';
import { exporterAddress, SD_CONTENT_TYPE, serviceDiscoveryBody } from './service-discovery.ts';
import { SharedBodies } from './shared-bodies.ts';
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

const TEXT = 'text/plain; charset=utf-8';
/** Answered without the web config's checks (never behind auth): a liveness probe must always work. */
const HEALTHY = new Set(['/-/healthy', '/healthz']);
const RELOAD = '/-/reload';
const READ = ['GET', 'HEAD'];
/** as Prometheus takes it */
const RELOAD_METHODS = ['POST', 'PUT'];

const HTML = 'text/html; charset=utf-8';
/** /hosts/<name>: one host's status page (names are URL-safe: config/hosts.ts) */
const HOST_PAGE = '/hosts/';

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
 * Routes: the telemetry path (all hosts), /probe?target= (one host), /sd (http_sd), /-/healthy
 * (and its old name /healthz), /-/ready, / and /hosts/<name> (status pages, from what scrapes
 * served: they never probe): GET and HEAD; POST|PUT /-/reload.
 */
export function createHttpServer(deps: HttpServerDeps): Server {
  const { fleet, renderer, log, version, limits, telemetryPath, web } = deps;
  const routes = new Set(['/', telemetryPath, '/probe', '/sd', '/-/ready', RELOAD, ...HEALTHY]);
  const bodies = new SharedBodies();
  /** requests collecting or rendering: what --web.max-requests bounds */
  let inFlight = 0;
  /**
   * Responses being sent, oldest first. Not counted in inFlight: 40 clients that never read
   * would otherwise hold every slot until --web.write-timeout and lock Prometheus out (seen:
   * 503 to an ordinary scrape 33 s later). Bounded separately, as each pins the body it was given.
   */
  const sending = new Set<ServerResponse>();
  const registers = [renderer.selfRegistry];
  new Gauge({
    name: 'docker_fleet_exporter_web_requests_in_flight',
    help: '/metrics and /probe requests being answered (limited by --web.max-requests).',
    registers,
    collect() {
      this.set(inFlight);
    },
  });
  const rejected = new Counter({
    name: 'docker_fleet_exporter_web_requests_rejected_total',
    help: '/metrics and /probe requests answered 503 because --web.max-requests were in flight.',
    registers,
  });
  const writeTimeouts = new Counter({
    name: 'docker_fleet_exporter_web_write_timeouts_total',
    help: 'Responses cut off because the client had not taken them within --web.write-timeout.',
    registers,
  });
  const evicted = new Counter({
    name: 'docker_fleet_exporter_web_slow_readers_evicted_total',
    help: 'Responses cut off because --web.max-requests responses were being sent and this one had been sending longest.',
    registers,
  });

  /** Makes room to send one more response: cuts off the longest-sending one at the limit. */
  function startSending(req: IncomingMessage, res: ServerResponse): void {
    if (limits.maxRequests > 0 && sending.size >= limits.maxRequests) {
      const oldest = sending.values().next().value!;
      sending.delete(oldest);
      evicted.inc();
      log.debug({ url: req.url }, `${limits.maxRequests} responses being sent (--web.max-requests); cut off the one sending longest`);
      oldest.destroy();
    }
    sending.add(res);
    res.once('close', () => sending.delete(res));
  }

  /** Cut the connection of a client that has not taken the whole response in time. */
  function armWriteDeadline(req: IncomingMessage, res: ServerResponse): void {
    if (limits.writeTimeoutMs <= 0) return;
    const timer = setTimeout(() => {
      writeTimeouts.inc();
      log.debug({ url: req.url, remote: req.socket.remoteAddress }, `client did not take the response within ${formatDuration(limits.writeTimeoutMs)}; disconnected`);
      res.destroy();
    }, limits.writeTimeoutMs);
    const clear = () => clearTimeout(timer);
    res.once('finish', clear);
    res.once('close', clear);
  }

  function send(req: IncomingMessage, res: ServerResponse, status: number, type: string, body: string | readonly Buffer[]): void {
    if (res.destroyed) return; // the client left while we rendered
    armWriteDeadline(req, res);
    const chunks = typeof body === 'string' ? [Buffer.from(body)] : body;
    let length = 0;
    for (const chunk of chunks) length += chunk.length;
    res.writeHead(status, { 'content-type': type, 'content-length': length });
    // HEAD: the headers GET would get, no body
    if (req.method !== 'HEAD') for (const chunk of chunks) res.write(chunk);
    res.end();
  }

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
    if (target === undefined) return send(req, res, 400, TEXT, '400 bad request: invalid request target\n');
    const { path, query } = target;
    if (!routes.has(path) && !path.startsWith(HOST_PAGE)) return send(req, res, 404, TEXT, `404 not found: ${path}\n`);
    const methods = path === RELOAD ? RELOAD_METHODS : READ;
    if (!methods.includes(req.method ?? '')) {
      res.setHeader('allow', methods.join(', '));
      return send(req, res, 405, TEXT, `405 method not allowed: ${req.method}\n`);
    }
    if (HEALTHY.has(path)) return send(req, res, 200, TEXT, 'ok\n');
    if (web !== undefined) {
      const verdict = await guard(web, req, res);
      if (!verdict.pass) return send(req, res, verdict.status, TEXT, verdict.body);
    }
    if (path === '/-/ready') return deps.isReady() ? send(req, res, 200, TEXT, 'ready\n') : send(req, res, 503, TEXT, '503 service unavailable: not ready\n');
    if (path === '/') return send(req, res, 200, HTML, overviewPage(version, fleet.lastServed(), Date.now() / 1000, telemetryPath));
    if (path.startsWith(HOST_PAGE)) {
      const name = path.slice(HOST_PAGE.length);
      const row = fleet.lastServed().find((r) => r.name === name);
      if (!row) return send(req, res, 404, TEXT, `404 not found: no host ${JSON.stringify(name)}\n`);
      return send(req, res, 200, HTML, hostPage(version, row, Date.now() / 1000));
    }
    if (path === '/sd') {
      const address = exporterAddress(req.headers.host, req.socket.localAddress, req.socket.localPort);
      const hosts = fleet.hosts().map((h) => ({ name: h.name, url: h.url, labels: h.labels, source: h.context === undefined ? 'config' as const : 'docker_context' as const }));
      return send(req, res, 200, SD_CONTENT_TYPE, serviceDiscoveryBody(hosts, address));
    }
    if (path === RELOAD) {
      req.resume(); // a body, if any, says nothing
      if (isCrossOrigin(req.headers, web?.tlsEnabled === true)) return send(req, res, 403, TEXT, '403 forbidden: the request\'s Origin is not this server: a reload from another site\'s page is refused\n');
      const result = await deps.reload('HTTP');
      return result.ok ? send(req, res, 200, TEXT, 'configuration reloaded\n') : send(req, res, 400, TEXT, `configuration not reloaded:\n${result.errors.map((e) => `  - ${e}\n`).join('')}`);
    }

    let host: string | undefined;
    if (path === '/probe') {
      host = query.get('target') ?? undefined;
      if (!host) return send(req, res, 400, TEXT, 'missing ?target=<host name>\n');
      if (!fleet.has(host)) {
        const shard = fleet.shardServing(host);
        if (shard !== undefined) {
          return send(req, res, 400, TEXT, `target ${JSON.stringify(host)} is in shard ${shard.index} of ${shard.count}: another replica serves it (this one is shard ${fleet.shard.index})\n`);
        }
        return send(req, res, 400, TEXT, `unknown target ${JSON.stringify(host)}; configured hosts: ${fleet.names().join(', ')}\n`);
      }
    }
    if (limits.maxRequests > 0 && inFlight >= limits.maxRequests) {
      rejected.inc();
      log.debug({ url: req.url, inFlight }, 'too many requests in flight; answered 503');
      return send(req, res, 503, TEXT, `503 service unavailable: ${limits.maxRequests} requests to /metrics and /probe are in flight already (--web.max-requests); try again later\n`);
    }
    inFlight++;
    let collecting = true;
    const done = (): void => {
      if (collecting) inFlight--;
      collecting = false;
    };
    res.once('close', done);
    const snapshots = await fleet.scrape(host);
    if (res.destroyed) return; // the client left while its scrape ran: nothing to render for it
    const lease = host === undefined
      ? bodies.acquire('/metrics', snapshots, () => renderer.renderBody(snapshots, true))
      : bodies.acquire(`/probe?target=${host}`, snapshots, () => renderer.renderBody(snapshots, false));
    res.once('close', lease.release);
    const body = await lease.body;
    done();
    if (res.destroyed) return;
    startSending(req, res);
    res.setHeader('vary', 'Accept-Encoding');
    if (!acceptsGzip(req.headers['accept-encoding'])) return send(req, res, 200, CONTENT_TYPE, body);
    armWriteDeadline(req, res);
    res.setHeader('content-type', CONTENT_TYPE);
    await sendGzip(res, body, req.method === 'HEAD');
  }

  const server = createServer(
    { keepAlive: true, headersTimeout: REQUEST_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS, connectionsCheckingInterval: CONNECTIONS_CHECKING_INTERVAL_MS },
    (req, res) => {
      req.socket.setTimeout(0); // the request is in; answering it may take a probe's deadline
      handle(req, res).catch((err: unknown) => {
        // a bug of ours, never something a client sent: those are answered above
        log.error({ err: errorMessage(err), url: req.url }, 'request failed');
        if (!res.headersSent) send(req, res, 500, TEXT, 'internal error\n');
        else res.destroy();
      });
    },
  );
  // headersTimeout starts at a request's first byte: a connection sending none would stay for ever
  server.on('connection', (socket) => socket.setTimeout(server.requestTimeout));
  return server;
}
