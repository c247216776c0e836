// What each route of src/routes.ts answers: one handler per route name, listed in one map (the
// compiler checks that every route has one). The server has run the route's checks before a
// handler is called: its methods, the web config if it is behind it, and --web.max-requests if
// it is counted.
import type { ReloadResult } from '../reload/reloader.ts';
import { FIXED_ROUTES, type RouteName } from '../routes.ts';
import type { LiveWebConfig } from '../web/live.ts';
import { isCrossOrigin } from './origin.ts';
import { HTML, TEXT } from './respond.ts';
import type { Handler, RequestContext } from './router.ts';
import { scrapeHandler, type ScrapeDeps } from './scrape-route.ts';
import { exporterAddress, SD_CONTENT_TYPE, serviceDiscoveryBody } from './service-discovery.ts';
import { hostPage } from './status/host-page.ts';
import { overviewPage } from './status/overview.ts';

export interface HandlerDeps extends ScrapeDeps {
  version: string;
  telemetryPath: string;
  isReady(): boolean;
  reload(trigger: string): Promise<ReloadResult>;
  /** whether the listeners speak TLS, for the Origin a reload may come from */
  web?: LiveWebConfig;
}

export function createHandlers(deps: HandlerDeps): Readonly<Record<RouteName, Handler>> {
  const { fleet, version, respond } = deps;
  const text = ({ req, res }: RequestContext, status: number, body: string) => respond.send(req, res, status, TEXT, body);
  const scrape = scrapeHandler(deps);
  const healthy: Handler = (ctx) => text(ctx, 200, 'ok\n');
  return {
    telemetry: (ctx) => scrape(ctx, undefined),
    probe: (ctx) => {
      const host = ctx.query.get('target') ?? undefined;
      if (!host) return text(ctx, 400, 'missing ?target=<host name>\n');
      if (!fleet.has(host)) {
        const shard = fleet.shardServing(host);
        if (shard !== undefined) {
          return text(ctx, 400, `target ${JSON.stringify(host)} is in shard ${shard.index} of ${shard.count}: another replica serves it (this one is shard ${fleet.shard.index})\n`);
        }
        return text(ctx, 400, `unknown target ${JSON.stringify(host)}; configured hosts: ${fleet.names().join(', ')}\n`);
      }
      return scrape(ctx, host);
    },
    sd: ({ req, res }) => {
      const address = exporterAddress(req.headers.host, req.socket.localAddress, req.socket.localPort);
      const hosts = fleet.hosts().map((h) => ({ name: h.name, url: h.url, labels: h.labels, source: h.context === undefined ? 'config' as const : 'docker_context' as const }));
      respond.send(req, res, 200, SD_CONTENT_TYPE, serviceDiscoveryBody(hosts, address));
    },
    healthy,
    healthz: healthy,
    ready: (ctx) => (deps.isReady() ? text(ctx, 200, 'ready\n') : text(ctx, 503, '503 service unavailable: not ready\n')),
    reload: async (ctx) => {
      ctx.req.resume(); // a body, if any, says nothing
      if (isCrossOrigin(ctx.req.headers, deps.web?.tlsEnabled === true)) return text(ctx, 403, '403 forbidden: the request\'s Origin is not this server: a reload from another site\'s page is refused\n');
      const result = await deps.reload('HTTP');
      text(ctx, result.ok ? 200 : 400, result.ok ? 'configuration reloaded\n' : `configuration not reloaded:\n${result.errors.map((e) => `  - ${e}\n`).join('')}`);
    },
    overview: ({ req, res }) => respond.send(req, res, 200, HTML, overviewPage(version, fleet.lastServed(), Date.now() / 1000, deps.telemetryPath)),
    hostPage: (ctx) => {
      const name = ctx.path.slice(FIXED_ROUTES.hostPage.path.length);
      const row = fleet.lastServed().find((r) => r.name === name);
      if (!row) return text(ctx, 404, `404 not found: no host ${JSON.stringify(name)}\n`);
      respond.send(ctx.req, ctx.res, 200, HTML, hostPage(version, row, Date.now() / 1000));
    },
  };
}
