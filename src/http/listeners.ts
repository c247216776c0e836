// Every --web.listen-address, each its own TCP listener, all feeding one HTTP server. A
// connection is handed to the HTTP server as it is (plain) or after a TLS handshake made with
// the web config's settings of the moment (looked up per connection, so a rotated certificate
// or a changed client policy applies to the next connection without a restart, as
// exporter-toolkit's GetConfigForClient does). A handshake that fails, or a client certificate
// the policy refuses, closes the connection before the HTTP server sees a byte.
//
// The HTTP server itself never listens: connections are injected with emit('connection'), a
// use node documents. It starts its connection checks (headersTimeout, requestTimeout) on
// 'listening', so that is emitted once every listener is bound.
import type { Server as HttpServer } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer, type TLSSocket } from 'node:tls';
import type { Logger } from '../log.ts';
import type { TlsSettings } from '../web/tls.ts';

/** The TLS settings each connection was accepted under. */
const acceptedUnder = new WeakMap<Socket, TlsSettings>();

/** The TLS settings `socket` was accepted under; undefined for a plain connection. */
export function connectionTls(socket: Socket): TlsSettings | undefined {
  return acceptedUnder.get(socket);
}

export interface ListenEndpoint {
  /** undefined: every interface */
  host?: string;
  port: number;
}

export interface Listeners {
  /** in the order of the endpoints */
  readonly bound: readonly AddressInfo[];
  /** Stops accepting new connections; those accepted go on. */
  stopAccepting(): void;
  /**
   * Stops accepting and closes every connection still open (idle keep-alive, a TLS handshake in
   * progress, a response being sent); resolves once all are closed.
   */
  close(): Promise<void>;
}

export interface ListenOptions {
  /** The TLS settings for a new connection; undefined: plain HTTP. */
  tls?: () => TlsSettings | undefined;
  /** a TLS handshake not done by then is dropped */
  handshakeTimeoutMs: number;
  log: Logger;
}

/** Binds every endpoint or none: on a failure the ones bound are closed and the error names the address. */
export async function listenAll(endpoints: readonly ListenEndpoint[], http: HttpServer, opts: ListenOptions): Promise<Listeners> {
  const { log } = opts;
  // One tls.Server per settings object (a new one after each reload): node only sets
  // socket.authorized on sockets a tls.Server made, and its options are fixed at creation.
  const tlsServers = new WeakMap<TlsSettings, TlsServer>();
  const tlsServerFor = (settings: TlsSettings): TlsServer => {
    let server = tlsServers.get(settings);
    if (server === undefined) {
      server = createTlsServer({ ...settings.options, handshakeTimeout: opts.handshakeTimeoutMs, ALPNProtocols: ['http/1.1'] });
      server.on('secureConnection', (socket: TLSSocket) => {
        const refusal = settings.refusal(socket);
        if (refusal === undefined) {
          acceptedUnder.set(socket, settings);
          http.emit('connection', socket);
          return;
        }
        log.debug({ remote: socket.remoteAddress, refusal }, 'TLS connection refused');
        socket.destroy();
      });
      // a client's failed handshake is the client's business: debug only
      server.on('tlsClientError', (err: Error, socket: TLSSocket) => log.debug({ remote: socket.remoteAddress, err: err.message }, 'TLS handshake failed'));
      tlsServers.set(settings, server);
    }
    return server;
  };

  // Every accepted socket: the HTTP server knows only those it was handed (not a TLS handshake in progress).
  const open = new Set<Socket>();
  const onConnection = (socket: Socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
    const settings = opts.tls?.();
    if (settings === undefined) http.emit('connection', socket);
    else tlsServerFor(settings).emit('connection', socket);
  };

  const servers: NetServer[] = [];
  try {
    for (const ep of endpoints) {
      // what http.createServer({ keepAlive: true }) gives its own listener
      const server = createNetServer({ allowHalfOpen: true, noDelay: true, keepAlive: true }, onConnection);
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', (err: NodeJS.ErrnoException) => reject(new Error(`cannot listen on ${formatEndpoint(ep)}: ${err.message}`)));
        server.listen(ep.port, ep.host, () => resolve());
      });
      // after binding: an accept() failure (e.g. out of file descriptors) must not end the process
      server.on('error', (err: Error) => log.error({ address: formatEndpoint(ep), err: err.message }, 'listener error'));
    }
  } catch (err) {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    throw err;
  }
  http.emit('listening');

  const closed = Promise.all(servers.map((s) => new Promise((r) => s.once('close', r))));
  const stopAccepting = () => {
    for (const s of servers) if (s.listening) s.close();
  };
  return {
    bound: servers.map((s) => s.address() as AddressInfo),
    stopAccepting,
    async close() {
      stopAccepting();
      for (const socket of open) socket.destroy();
      await closed;
    },
  };
}

export function formatEndpoint(ep: ListenEndpoint): string {
  if (ep.host === undefined) return `:${ep.port}`;
  return ep.host.includes(':') ? `[${ep.host}]:${ep.port}` : `${ep.host}:${ep.port}`;
}
