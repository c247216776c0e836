import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { FLAGS } from './config/settings.ts';
import type { ExporterConfig } from './config/types.ts';
import { Fleet } from './fleet.ts';
import { createHttpServer } from './http/server.ts';
import type { Logger } from './log.ts';
import { MetricsRenderer } from './metrics/renderer.ts';
import { StatsPool } from './stats/pool.ts';
import { VERSION } from './version.ts';

export interface Exporter {
  readonly server: Server;
  readonly fleet: Fleet;
  /** Resolves with the bound port (useful with port 0). */
  listen(port: number, host?: string): Promise<number>;
  /** Stop accepting, abort in-flight probes, close transports and the worker pool. */
  close(): Promise<void>;
}

export function createExporter(config: ExporterConfig, log: Logger): Exporter {
  const pool = StatsPool.create({ threads: config.pool.threads });
  const fleet = new Fleet(config, pool, log);
  const renderer = new MetricsRenderer(config.metrics.families, config.metrics.containerLabels, VERSION);
  const limits = { maxRequests: config.web.maxRequests ?? FLAGS.maxRequests.default, writeTimeoutMs: config.web.writeTimeoutMs ?? FLAGS.writeTimeoutMs.default };
  const server = createHttpServer({ fleet, renderer, log, version: VERSION, limits });
  let closing: Promise<void> | undefined;

  return {
    server,
    fleet,
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
        // Scrapes still open after their probe was aborted are answered by now; cut the rest.
        server.closeAllConnections();
        await stopped;
      })();
      return closing;
    },
  };
}
