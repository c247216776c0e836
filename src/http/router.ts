// Finds the route of a request path in the table of src/routes.ts: exact paths first, then the
// prefixes (the config keeps the telemetry path off every other route, so no two ever match).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Route, RouteName } from '../routes.ts';

export interface RequestContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly path: string;
  readonly query: URLSearchParams;
  /** frees the request's --web.max-requests slot (counted routes; a no-op for the others) */
  readonly release: () => void;
}

/** What one route answers (http/handlers.ts lists them). */
export type Handler = (ctx: RequestContext) => void | Promise<void>;

export interface Matched {
  readonly name: RouteName;
  readonly route: Route;
}

export class Router {
  readonly #exact = new Map<string, Matched>();
  readonly #prefixes: Matched[] = [];

  constructor(table: Readonly<Record<RouteName, Route>>) {
    for (const [name, route] of Object.entries(table) as [RouteName, Route][]) {
      if (route.prefix) this.#prefixes.push({ name, route });
      else if (!this.#exact.has(route.path)) this.#exact.set(route.path, { name, route });
    }
  }

  match(path: string): Matched | undefined {
    return this.#exact.get(path) ?? this.#prefixes.find((m) => path.startsWith(m.route.path));
  }
}
