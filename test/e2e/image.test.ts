// The exporter's container image, for real: image.sh makes the base (debootstrap, cached) and
// builds the repository's Dockerfile on daemon A; then the image runs as a user runs it, with A's
// socket mounted in and a non-default listen address in the environment, as uid 1000.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { displayName, engineGet, heldStill, info, version } from './lib/engine.ts';
import { one, parseExposition, select } from './lib/exposition.ts';
import { freePort } from '../support/net.ts';
import { httpGet } from './lib/exporter.ts';
import { dockerCli, E2E_DIR, loadFleet, RUN_DIR } from './lib/fleet.ts';

const fleet = loadFleet();
const TAG = 'dfe-e2e-exporter:latest';
const NAME = 'e2e-image-exporter';
const HOST = 'local'; // the image's default config: the daemon of the mounted socket
const BUILD_LOG = join(RUN_DIR, 'image-build.log');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const docker = (args: string[]) => dockerCli(fleet.a.socket, args);

interface ContainerInspect {
  Config: { User: string };
  State: {
    Status: string;
    Pid: number;
    ExitCode: number;
    Health?: { Status: string; Log: { ExitCode: number; Output: string }[] };
  };
}
const inspectIt = () => engineGet<ContainerInspect>(fleet.a.socket, `/containers/${NAME}/json`);

/** `bash image.sh build <A's socket> <tag>`; its output in .run/image-build.log. */
async function buildImage(): Promise<void> {
  const out = openSync(BUILD_LOG, 'a');
  const child = spawn('bash', [join(E2E_DIR, 'image.sh'), 'build', fleet.a.socket, TAG], { stdio: ['ignore', out, out] });
  closeSync(out);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) {
    const tail = readFileSync(BUILD_LOG, 'utf8').trim().split('\n').slice(-30).join('\n');
    throw new Error(`image.sh build exited ${code}; the end of ${BUILD_LOG}:\n${tail}`);
  }
}

let address = '';
let url = '';

before(async () => {
  await buildImage();
  let port = await freePort();
  while (port === 9417) port = await freePort(); // the image's default: the test needs another
  address = `127.0.0.1:${port}`;
  url = `http://${address}`;
  const socketGroup = statSync(fleet.a.socket).gid;
  await docker([
    'run', '-d', '--name', NAME, '--network', 'host',
    '--group-add', String(socketGroup), '-v', `${fleet.a.socket}:/var/run/docker.sock`,
    '-e', `DOCKER_FLEET_EXPORTER_WEB_LISTEN_ADDRESS=${address}`,
    // The image's HEALTHCHECK command, checked every second instead of every 30 s.
    '--health-interval', '1s',
    TAG,
  ]);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const r = await httpGet(`${url}/healthz`, 2_000).catch(() => undefined);
    if (r?.status === 200) break;
    const state = (await inspectIt()).State.Status;
    if (state !== 'running' || Date.now() > deadline) {
      const logs = await docker(['logs', '--tail', '30', NAME]).catch((e: Error) => e.message);
      throw new Error(`the image's exporter (${state}) did not answer ${url}/healthz; its log:\n${logs}`);
    }
    await sleep(300);
  }
}, { timeout: 20 * 60_000 });

after(async () => {
  await docker(['rm', '-f', NAME]).catch(() => undefined);
});

describe('the image, built from the Dockerfile and run against daemon A', { timeout: 180_000 }, () => {
  test('runs as uid 1000 (the node user), with the socket\'s group', async () => {
    const i = await inspectIt();
    assert.equal(i.Config.User, 'node');
    const status = readFileSync(`/proc/${i.State.Pid}/status`, 'utf8');
    const ids = (field: string) => (new RegExp(`^${field}:\\s+(.*)$`, 'm').exec(status)?.[1] ?? '').trim().split(/\s+/);
    assert.deepEqual(ids('Uid'), ['1000', '1000', '1000', '1000'], 'real, effective, saved, fs uid');
    assert.deepEqual(ids('Gid'), ['1000', '1000', '1000', '1000']);
    assert.ok(ids('Groups').includes(String(statSync(fleet.a.socket).gid)), `supplementary groups ${ids('Groups').join(' ')} lack the socket's`);
  });

  test('/metrics is correct for daemon A', async () => {
    const { result: body, still } = await heldStill(fleet.a.socket, async () => {
      const r = await httpGet(`${url}/metrics`);
      assert.equal(r.status, 200, r.body.slice(0, 300));
      return r.body;
    });
    const e = parseExposition(body);
    const [v, i] = await Promise.all([version(fleet.a.socket), info(fleet.a.socket)]);
    assert.equal(one(e, 'docker_host_up', { host: HOST }), 1);
    assert.equal(select(e, 'docker_host_info', { host: HOST })[0]?.labels.server_version, v.Version);
    assert.equal(one(e, 'machine_cpu_cores', { host: HOST }), i.NCPU);
    assert.equal(one(e, 'machine_memory_bytes', { host: HOST }), i.MemTotal);
    assert.ok(still.length >= 10, `only ${still.length} of A's containers held still`);
    for (const { container: c } of still) {
      const name = displayName(c);
      const running = c.State === 'running' ? 1 : c.State === 'restarting' ? 0.5 : 0;
      assert.equal(one(e, 'docker_container_running_state', { host: HOST, name }), running, `${name} (daemon: ${c.State})`);
      assert.equal(one(e, 'container_state', { host: HOST, id: c.Id, state: c.State }), 1, `${name}: container_state`);
    }
    // It sees itself, from the image it was built as.
    const self = select(e, 'container_info', { host: HOST, name: NAME });
    assert.equal(self.length, 1, 'container_info for the exporter\'s own container');
    assert.equal(self[0]!.labels.image, TAG);
  });

  test('HEALTHCHECK: the image\'s command is healthy at the non-default address it follows', async () => {
    const image = await engineGet<{ Config: { Healthcheck?: { Test: string[] } } }>(fleet.a.socket, `/images/${encodeURIComponent(TAG)}/json`);
    assert.deepEqual(image.Config.Healthcheck?.Test, ['CMD', 'node', '/app/dist/src/cli.js', 'healthcheck']);
    let i = await inspectIt();
    const deadline = Date.now() + 60_000;
    while (i.State.Health?.Status !== 'healthy' && Date.now() < deadline) {
      await sleep(500);
      i = await inspectIt();
    }
    assert.equal(i.State.Health?.Status, 'healthy', `health log: ${JSON.stringify(i.State.Health?.Log.slice(-3))}`);
    assert.ok(i.State.Health!.Log.some((l) => l.ExitCode === 0), 'a check exited 0');
    // The same command fails where nothing listens, and says where it looked: it really checks.
    const elsewhere = `127.0.0.1:${await freePort()}`;
    await assert.rejects(
      docker(['exec', '-e', `DOCKER_FLEET_EXPORTER_WEB_LISTEN_ADDRESS=${elsewhere}`, NAME, 'node', '/app/dist/src/cli.js', 'healthcheck']),
      (err: Error & { code?: number; stderr?: string }) => {
        assert.equal(err.code, 1);
        assert.match(err.stderr ?? '', new RegExp(`unhealthy: GET http://${elsewhere.replace(/\./g, '\\.')}/-/healthy: .*ECONNREFUSED`));
        return true;
      },
    );
  });

  test('stops on SIGTERM within 2 s, exit code 0', async () => {
    const t0 = performance.now();
    // SIGTERM, then SIGKILL only after 10 s: a kill would show as exit code 137.
    await docker(['stop', '--time', '10', NAME]);
    const ms = performance.now() - t0;
    const i = await inspectIt();
    assert.equal(i.State.Status, 'exited');
    assert.equal(i.State.ExitCode, 0, 'exit code after SIGTERM');
    assert.ok(ms < 2000, `took ${ms.toFixed(0)} ms to stop`);
  });
});
