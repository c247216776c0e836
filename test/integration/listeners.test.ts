// Several listen addresses feeding one HTTP server, plain or TLS with settings looked up per
// connection; the injected connections keep the HTTP server's request timeouts.
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect as netConnect } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { pino } from 'pino';
import { listenAll } from '../../src/http/listeners.ts';
import { LiveWebConfig } from '../../src/web/live.ts';
import { makeCerts, type Certs } from '../support/certs.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'dfe-listeners-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let certs: Certs;
before(async () => {
  certs = await makeCerts(path.join(dir, 'certs'));
});
const log = pino({ level: 'silent' });

function httpServer(): Server {
  return createServer({ headersTimeout: 1000, requestTimeout: 1000, connectionsCheckingInterval: 200 }, (req, res) => {
    res.end(`hello ${req.socket.localAddress} ${'encrypted' in req.socket ? 'tls' : 'plain'}\n`);
  });
}

/** One raw HTTP/1.1 exchange over `socket`; resolves with what came back before the close. */
function exchange(socket: NodeJS.ReadWriteStream & { on(e: string, f: (...a: unknown[]) => void): unknown; destroy(): void }, request: string): Promise<string> {
  return new Promise((resolve) => {
    let got = '';
    socket.on('data', (d) => (got += String(d)));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(got));
    socket.write(request);
  });
}

test('two addresses (IPv4 and IPv6), one server; a taken port fails naming it and binds nothing', async () => {
  const http = httpServer();
  const l = await listenAll([{ host: '127.0.0.1', port: 0 }, { host: '::1', port: 0 }], http, { handshakeTimeoutMs: 1000, log });
  try {
    assert.equal(l.bound.length, 2);
    const [v4, v6] = l.bound;
    const a = await exchange(netConnect(v4!.port, '127.0.0.1'), 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    const b = await exchange(netConnect(v6!.port, '::1'), 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.match(a, /^HTTP\/1\.1 200 OK[\s\S]*hello 127\.0\.0\.1 plain/);
    assert.match(b, /^HTTP\/1\.1 200 OK[\s\S]*hello ::1 plain/);

    await assert.rejects(listenAll([{ host: '127.0.0.1', port: 0 }, { host: '127.0.0.1', port: v4!.port }], httpServer(), { handshakeTimeoutMs: 1000, log }), new RegExp(`^Error: cannot listen on 127\\.0\\.0\\.1:${v4!.port}: .*EADDRINUSE`));
  } finally {
    await l.close();
    http.close();
  }
});

test('injected connections keep headersTimeout: a slow request is answered 408 and closed', async () => {
  const http = httpServer();
  const l = await listenAll([{ host: '127.0.0.1', port: 0 }], http, { handshakeTimeoutMs: 1000, log });
  try {
    const t0 = Date.now();
    const got = await exchange(netConnect(l.bound[0]!.port, '127.0.0.1'), 'GET / HTTP/1.1\r\nHost: x\r\n');
    assert.match(got, /^HTTP\/1\.1 408/);
    assert.ok(Date.now() - t0 < 8000, 'cut off by the 1 s headersTimeout, not left open');
  } finally {
    await l.close();
    http.close();
  }
});

test('TLS: the certificate is looked up per connection: a replaced file serves the next connection', async () => {
  const cert = path.join(dir, 'server.crt');
  const key = path.join(dir, 'server.key');
  copyFileSync(certs.paths.serverCert, cert);
  copyFileSync(certs.paths.serverKey, key);
  const file = path.join(dir, 'web.yml');
  writeFileSync(file, 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n');
  const opened = LiveWebConfig.open(file, log);
  assert.ok(opened.ok);
  const live = opened.live;
  const http = httpServer();
  const l = await listenAll([{ host: '127.0.0.1', port: 0 }], http, { tls: () => live.tlsForConnection(), handshakeTimeoutMs: 1000, log });
  const port = l.bound[0]!.port;
  const fetch = (ca: string) => exchange(tlsConnect({ port, host: '127.0.0.1', ca }), 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  try {
    assert.match(await fetch(certs.ca), /hello 127\.0\.0\.1 tls/);
    assert.equal(await fetch(certs.otherCa), '', 'a client that does not trust the server gets nothing');
    // rotate to a server certificate from another CA (made here with the other CA's client key pair:
    // any matching pair signed by other-ca will do) -> clients trusting only the old CA now fail
    writeFileSync(`${cert}.new`, certs.otherClientCert);
    writeFileSync(`${key}.new`, certs.otherClientKey);
    renameSync(`${key}.new`, key);
    renameSync(`${cert}.new`, cert);
    assert.equal(await fetch(certs.ca), '', 'the old CA no longer verifies the served certificate');
    assert.equal(live.reloads, 1);
  } finally {
    await l.close();
    http.close();
  }
});
