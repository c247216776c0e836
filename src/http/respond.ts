// Writing an answer: Content-Length, HEAD without a body, gzip for the metrics bodies, and
// --web.write-timeout, which cuts off a client that has not taken the whole response in time.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../log.ts';
import { CONTENT_TYPE } from '../metrics/renderer.ts';
import { formatDuration } from '../util/duration.ts';
import { acceptsGzip, sendGzip } from './compression.ts';
import type { WebMetrics } from './self-metrics.ts';

export const TEXT = 'text/plain; charset=utf-8';
export const HTML = 'text/html; charset=utf-8';

export class Responder {
  readonly #writeTimeoutMs: number;
  readonly #metrics: WebMetrics;
  readonly #log: Logger;

  /** `writeTimeoutMs` 0: never cut off */
  constructor(writeTimeoutMs: number, metrics: WebMetrics, log: Logger) {
    this.#writeTimeoutMs = writeTimeoutMs;
    this.#metrics = metrics;
    this.#log = log;
  }

  send(req: IncomingMessage, res: ServerResponse, status: number, type: string, body: string | readonly Buffer[]): void {
    if (res.destroyed) return; // the client left while we rendered
    this.#armWriteDeadline(req, res);
    const chunks = typeof body === 'string' ? [Buffer.from(body)] : body;
    let length = 0;
    for (const chunk of chunks) length += chunk.length;
    res.writeHead(status, { 'content-type': type, 'content-length': length });
    // HEAD: the headers GET would get, no body
    if (req.method !== 'HEAD') for (const chunk of chunks) res.write(chunk);
    res.end();
  }

  /** A rendered metrics body, gzipped when the client accepts it. */
  async sendMetrics(req: IncomingMessage, res: ServerResponse, body: readonly Buffer[]): Promise<void> {
    res.setHeader('vary', 'Accept-Encoding');
    if (!acceptsGzip(req.headers['accept-encoding'])) return this.send(req, res, 200, CONTENT_TYPE, body);
    this.#armWriteDeadline(req, res);
    res.setHeader('content-type', CONTENT_TYPE);
    await sendGzip(res, body, req.method === 'HEAD');
  }

  #armWriteDeadline(req: IncomingMessage, res: ServerResponse): void {
    const ms = this.#writeTimeoutMs;
    if (ms <= 0) return;
    const timer = setTimeout(() => {
      this.#metrics.writeTimeouts.inc();
      this.#log.debug({ url: req.url, remote: req.socket.remoteAddress }, `client did not take the response within ${formatDuration(ms)}; disconnected`);
      res.destroy();
    }, ms);
    const clear = () => clearTimeout(timer);
    res.once('finish', clear);
    res.once('close', clear);
  }
}
