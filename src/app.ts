import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { FLAGS } from './config/settings.ts';
import type { ExporterConfig } from './config/types.ts';
import { Fleet } from './fleet.ts';
import { listenAll, type ListenEndpoint, type Listeners } from './http/listeners.ts';
import { createHttpServer, REQUEST_TIMEOUT_MS } from './http/server.ts';
import type { Logger } from './log.ts';
import { MetricsRenderer } from './metrics/renderer.ts';
import { StatsPool } from './stats/pool.ts';
import { VERSION } from './version.ts';
import type { LiveWebConfig } from './web/live.ts';

export interface Exporter {
  readonly server: Server;
  readonly fleet: Fleet;
  /** Listens on every endpoint (all or none); resolves with the bound addresses, in order. */
  listenAll(endpoints: readonly ListenEndpoint[]): Promise<readonly AddressInfo[]>;
  /** One endpoint; resolves with the bound port (useful with port 0). */
  listen(port: number, host?: string): Promise<number>;
  /** Stop accepting, abort in-flight probes, close transports and the worker pool. */
  close(): Promise<void>;
}

export interface ExporterOptions {
  /** --web.config.file, loaded */
  web?: LiveWebConfig;
}

export function createExporter(config: ExporterConfig, log: Logger, opts: ExporterOptions = {}): Exporter {
  const pool = StatsPool.create({ threads: config.pool.threads });
  const fleet = new Fleet(config, pool, log);
  const renderer = new MetricsRenderer(config.metrics.families, config.metrics.containerLabels, VERSION, { processMetrics: !config.web.disableExporterMetrics });
  const limits = { maxRequests: config.web.maxRequests ?? FLAGS.maxRequests.default, writeTimeoutMs: config.web.writeTimeoutMs ?? FLAGS.writeTimeoutMs.default };
  let listeners: Listeners | undefined;
  const { web } = opts;
  const server = createHttpServer({
    fleet,
    renderer,
    log,
    version: VERSION,
    limits,
    telemetryPath: config.web.telemetryPath ?? FLAGS.telemetryPath.default,
    ...(web === undefined ? {} : { web }),
    isReady: () => listeners !== undefined,
  });
  let closing: Promise<void> | undefined;

  const exporter: Exporter = {
    server,
    fleet,
    async listenAll(endpoints) {
      if (listeners !== undefined) throw new Error('already listening');
      const tls = web?.tlsEnabled ? () => web.tlsForConnection() : undefined;
      listeners = await listenAll(endpoints, server, { ...(tls === undefined ? {} : { tls }), handshakeTimeoutMs: REQUEST_TIMEOUT_MS, log });
      return listeners.bound;
    },
    async listen(port, host) {
      const [bound] = await exporter.listenAll([host === undefined ? { port } : { host, port }]);
      return bound!.port;
    },
    close() {
      closing ??= (async () => {
        listeners?.stopAccepting();
        server.closeIdleConnections();
        await fleet.close();
        await pool.close();
        // Scrapes still open after their probe was aborted are answered by now; cut the rest.
        server.closeAllConnections();
        await listeners?.close();
        server.close(); // its connection checks; it never listened itself (see http/listeners.ts)
      })();
      return closing;
    },
  };
  return exporter;
}
