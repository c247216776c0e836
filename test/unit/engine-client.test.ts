// The Engine API client's failure paths: whatever a transport or daemon does, a request ends
// as a rejected EngineError, once, and leaves nothing armed behind it.
import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import { describe, test } from 'node:test';
import { EngineClient, EngineError } from '../../src/docker/engine-client.ts';
import type { Transport } from '../../src/transport/types.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A transport whose agent throws synchronously when asked for a connection (as tls.connect does on a bad key). */
function throwingTransport(message: string): Transport {
  const agent = new Agent();
  agent.createConnection = () => {
    throw new Error(message);
  };
  return { agent, newSideAgent: () => agent, requestOptions: { protocol: 'http:', host: '127.0.0.1', port: 9 }, close: async () => agent.destroy() };
}

describe('EngineClient', () => {
  test('a request that throws synchronously is a failed result, and its timer does not fire later', async () => {
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown) => uncaught.push(err);
    process.on('uncaughtException', onUncaught);
    try {
      const client = new EngineClient(throwingTransport('error:1E08010C:DECODER routines::unsupported'));
      await assert.rejects(client.get('/version', 50, 'daemon', false), (err: unknown) => {
        assert.ok(err instanceof EngineError, `not an EngineError: ${String(err)}`);
        assert.match(err.message, /^GET \/version: .*DECODER routines::unsupported/);
        return true;
      });
      // past the request's timeout: before the fix, the timer read `req` before it existed
      await sleep(150);
      assert.deepEqual(uncaught.map(String), []);
    } finally {
      process.off('uncaughtException', onUncaught);
    }
  });

  test('a timeout names a rounded duration', async () => {
    const server = (await import('node:http')).createServer(() => {}); // never answers
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const agent = new Agent({ keepAlive: true });
    const client = new EngineClient({ agent, newSideAgent: () => agent, requestOptions: { protocol: 'http:', host: '127.0.0.1', port }, close: async () => {} });
    try {
      await assert.rejects(client.get('/version', 57.33333333, 'daemon', false), /^EngineError: GET \/version: timed out after 57ms$/);
      await assert.rejects(client.get('/version', 1234.5678, 'daemon', false), /^EngineError: GET \/version: timed out after 1\.2s$/);
    } finally {
      agent.destroy();
      server.closeAllConnections();
      server.close();
    }
  });

  test('bodies are capped per kind: 1 MiB for stats and inspect, more for the list; the message names the cap', async () => {
    const big = 'x'.repeat(1024 * 1024 + 1);
    const { createServer } = await import('node:http');
    const server = createServer((req, res) => {
      if (req.url?.includes('sized')) res.writeHead(200, { 'content-length': String(big.length) });
      else res.writeHead(200); // chunked: the size is known only while reading
      res.end(big);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const agent = new Agent({ keepAlive: true });
    const client = new EngineClient({ agent, newSideAgent: () => agent, requestOptions: { protocol: 'http:', host: '127.0.0.1', port }, close: async () => {} });
    try {
      await assert.rejects(client.get('/containers/c/stats', 5000, 'stats', false), /^EngineError: GET \/containers\/c\/stats: stats body larger than its 1 MiB cap$/);
      await assert.rejects(client.get('/containers/c/json?sized', 5000, 'inspect', false), /^EngineError: GET \/containers\/c\/json\?sized: inspect body larger than its 1 MiB cap$/);
      assert.equal((await client.get('/containers/json', 5000, 'list', false)).length, big.length);
    } finally {
      agent.destroy();
      server.closeAllConnections();
      server.close();
    }
  });
  test('close() ends the requests in flight and refuses later ones, naming the path', async () => {
    const server = (await import('node:http')).createServer(() => {}); // never answers
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const agent = new Agent({ keepAlive: true, maxSockets: 1 }); // the second request waits in the agent's queue
    const client = new EngineClient({ agent, newSideAgent: () => agent, requestOptions: { protocol: 'http:', host: '127.0.0.1', port }, close: async () => {} });
    try {
      const first = client.get('/version', 60_000, 'daemon', false);
      const queued = client.get('/info', 60_000, 'daemon', false);
      await sleep(50);
      client.close();
      await assert.rejects(first, /^EngineError: GET \/version: aborted \(shutting down\)$/);
      await assert.rejects(queued, /^EngineError: GET \/info: aborted \(shutting down\)$/);
      await assert.rejects(client.get('/version', 60_000, 'daemon', false), /^EngineError: GET \/version: aborted \(shutting down\)$/);
    } finally {
      agent.destroy();
      server.closeAllConnections();
      server.close();
    }
  });

  test('requests in flight together time out each at its own deadline, and no timer outlives them', async () => {
    const server = (await import('node:http')).createServer((req, res) => {
      if (req.url === '/fast') res.end('{}'); // the rest never answer
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const agent = new Agent({ keepAlive: true });
    const client = new EngineClient({ agent, newSideAgent: () => agent, requestOptions: { protocol: 'http:', host: '127.0.0.1', port }, close: async () => {} });
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    try {
      const before = timers();
      const t0 = performance.now();
      const settled = (p: Promise<unknown>) => p.then(() => NaN, () => performance.now() - t0);
      const late = settled(client.get('/late', 600, 'daemon', false));
      const early = settled(client.get('/early', 100, 'daemon', false));
      const [earlyMs, lateMs] = await Promise.all([early, late]);
      assert.ok(earlyMs >= 95 && earlyMs < 550, `the 100 ms request ended after ${earlyMs} ms`);
      assert.ok(lateMs >= 595, `the 600 ms request ended after ${lateMs} ms`);
      // a request that succeeds leaves no timer armed for its (long) deadline
      assert.equal((await client.get('/fast', 60_000, 'daemon', false)).toString(), '{}');
      assert.equal(timers(), before);
    } finally {
      agent.destroy();
      server.closeAllConnections();
      server.close();
    }
  });
});
