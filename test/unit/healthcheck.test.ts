import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { parseCliArgs } from '../../src/cli/flags.ts';
import { checkHealth, healthUrl, runHealthcheck } from '../../src/cli/healthcheck.ts';
import type { RunArgs } from '../../src/cli/flags.ts';

const runArgs = (argv: string[], env: NodeJS.ProcessEnv = {}): RunArgs => {
  const r = parseCliArgs(argv, env);
  assert.equal(r.kind, 'run', JSON.stringify(r));
  return r as RunArgs;
};
const urlOf = (argv: string[], env: NodeJS.ProcessEnv = {}) => healthUrl(runArgs(argv, env));

describe('healthUrl: where the server that the same flags configure is reached', () => {
  test('all-interfaces addresses are checked on loopback', () => {
    assert.deepEqual(urlOf([]), { ok: true, url: 'http://127.0.0.1:9417/-/healthy' });
    assert.deepEqual(urlOf(['--web.listen-address=:9500']), { ok: true, url: 'http://127.0.0.1:9500/-/healthy' });
    assert.deepEqual(urlOf(['--web.listen-address=0.0.0.0:9500']), { ok: true, url: 'http://127.0.0.1:9500/-/healthy' });
    assert.deepEqual(urlOf(['--web.listen-address=[::]:9500']), { ok: true, url: 'http://[::1]:9500/-/healthy' });
  });

  test('a specific address is checked as it is', () => {
    assert.deepEqual(urlOf(['--web.listen-address=10.1.2.3:9100']), { ok: true, url: 'http://10.1.2.3:9100/-/healthy' });
    assert.deepEqual(urlOf(['--web.listen-address=[fd00::5]:9100']), { ok: true, url: 'http://[fd00::5]:9100/-/healthy' });
    assert.deepEqual(urlOf(['--web.listen-address=localhost:9100']), { ok: true, url: 'http://localhost:9100/-/healthy' });
  });

  test('the environment variable, as the image sets it; the flag wins over it', () => {
    const env = { DOCKER_FLEET_EXPORTER_WEB_LISTEN_ADDRESS: ':9600' };
    assert.deepEqual(urlOf([], env), { ok: true, url: 'http://127.0.0.1:9600/-/healthy' });
    assert.deepEqual(urlOf(['--web.listen-address=127.0.0.1:9700'], env), { ok: true, url: 'http://127.0.0.1:9700/-/healthy' });
  });

  test('several addresses: the first', () => {
    assert.deepEqual(urlOf(['--web.listen-address=127.0.0.2:9100', '--web.listen-address=:9200']), { ok: true, url: 'http://127.0.0.2:9100/-/healthy' });
    assert.deepEqual(urlOf([], { DOCKER_FLEET_EXPORTER_WEB_LISTEN_ADDRESS: '[::]:9300,:9400' }), { ok: true, url: 'http://[::1]:9300/-/healthy' });
  });

  test('port 0 cannot be checked, and says why', () => {
    const r = urlOf(['--web.listen-address=127.0.0.1:0']);
    assert.equal(r.ok, false);
    assert.match(r.ok ? '' : r.reason, /"127\.0\.0\.1:0": port 0 is any free port/);
  });
});

describe('checkHealth and the subcommand against a real server', () => {
  let status = 200;
  let hang = false;
  let server: Server;
  let port = 0;
  before(async () => {
    server = createServer((req, res) => {
      if (hang) return; // never answers
      res.writeHead(req.url === '/-/healthy' ? status : 404).end('x');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  const capture = () => {
    let text = '';
    const stream = new Writable({
      write(chunk: Buffer, _enc, cb) {
        text += chunk.toString();
        cb();
      },
    });
    return { stream, text: () => text };
  };

  test('200 is healthy: exit 0, nothing printed', async () => {
    status = 200;
    const err = capture();
    assert.equal(await runHealthcheck(runArgs([`--web.listen-address=:${port}`]), err.stream), 0);
    assert.equal(err.text(), '');
  });

  test('another status: exit 1 with one line that names the URL and the status', async () => {
    status = 503;
    const err = capture();
    assert.equal(await runHealthcheck(runArgs([], { DOCKER_FLEET_EXPORTER_WEB_LISTEN_ADDRESS: `127.0.0.1:${port}` }), err.stream), 1);
    assert.equal(err.text(), `docker-fleet-exporter healthcheck: unhealthy: GET http://127.0.0.1:${port}/-/healthy: status 503\n`);
  });

  test('nothing listening: exit 1, connection refused', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const free = (closed.address() as { port: number }).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const err = capture();
    assert.equal(await runHealthcheck(runArgs([`--web.listen-address=127.0.0.1:${free}`]), err.stream), 1);
    assert.match(err.text(), new RegExp(`^docker-fleet-exporter healthcheck: unhealthy: GET http://127\\.0\\.0\\.1:${free}/-/healthy: .*ECONNREFUSED.*\\n$`));
  });

  test('no answer: gives up after the timeout', async () => {
    hang = true;
    try {
      const t0 = performance.now();
      const r = await checkHealth(`http://127.0.0.1:${port}/-/healthy`, 300);
      const ms = performance.now() - t0;
      assert.deepEqual(r, { ok: false, reason: `GET http://127.0.0.1:${port}/-/healthy: no answer within 300 ms` });
      assert.ok(ms >= 250 && ms < 10_000, `gave up after ${ms} ms`);
    } finally {
      hang = false;
    }
  });
});
