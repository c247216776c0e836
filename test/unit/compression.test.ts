// gzip on the endpoint: when Accept-Encoding allows it, and the body round-trips.
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { acceptsGzip, sendGzip } from '../../src/http/compression.ts';

test('Accept-Encoding: gzip only when allowed (RFC 9110 q-values, *, x-gzip)', () => {
  const yes = ['gzip', 'GZIP', 'deflate, gzip', 'gzip;q=0.5', 'br;q=1.0, gzip;q=0.8, *;q=0.1', 'x-gzip', '*', 'identity, *;q=1', 'gzip ; q=1'];
  const no = [undefined, '', 'identity', 'deflate, br', 'gzip;q=0', 'gzip;q=0.0, *', '*;q=0', 'gzip;q=0, identity', 'zstd'];
  for (const h of yes) assert.equal(acceptsGzip(h), true, String(h));
  for (const h of no) assert.equal(acceptsGzip(h), false, String(h));
});

test('sendGzip: a multi-piece body decompresses to exactly the same bytes; HEAD sends none', async () => {
  const chunks = Array.from({ length: 40 }, (_, i) => Buffer.from(`metric_${i}{host="h"} ${i * 1.5}\n`.repeat(2000)));
  const server: Server = createServer((req, res) => {
    res.setHeader('content-type', 'text/plain');
    void sendGzip(res, chunks, req.method === 'HEAD');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  try {
    const fetch = (method: string) =>
      new Promise<{ headers: Record<string, unknown>; body: Buffer }>((resolve, reject) => {
        request({ port, host: '127.0.0.1', path: '/', method }, (res) => {
          const parts: Buffer[] = [];
          res.on('data', (c: Buffer) => parts.push(c));
          res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(parts) }));
        })
          .on('error', reject)
          .end();
      });
    const head = await fetch('HEAD');
    assert.equal(head.headers['content-encoding'], 'gzip');
    assert.equal(head.body.length, 0);
    const got = await fetch('GET');
    assert.equal(got.headers['content-encoding'], 'gzip');
    assert.equal(got.headers['content-type'], 'text/plain');
    assert.equal(got.headers['content-length'], undefined);
    const plain = Buffer.concat(chunks);
    assert.ok(got.body.length < plain.length / 10, `compressed ${got.body.length} of ${plain.length}`);
    assert.ok(gunzipSync(got.body).equals(plain));
  } finally {
    server.close();
  }
});
