// Writing an answer: Content-Length, HEAD without a body, gzip for the metrics bodies, and
// --web.write-timeout, which cuts off a client that has not taken the whole response in time.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../log.ts';
import { CONTENT_TYPE } from '../metrics/renderer.ts';
import { formatDuration } from '../util/duration.ts';
import { workTurn } from '../util/turns.ts';
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
    if (writeHead(req, res, status, type, chunks)) for (const chunk of chunks) res.write(chunk);
    res.end();
  }

  /**
   * A rendered metrics body, gzipped when the client accepts it. Written a piece at a time, the
   * next when the socket has taken the last: handed over whole, 100 clients that do not read
   * made 7 MB writes that each held the loop in the kernel for up to 257 ms (its socket memory
   * full). Resolves when the body is written or the response is gone.
   */
  async sendMetrics(req: IncomingMessage, res: ServerResponse, body: readonly Buffer[]): Promise<void> {
    if (res.destroyed) return;
    res.setHeader('vary', 'Accept-Encoding');
    this.#armWriteDeadline(req, res);
    if (!acceptsGzip(req.headers['accept-encoding'])) {
      if (writeHead(req, res, 200, CONTENT_TYPE, body)) {
        for (const chunk of body) {
          if (res.destroyed) return;
          if (!res.write(chunk)) await drained(res);
        }
      }
      res.end();
      return;
    }
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

/** Status and headers with the body's Content-Length; false for HEAD (the headers GET would get, no body). */
function writeHead(req: IncomingMessage, res: ServerResponse, status: number, type: string, chunks: readonly Buffer[]): boolean {
  let length = 0;
  for (const chunk of chunks) length += chunk.length;
  res.writeHead(status, { 'content-type': type, 'content-length': length });
  return req.method !== 'HEAD';
}

/** Resolves once `res` wants more (or is gone), in a turn of its own among other responses' writes. */
async function drained(res: ServerResponse): Promise<void> {
  await new Promise<void>((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
  await workTurn();
}
