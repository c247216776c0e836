// /metrics (all hosts) and /probe (one): scrape, render once for every request sharing the same
// snapshots, send. The --web.max-requests slot is held while collecting and rendering only.
import type { Fleet } from '../fleet.ts';
import type { MetricsRenderer } from '../metrics/renderer.ts';
import type { Responder } from './respond.ts';
import type { RequestContext } from './router.ts';
import { SharedBodies } from './shared-bodies.ts';
import { workTurn } from '../util/turns.ts';

export interface ScrapeDeps {
  fleet: Fleet;
  renderer: MetricsRenderer;
  respond: Responder;
  /** makes room to send one more metrics body (limits.ts) */
  startSending(req: RequestContext['req'], res: RequestContext['res']): void;
}

export function scrapeHandler(deps: ScrapeDeps): (ctx: RequestContext, host: string | undefined) => Promise<void> {
  const { fleet, renderer, respond } = deps;
  const bodies = new SharedBodies((body) => renderer.recycle(body));
  /** `host` undefined: every host, with the exporter's own metrics */
  return async ({ req, res, release }: RequestContext, host: string | undefined): Promise<void> => {
    const snapshots = await fleet.scrape(host);
    if (res.destroyed) return; // the client left while its scrape ran: nothing to render for it
    const lease = host === undefined
      ? bodies.acquire('/metrics', snapshots, () => renderer.renderBody(snapshots, true))
      : bodies.acquire(`/probe?target=${host}`, snapshots, () => renderer.renderBody(snapshots, false));
    res.once('close', lease.release);
    const body = await lease.body;
    release();
    // every response sharing the body wakes here in the same microtask run: one turn would write them all
    await workTurn();
    if (res.destroyed) return;
    deps.startSending(req, res);
    await respond.sendMetrics(req, res, body);
  };
}
