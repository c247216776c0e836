// The fleet changes without a restart: SIGHUP and POST|PUT /-/reload re-read the config file.
// A host added, one removed, one's labels changed: the next scrape shows exactly that, and the
// SSH host, unchanged, keeps its session (sshd logs no new login). A bad config changes nothing.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { one, select, type Exposition } from './lib/exposition.ts';
import { hostA, hostASsh, hostB, httpRequest, scrapeUntil, startExporter, type Exporter, type HostEntry } from './lib/exporter.ts';
import { HOST_A, HOST_A_SSH, HOST_B, loadFleet } from './lib/fleet.ts';

const fleet = loadFleet();
const HOST_B_UNIX = 'engine-b-unix';
const sshdLog = join(dirname(fleet.ssh.identity_file), 'sshd.log');
const logins = () => readFileSync(sshdLog, 'utf8').split('\n').filter((l) => /Accepted publickey for /.test(l)).length;

const hostsOf = (e: Exposition) => [...new Set(select(e, 'docker_host_up').map((s) => s.labels.host!))].sort();
const reloadOk = (e: Exposition) => one(e, 'docker_fleet_exporter_config_last_reload_successful', {});
const reloadAt = (e: Exposition) => one(e, 'docker_fleet_exporter_config_last_reload_success_timestamp_seconds', {});
const bUnix: HostEntry = { name: HOST_B_UNIX, url: `unix://${fleet.b.socket}`, labels: { dc: 'e2e-b' } };

let exp: Exporter | undefined;
after(async () => {
  if (exp && exp.child.exitCode === null) await exp.stop();
});

/**
 * Scrapes /metrics until the last successful reload is newer than `since`, then once more: a
 * scrape that was collecting while the reload ran serves the old host set, and renders the
 * exporter's own metrics (the reload time among them) after it, so only the next one is new.
 */
async function reloaded(since: number): Promise<Exposition> {
  const { ok } = await scrapeUntil(exp!, (e) => reloadAt(e) > since, 30_000);
  assert.ok(ok, `no successful reload within 30 s; log:\n${exp!.logTail(15)}`);
  return exp!.scrape();
}

describe('reload', { timeout: 180_000 }, () => {
  test('SIGHUP: a host added, one removed, one relabelled; the unchanged SSH host keeps its session and counters', async () => {
    exp = await startExporter('reload', [hostA(fleet), hostB(fleet), hostASsh(fleet)]);
    const { e: before, ok } = await scrapeUntil(exp, (e) => select(e, 'docker_host_up').every((s) => s.value === 1), 30_000);
    assert.ok(ok, `every host up before the reload\n${exp.logTail(10)}`);
    assert.deepEqual(hostsOf(before), [HOST_A, HOST_A_SSH, HOST_B].sort());
    assert.equal(reloadOk(before), 1, 'the config loaded at startup counts as a successful reload');
    const loginsBefore = logins();
    assert.ok(loginsBefore >= 1, 'sshd logs the logins counted here');
    const connects = one(before, 'docker_ssh_connects_total', { host: HOST_A_SSH });
    const probesBefore = one(before, 'docker_probe_duration_seconds_count', { host: HOST_A_SSH });

    exp.writeConfig([{ ...hostA(fleet), labels: { dc: 'e2e-moved' } }, hostASsh(fleet), bUnix]);
    exp.child.kill('SIGHUP');
    const e = await reloaded(reloadAt(before));

    assert.deepEqual(hostsOf(e), [HOST_A, HOST_A_SSH, HOST_B_UNIX].sort(), 'exactly the new host set');
    assert.equal(e.samples.filter((s) => s.labels.host === HOST_B).length, 0, `no series of the removed ${HOST_B}`);
    const aSeries = e.samples.filter((s) => s.labels.host === HOST_A);
    assert.ok(aSeries.length > 20);
    assert.deepEqual([...new Set(aSeries.map((s) => s.labels.dc))], ['e2e-moved'], `every ${HOST_A} series has the new label`);
    const { e: up } = await scrapeUntil(exp, (x) => select(x, 'docker_host_up', { host: HOST_B_UNIX })[0]?.value === 1, 30_000);
    assert.equal(one(up, 'docker_host_up', { host: HOST_B_UNIX, dc: 'e2e-b' }), 1, 'the added host is probed');
    assert.ok(select(up, 'container_info', { host: HOST_B_UNIX }).length >= 2, "the added host's containers");

    assert.equal(one(up, 'docker_ssh_connected', { host: HOST_A_SSH }), 1);
    assert.equal(one(up, 'docker_ssh_connects_total', { host: HOST_A_SSH }), connects, 'the SSH host did not reconnect');
    assert.ok(one(up, 'docker_probe_duration_seconds_count', { host: HOST_A_SSH }) > probesBefore, 'its counters went on');
    assert.equal(logins(), loginsBefore, 'sshd logged no new login');
  });

  test('a bad config on SIGHUP changes nothing; the reload metric is 0 until a good one', async () => {
    assert.ok(exp, 'exporter started by the previous test');
    const before = await exp.scrape();
    const hosts = hostsOf(before);
    const at = reloadAt(before);
    const good = readFileSync(exp.configFile, 'utf8');
    exp.writeConfig([hostA(fleet), { name: 'broken', url: 'tcp://' }], { collection: { timeout: 'soon' } });
    exp.child.kill('SIGHUP');
    const { e, ok } = await scrapeUntil(exp, (x) => reloadOk(x) === 0, 30_000);
    assert.ok(ok, `reload metric 0 after a bad config\n${exp.logTail(10)}`);
    assert.deepEqual(hostsOf(e), hosts, 'the host set is unchanged');
    assert.equal(reloadAt(e), at, 'the last success is unchanged');
    const log = exp.logTail(20);
    assert.match(log, /hosts\[1\]\.url/, 'the log names the bad key');
    assert.match(log, /collection\.timeout/);
    assert.equal(exp.child.exitCode, null, 'still running');

    // POST /-/reload with the bad file: 400 and the errors
    const bad = await httpRequest('POST', `${exp.url}/-/reload`);
    assert.equal(bad.status, 400);
    assert.match(bad.body, /hosts\[1\]\.url/);
    assert.match(bad.body, /collection\.timeout/);

    // fixed: PUT works as POST does
    exp.writeConfig([hostA(fleet), hostASsh(fleet)]);
    assert.notEqual(readFileSync(exp.configFile, 'utf8'), good);
    const fixed = await httpRequest('PUT', `${exp.url}/-/reload`);
    assert.equal(fixed.status, 200, fixed.body);
    const after = await exp.scrape();
    assert.equal(reloadOk(after), 1);
    assert.ok(reloadAt(after) > at);
    assert.deepEqual(hostsOf(after), [HOST_A, HOST_A_SSH].sort());

    const get = await httpRequest('GET', `${exp.url}/-/reload`);
    assert.equal(get.status, 405);
    assert.equal(get.headers['allow'], 'POST, PUT');
  });
});
