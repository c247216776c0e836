import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { LoadResult } from './config/load.ts';
import type { ExporterConfig } from './config/types.ts';
import { Fleet } from './fleet.ts';
import { listenAll, type ListenEndpoint, type Listeners } from './http/listeners.ts';
import { createHttpServer, REQUEST_TIMEOUT_MS } from './http/server.ts';
import type { Logger } from './log.ts';
import { MetricsRenderer } from './metrics/renderer.ts';
import { Reloader, type ReloadResult } from './reload/reloader.ts';
import { StatsPool } from './stats/pool.ts';
import type { StatsParser } from './tracker/host-tracker.ts';
import { VERSION } from './version.ts';
import type { LiveWebConfig } from './web/live.ts';

export interface Exporter {
  readonly server: Server;
  readonly fleet: Fleet;
  /** Reads the config again (ExporterOptions.load) and applies it: SIGHUP and POST /-/reload. */
  reload(trigger: string): Promise<ReloadResult>;
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
  /** Reads the configuration again, for a reload; without it a reload keeps `config`. */
  load?: () => LoadResult;
}

export function createExporter(config: ExporterConfig, log: Logger, opts: ExporterOptions = {}): Exporter {
  let pool = StatsPool.create({ threads: config.pool.threads });
  let threads = config.pool.threads;
  // the trackers keep this parser; a reload may put another pool behind it
  const parser: StatsParser = { parse: (bodies, deadline) => pool.parse(bodies, deadline) };
  const retiredPools = new Set<Promise<void>>();
  const fleet = new Fleet(config, parser, log);
  const renderer = new MetricsRenderer(config.metrics.families, config.metrics.containerLabels, VERSION, { processMetrics: !config.web.disableExporterMetrics });
  const reloader = new Reloader<ExporterConfig>({
    load: opts.load ?? (() => ({ ok: true, config, warnings: [] })),
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
  const reload = (trigger: string) => reloader.reload(trigger);
  const limits = { maxRequests: config.web.maxRequests, writeTimeoutMs: config.web.writeTimeoutMs };
  let listeners: Listeners | undefined;
  const { web } = opts;
  const server = createHttpServer({
    fleet,
    renderer,
    log,
    version: VERSION,
    limits,
    telemetryPath: config.web.telemetryPath,
    ...(web === undefined ? {} : { web }),
    isReady: () => listeners !== undefined,
    reload,
  });
  let closing: Promise<void> | undefined;

  const exporter: Exporter = {
    server,
    fleet,
    reload,
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
        await Promise.all(retiredPools);
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
