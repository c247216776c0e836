import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { FLAGS } from './config/settings.ts';
import type { LoadResult } from './config/load.ts';
import type { ExporterConfig } from './config/types.ts';
import { Fleet } from './fleet.ts';
import { createHttpServer } from './http/server.ts';
import type { Logger } from './log.ts';
import { MetricsRenderer } from './metrics/renderer.ts';
import { Reloader, type ReloadResult } from './reload/reloader.ts';
import { StatsPool } from './stats/pool.ts';
import type { StatsParser } from './tracker/host-tracker.ts';
import { VERSION } from './version.ts';

export interface Exporter {
  readonly server: Server;
  readonly fleet: Fleet;
  /** Reads the config again (the `load` given) and applies it; SIGHUP and POST /-/reload. */
  reload(trigger: string): Promise<ReloadResult>;
  /** Resolves with the bound port (useful with port 0). */
  listen(port: number, host?: string): Promise<number>;
  /** Stop accepting, abort in-flight probes, close transports and the worker pool. */
  close(): Promise<void>;
}

/** `load` reads the configuration again for a reload (without one, a reload keeps `config`). */
export function createExporter(config: ExporterConfig, log: Logger, load: () => LoadResult = () => ({ ok: true, config, warnings: [] })): Exporter {
  let pool = StatsPool.create({ threads: config.pool.threads });
  let threads = config.pool.threads;
  // the trackers keep this parser; a reload may put another pool behind it
  const parser: StatsParser = { parse: (bodies, deadline) => pool.parse(bodies, deadline) };
  const retiredPools = new Set<Promise<void>>();
  const fleet = new Fleet(config, parser, log);
  const renderer = new MetricsRenderer(config.metrics.families, config.metrics.containerLabels, VERSION);

  const reloader = new Reloader<ExporterConfig>({
    load,
    log,
    registry: renderer.selfRegistry,
    async apply(next) {
      const hosts = fleet.apply(next);
      renderer.configure(next.metrics.families, next.metrics.containerLabels);
      if (next.pool.threads !== threads) {
        const old = pool;
        pool = StatsPool.create({ threads: next.pool.threads });
        threads = next.pool.threads;
        // parses already sent finish on the old pool
        const closed = old.close().finally(() => retiredPools.delete(closed));
        retiredPools.add(closed);
      }
      return { ...hosts, hosts: fleet.names().length };
    },
  });
  const limits = { maxRequests: config.web.maxRequests ?? FLAGS.maxRequests.default, writeTimeoutMs: config.web.writeTimeoutMs ?? FLAGS.writeTimeoutMs.default };
  const reload = (trigger: string) => reloader.reload(trigger);
  const server = createHttpServer({ fleet, renderer, log, version: VERSION, limits, reload });
  let closing: Promise<void> | undefined;

  return {
    server,
    fleet,
    reload,
    listen(port, host) {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve((server.address() as AddressInfo).port);
        });
      });
    },
    close() {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        await fleet.close();
        await pool.close();
        await Promise.all(retiredPools);
        // Scrapes still open after their probe was aborted are answered by now; cut the rest.
        server.closeAllConnections();
        await stopped;
      })();
      return closing;
    },
  };
}
