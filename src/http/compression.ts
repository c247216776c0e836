// gzip for /metrics and /probe when the client accepts it (Prometheus sends
// "Accept-Encoding: gzip"). The rendered body is compressed as it is written, piece by piece,
// through zlib's stream (its work runs on libuv's thread pool, off the event loop), and a client
// that stops reading holds the compression back instead of buffering a compressed copy.
//
// Level 2, measured on real 15 MB /metrics bodies of 50 hosts x 40 containers
// (bench/gzip-levels.ts; docs/performance.md): level 1 133 ms of CPU -> 3.49 MB, level 2 122 ms
// -> 3.34 MB, level 3 123 ms -> 3.31 MB, level 6 (zlib's default) 202 ms -> 3.19 MB, level 9
// 412 ms -> 3.09 MB. Past 2 each byte saved costs far more CPU. End to end at that size
// (bench/gzip-scrape.ts) the exporter's CPU per scrape goes from 355 to 489 ms and the bytes
// sent from 14.9 MB to 3.3 MB.
import type { ServerResponse } from 'node:http';
import { createGzip } from 'node:zlib';

export const GZIP_LEVEL = 2;
/**
 * zlib's output piece (default 16 KiB): each is a trip to the thread pool and a socket write.
 * Measured on a 15 MB body at level 2: 16 KiB 109-124 ms of CPU, 64 KiB 68-90 ms, 256 KiB
 * 68-79 ms; 64 KiB takes nearly all of the gain for a quarter of 256 KiB's buffer per response.
 */
export const GZIP_CHUNK_BYTES = 64 * 1024;

/**
 * Whether `Accept-Encoding` allows gzip (RFC 9110 12.5.3): "gzip" or "x-gzip" with a q-value
 * above 0, or "*" above 0 when gzip is not named.
 */
export function acceptsGzip(header: string | undefined): boolean {
  if (header === undefined) return false;
  let star: boolean | undefined;
  for (const part of header.split(',')) {
    const [token = '', ...params] = part.split(';').map((s) => s.trim());
    const name = token.toLowerCase();
    if (name === '') continue;
    let q = 1;
    for (const p of params) {
      const m = /^q\s*=\s*([0-9.]+)$/i.exec(p);
      if (m !== null) q = Number(m[1]);
    }
    const allowed = q > 0;
    if (name === 'gzip' || name === 'x-gzip') return allowed;
    if (name === '*') star = allowed;
  }
  return star ?? false;
}

/**
 * Sends `chunks` gzipped with status 200 (headers already set on `res` are kept). No
 * Content-Length: the compressed size is known only at the end. Resolves when the body is
 * written or the response is gone (a client that leaves is not an error).
 */
export async function sendGzip(res: ServerResponse, chunks: readonly Buffer[], headOnly: boolean): Promise<void> {
  res.setHeader('content-encoding', 'gzip');
  res.writeHead(200);
  if (headOnly) {
    res.end();
    return;
  }
  // Piped by hand: stream.pipeline adds 7 'close' listeners to its destination, past the
  // default 10 with the server's 4, and Node then prints a MaxListenersExceededWarning on
  // stderr at every gzipped scrape (each response is a new emitter).
  const gz = createGzip({ level: GZIP_LEVEL, chunkSize: GZIP_CHUNK_BYTES });
  const closed = new Promise<void>((resolve) => res.once('close', resolve));
  // the client went away or the write deadline cut it off: res is destroyed, nothing to send
  gz.once('error', () => res.destroy());
  gz.pipe(res);
  for (const chunk of chunks) {
    if (res.destroyed) break;
    if (!gz.write(chunk)) await Promise.race([new Promise((resolve) => gz.once('drain', resolve)), closed]);
  }
  gz.end();
  await closed;
  gz.destroy();
}
