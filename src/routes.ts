// THE table of what the exporter serves over HTTP: each route's path, methods, whether the web
// config (rate limit, headers, basic auth) stands in front of it, and whether it counts against
// --web.max-requests. http/server.ts routes from it (a handler per name); the check of
// --web.telemetry-path reads it, so a telemetry path can never lose to another route. Plain data
// at the bottom of the layers, so that the config may read it.

export type Method = 'GET' | 'HEAD' | 'POST' | 'PUT';

export interface Route {
  /** the path; with `prefix`, every path that starts with it */
  readonly path: string;
  readonly prefix?: true;
  readonly methods: readonly Method[];
  /** behind the web config's rate limit, headers and basic auth */
  readonly auth: boolean;
  /** collects and renders: counted against --web.max-requests */
  readonly counted: boolean;
}

const READ: readonly Method[] = ['GET', 'HEAD'];

/** Every route but the telemetry path, whose path is configured. */
export const FIXED_ROUTES = {
  /** one host: ?target=<host name> */
  probe: { path: '/probe', methods: READ, auth: true, counted: true },
  /** http_sd: one target per host */
  sd: { path: '/sd', methods: READ, auth: true, counted: false },
  /** liveness: never behind the web config, so the probe always works */
  healthy: { path: '/-/healthy', methods: READ, auth: false, counted: false },
  /** the old name of /-/healthy */
  healthz: { path: '/healthz', methods: READ, auth: false, counted: false },
  /** the config is loaded and every listener is bound */
  ready: { path: '/-/ready', methods: READ, auth: true, counted: false },
  /** as Prometheus takes it */
  reload: { path: '/-/reload', methods: ['POST', 'PUT'], auth: true, counted: false },
  /** the status page, from what scrapes served: it never probes */
  overview: { path: '/', methods: READ, auth: true, counted: false },
  /** one host's status page: /hosts/<name> (names are URL-safe: config/hosts.ts) */
  hostPage: { path: '/hosts/', prefix: true, methods: READ, auth: true, counted: false },
} as const satisfies Record<string, Route>;

/** all hosts, at --web.telemetry-path */
export const TELEMETRY_ROUTE = { methods: READ, auth: true, counted: true } as const satisfies Omit<Route, 'path'>;

export type RouteName = keyof typeof FIXED_ROUTES | 'telemetry';

/** The whole table, with the telemetry route at its configured path. */
export function routeTable(telemetryPath: string): Readonly<Record<RouteName, Route>> {
  return { telemetry: { ...TELEMETRY_ROUTE, path: telemetryPath }, ...FIXED_ROUTES };
}

/** The fixed route that serves `path` (as a path, or a prefix of it), for the telemetry path's check. */
export function fixedRouteServing(path: string): Route | undefined {
  return Object.values<Route>(FIXED_ROUTES).find((r) => (r.prefix ? path.startsWith(r.path) : path === r.path));
}

/** How the fixed routes read in a message: "/probe, /sd, ..., /hosts/<name>". */
export function fixedRoutePaths(): string {
  return Object.values<Route>(FIXED_ROUTES).map((r) => (r.prefix ? `${r.path}<name>` : r.path)).join(', ');
}
