// Daemon A reached through OpenSSH (direct-streamlocal to its socket), next to A on its unix
// socket: both views of the same daemon must agree.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { cpuSeconds } from './lib/cgroup.ts';
import { displayName, heldStill, inspect, listContainers } from './lib/engine.ts';
import { one, select } from './lib/exposition.ts';
import { hostA, hostASsh, startExporter, type Exporter } from './lib/exporter.ts';
import { HOST_A, HOST_A_SSH, loadFleet } from './lib/fleet.ts';

const fleet = loadFleet();

let exp: Exporter;
before(async () => {
  exp = await startExporter('ssh', [hostA(fleet), hostASsh(fleet)]);
});
after(async () => {
  if (exp && exp.child.exitCode === null) await exp.stop();
});

describe('A over SSH', { timeout: 90_000 }, () => {
  test('serves the same daemon as A over its unix socket', async () => {
    const listed = await listContainers(fleet.a.socket);
    const { result: e, still } = await heldStill(fleet.a.socket, () => exp.scrape());
    assert.equal(one(e, 'docker_host_up', { host: HOST_A_SSH }), 1, `${HOST_A_SSH} up\n${exp.logTail(10)}`);
    const ids = (host: string) => select(e, 'container_info', { host }).map((s) => `${s.labels.id} ${s.labels.name}`).sort();
    assert.deepEqual(ids(HOST_A_SSH), ids(HOST_A), 'same containers through SSH and the socket');
    assert.equal(ids(HOST_A_SSH).length, listed.length);
    assert.ok(still.length >= 10, `only ${still.length} containers held still`);
    for (const { container: c } of still) {
      const want = c.State === 'running' ? 1 : c.State === 'restarting' ? 0.5 : 0;
      assert.equal(one(e, 'docker_container_running_state', { host: HOST_A_SSH, name: displayName(c) }), want, `${displayName(c)} over SSH`);
    }
    const info = (host: string) => select(e, 'docker_host_info', { host })[0]?.labels.server_version;
    assert.equal(info(HOST_A_SSH), info(HOST_A));
  });

  test('stats through SSH match the cgroup', async () => {
    const pid = (await inspect(fleet.a.socket, 'e2e-cpu')).State.Pid;
    const c0 = cpuSeconds(pid);
    const e = await exp.scrape(`/probe?target=${HOST_A_SSH}`);
    const c1 = cpuSeconds(pid);
    const cpu = one(e, 'container_cpu_usage_seconds_total', { host: HOST_A_SSH, name: 'e2e-cpu' });
    assert.ok(cpu >= c0 - 0.05 && cpu <= c1 + 0.05, `CPU ${cpu} outside the cgroup's [${c0}, ${c1}]`);
    const limit = one(e, 'container_spec_memory_limit_bytes', { host: HOST_A_SSH, name: 'e2e-mem' });
    assert.equal(limit, 67108864);
  });
});
