// The event streams against the real daemons: what happens between two scrapes (OOM kills, a
// crash loop) counted exactly as the daemon reports it, through A's unix socket, A over SSH and
// B over TCP + mutual TLS; cut streams (TCP reset, SSH session killed) that count nothing twice;
// and B's dockerd restarted while a container on it dies.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { inspect } from './lib/engine.ts';
import { countActions, followEvents, oomBursts, pastEvents, runsWithOom, union, type EngineEvent } from './lib/events.ts';
import { select, show, type Exposition } from './lib/exposition.ts';
import { hostA, hostASsh, hostB, scrapeUntil, startExporter, type Exporter } from './lib/exporter.ts';
import { dockerCli, fleetCommand, HOST_A, HOST_A_SSH, HOST_B, loadFleet, RUN_DIR } from './lib/fleet.ts';

const run = promisify(execFile);
const fleet = loadFleet();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const now = () => Date.now() / 1000;
const HOSTS = [HOST_A, HOST_A_SSH, HOST_B] as const;
const socketOf = (host: string) => (host === HOST_B ? fleet.b.socket : fleet.a.socket);
const created: { socket: string; name: string }[] = [];

/** A metric's value, 0 when the series is absent (a counter not yet counted). */
const val = (e: Exposition, name: string, labels: Record<string, string>): number => {
  const s = select(e, name, labels);
  if (s.length > 1) throw new Error(`more than one ${name}${JSON.stringify(labels)}: ${s.map(show).join(', ')}`);
  return s[0]?.value ?? 0;
};
const die = (e: Exposition, host: string, name: string) => val(e, 'container_events_total', { host, name, event: 'die' });

async function docker(socket: string, args: string[]): Promise<string> {
  return (await dockerCli(socket, args)).trim();
}

/** `docker create` (or run -d), remembered for removal at the end. */
async function create(socket: string, name: string, args: string[], verb: 'create' | 'run' = 'create'): Promise<string> {
  created.push({ socket, name });
  await docker(socket, ['rm', '-f', name]).catch(() => '');
  return docker(socket, [verb, ...(verb === 'run' ? ['-d'] : []), '--name', name, '--network', 'none', ...args]);
}

async function waitUntil(what: string, ok: () => Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms / 1000}s waiting for ${what}`);
    await sleep(300);
  }
}

let exp: Exporter;

before(async () => {
  exp = await startExporter('events', [hostA(fleet), hostASsh(fleet), hostB(fleet)]);
  const { ok, e } = await scrapeUntil(exp, (e) => HOSTS.every((host) => val(e, 'docker_events_connected', { host }) === 1), 30_000);
  assert.ok(ok, `event streams not connected: ${select(e, 'docker_events_connected').map(show).join(', ')}\n${exp.logTail(20)}`);
});

after(async () => {
  if (exp && exp.child.exitCode === null) await exp.stop();
  for (const { socket, name } of created) await docker(socket, ['rm', '-f', name]).catch(() => '');
});

describe('container events from the daemons\' streams', { timeout: 300_000 }, () => {
  test('OOM kills and a crash loop between two scrapes: counted as the daemon reports them, through the socket, SSH and TLS', async () => {
    // 16 MiB, no swap, 64 MiB asked for at once: OOM-killed at once, restarted twice (3 runs);
    // the crash looper exits 3 three times. Six processes allocating together in 32 MiB: on
    // cgroup v1 a burst of `oom` events per run (28-60 measured here), one kill episode each.
    // All run their course between two scrapes.
    const oomArgs = ['--memory', '16m', '--memory-swap', '16m', '--restart', 'on-failure:2', fleet.image, 'dd', 'if=/dev/zero', 'of=/dev/null', 'bs=64M', 'count=1'];
    const crashArgs = ['--restart', 'on-failure:2', fleet.image, 'sh', '-c', 'exit 3'];
    const multi = 'for i in 1 2 3 4 5 6; do dd if=/dev/zero of=/dev/null bs=24M count=1 & done; wait; exit 1';
    const multiArgs = ['--memory', '32m', '--memory-swap', '32m', '--restart', 'on-failure:2', fleet.image, 'sh', '-c', multi];
    const ids: Record<string, { oom: string; crash: string; multi: string }> = {};
    for (const socket of [fleet.a.socket, fleet.b.socket]) {
      ids[socket] = {
        oom: await create(socket, 'e2e-evt-oom', oomArgs),
        crash: await create(socket, 'e2e-evt-crash', crashArgs),
        multi: await create(socket, 'e2e-evt-oom-multi', multiArgs),
      };
    }
    // The first scrape sees both containers, created and not yet started: their counts are 0.
    const { ok, e: e0 } = await scrapeUntil(exp, (e) => HOSTS.every((host) => select(e, 'container_oom_events_total', { host, name: 'e2e-evt-oom' }).length === 1), 30_000);
    assert.ok(ok, 'the created containers are listed, with container_oom_events_total 0');
    for (const host of HOSTS) assert.equal(val(e0, 'container_oom_events_total', { host, name: 'e2e-evt-oom' }), 0);
    const hostDie0 = val(e0, 'docker_host_container_events_total', { host: HOST_B, event: 'die' });
    const hostOom0 = val(e0, 'docker_host_container_oom_events_total', { host: HOST_B });

    const t0 = now() - 0.5;
    // The daemon's account, read live: its buffer (256 events, healthcheck execs included) does
    // not hold all of these bursts.
    const accounts = new Map([fleet.a.socket, fleet.b.socket].map((socket) => [socket, followEvents(socket)]));
    await sleep(300);
    for (const socket of [fleet.a.socket, fleet.b.socket]) await docker(socket, ['start', 'e2e-evt-oom', 'e2e-evt-crash', 'e2e-evt-oom-multi']);
    for (const socket of [fleet.a.socket, fleet.b.socket]) {
      for (const name of ['e2e-evt-oom', 'e2e-evt-crash', 'e2e-evt-oom-multi']) {
        await waitUntil(`${name} to have run three times`, async () => {
          const c = await inspect(socket, name);
          return c.RestartCount === 2 && c.State.Status === 'exited';
        }, 60_000);
      }
    }
    await sleep(1200);
    for (const a of accounts.values()) a.close();

    // The daemon's account, and what it must be for the test to mean anything.
    const want: Record<string, { oomKills: number; oomEvents: number; oomDies: number; crashDies: number; crashStarts: number; allDies: number; multiKills: number; multiEvents: number }> = {};
    for (const socket of [fleet.a.socket, fleet.b.socket]) {
      const evs = accounts.get(socket)!.events;
      const oom = countActions(evs, ids[socket]!.oom);
      const crash = countActions(evs, ids[socket]!.crash);
      want[socket] = {
        oomKills: runsWithOom(evs, ids[socket]!.oom),
        oomEvents: oom.oom ?? 0,
        oomDies: oom.die ?? 0,
        crashDies: crash.die ?? 0,
        crashStarts: crash.start ?? 0,
        allDies: evs.filter((x) => x.Action === 'die').length,
        multiKills: oomBursts(evs, ids[socket]!.multi),
        multiEvents: countActions(evs, ids[socket]!.multi).oom ?? 0,
      };
      assert.equal(want[socket]!.crashDies, 3, `the daemon reports 3 dies of the crash looper: ${JSON.stringify(crash)}`);
      assert.equal(want[socket]!.oomDies, 3, `the daemon reports 3 dies of the OOM container: ${JSON.stringify(oom)}`);
      // The daemon reports an oom for most runs, not every one: a loaded machine (CI, once) had
      // a run die by SIGKILL with no oom event. The exporter is held to what the daemon says.
      assert.ok(want[socket]!.oomKills >= 1, `the daemon reports an OOM kill of the OOM container: ${JSON.stringify(oom)}`);
      assert.equal(oomBursts(evs, ids[socket]!.oom), want[socket]!.oomKills, 'one allocation per run: the README\'s rule counts its runs with an oom');
      assert.ok(runsWithOom(evs, ids[socket]!.multi) === 3, 'every run of the multi-process container was OOM-killed');
    }

    const counted = (e: Exposition) =>
      HOSTS.every((host) => die(e, host, 'e2e-evt-crash') >= 3 && die(e, host, 'e2e-evt-oom-multi') >= 3 && val(e, 'container_oom_events_total', { host, name: 'e2e-evt-oom' }) >= want[socketOf(host)]!.oomKills);
    const { ok: ok1 } = await scrapeUntil(exp, counted, 20_000);
    assert.ok(ok1, `the events reached the exporter\n${exp.logTail(20)}`);
    await sleep(2000); // anything counted twice would show by now
    const e1 = await exp.scrape();
    for (const host of HOSTS) {
      const w = want[socketOf(host)]!;
      const at = `${host}: `;
      assert.equal(val(e1, 'container_oom_events_total', { host, name: 'e2e-evt-oom' }), w.oomKills, `${at}container_oom_events_total = OOM kills the daemon reports`);
      assert.equal(val(e1, 'container_events_total', { host, name: 'e2e-evt-oom', event: 'oom' }), w.oomEvents, `${at}raw oom events`);
      assert.equal(die(e1, host, 'e2e-evt-oom'), 3, `${at}OOM container dies`);
      assert.equal(die(e1, host, 'e2e-evt-crash'), 3, `${at}crash looper: die up by 3`);
      assert.equal(val(e1, 'container_events_total', { host, name: 'e2e-evt-crash', event: 'start' }), w.crashStarts, `${at}crash looper starts`);
      assert.equal(val(e1, 'container_last_exit_code', { host, name: 'e2e-evt-crash' }), 3, `${at}last exit code`);
      assert.equal(val(e1, 'container_last_exit_code', { host, name: 'e2e-evt-oom' }), 137, `${at}OOM-killed: 128 + SIGKILL`);
      assert.equal(val(e1, 'container_oom_events_total', { host, name: 'e2e-evt-oom-multi' }), w.multiKills, `${at}multi-process: kills by the rule`);
      assert.equal(val(e1, 'container_events_total', { host, name: 'e2e-evt-oom-multi', event: 'oom' }), w.multiEvents, `${at}multi-process: raw oom events`);
    }
    const bursty = want[fleet.a.socket]!;
    console.log(`# multi-process OOM container on A: ${bursty.multiEvents} oom events, ${bursty.multiKills} kills counted`);
    // B runs nothing else that dies: its host totals move by exactly these.
    assert.equal(val(e1, 'docker_host_container_events_total', { host: HOST_B, event: 'die' }) - hostDie0, want[fleet.b.socket]!.allDies);
    assert.equal(val(e1, 'docker_host_container_oom_events_total', { host: HOST_B }) - hostOom0, want[fleet.b.socket]!.oomKills + want[fleet.b.socket]!.multiKills);
    for (const host of HOSTS) assert.ok(val(e1, 'docker_host_last_event_timestamp_seconds', { host }) >= t0, `${host}: last event time`);
  });

  test('a cut stream (B: TCP reset; A over SSH: session killed) reconnects, replays its overlap and counts nothing twice', async () => {
    const e0 = await exp.scrape();
    const reconnects0 = Object.fromEntries(HOSTS.map((h) => [h, val(e0, 'docker_events_reconnects_total', { host: h })]));
    for (const socket of [fleet.a.socket, fleet.b.socket]) await create(socket, 'e2e-evt-cut', [fleet.image, 'sh', '-c', 'exit 5'], 'run');
    const { ok } = await scrapeUntil(exp, (e) => HOSTS.every((h) => die(e, h, 'e2e-evt-cut') === 1), 20_000);
    assert.ok(ok, 'the die reached the exporter on every host');
    // The reconnect asks for `since` = 1 s before the newest event seen: this die is replayed.
    await run('ss', ['-K', 'dst', fleet.b.tcp_host, 'dport', '=', `:${fleet.b.tcp_port}`]);
    const sshd = readFileSync(join(RUN_DIR, 'ssh', 'sshd.pid'), 'utf8').trim();
    const { stdout } = await run('pgrep', ['-P', sshd]).catch(() => ({ stdout: '' }));
    const sessions = stdout.split('\n').filter(Boolean);
    assert.ok(sessions.length >= 1, 'the exporter has an SSH session to kill');
    await run('kill', sessions);
    const { ok: back, e: e1 } = await scrapeUntil(
      exp,
      (e) => [HOST_B, HOST_A_SSH].every((h) => val(e, 'docker_events_reconnects_total', { host: h }) > reconnects0[h]! && val(e, 'docker_events_connected', { host: h }) === 1),
      30_000,
    );
    assert.ok(back, `streams reconnected: ${select(e1, 'docker_events_reconnects_total').map(show).join(', ')}\n${exp.logTail(20)}`);
    // a second die after the reconnect: the new streams work, and the replay has been read
    for (const socket of [fleet.a.socket, fleet.b.socket]) await create(socket, 'e2e-evt-cut2', [fleet.image, 'sh', '-c', 'exit 6'], 'run');
    const { ok: ok2 } = await scrapeUntil(exp, (e) => HOSTS.every((h) => die(e, h, 'e2e-evt-cut2') === 1), 20_000);
    assert.ok(ok2, 'the die after the reconnect reached the exporter');
    const e2 = await exp.scrape();
    for (const host of HOSTS) assert.equal(die(e2, host, 'e2e-evt-cut'), 1, `${host}: the replayed die is not counted again`);
    assert.equal(val(e2, 'docker_events_reconnects_total', { host: HOST_A }), reconnects0[HOST_A], `${HOST_A}'s socket was not cut`);
  });

  test("B's dockerd restarted while a container on it dies: the die is counted once, and the counts go on", async () => {
    // Run 1 idles (and is stopped with the daemon: exit 0). The daemon's restore starts run 2,
    // which exits 7 at once; --restart always starts run 3, which idles. Run 2's start (and,
    // as measured here, its die) happen while dockerd restores its containers, before its API
    // listens: no stream is connected then, only the `since` replay can deliver them.
    const script = 'if [ -e /ran2 ]; then :; elif [ -e /ran1 ]; then touch /ran2; exit 7; else touch /ran1; fi; trap "exit 0" TERM; while :; do sleep 1; done';
    const id = await create(fleet.b.socket, 'e2e-evt-b-once', ['--restart', 'always', '--stop-timeout', '2', fleet.image, 'sh', '-c', script], 'run');
    const { ok } = await scrapeUntil(exp, (e) => val(e, 'container_events_total', { host: HOST_B, name: 'e2e-evt-b-once', event: 'start' }) === 1, 20_000);
    assert.ok(ok, 'run 1 started and counted');
    const e0 = await exp.scrape();
    const live = followEvents(fleet.b.socket); // the daemon's account up to the cut
    await sleep(300);
    await fleetCommand(fleet, 'stop-b');
    await live.ended;
    const tStart = now();
    await fleetCommand(fleet, 'start-b');
    // run 2 died with 7 and run 3 started, in the restarted daemon's own account
    let replayed: EngineEvent[] = [];
    await waitUntil('run 3 to start', async () => {
      replayed = await pastEvents(fleet.b.socket, tStart - 1, now() - 0.2);
      const mineNow = replayed.filter((x) => x.Actor.ID === id);
      const died = mineNow.findIndex((x) => x.Action === 'die' && x.Actor.Attributes.exitCode === '7');
      return died >= 0 && mineNow.slice(died).some((x) => x.Action === 'start');
    }, 60_000);
    const account = union(live.events, replayed);
    const mine = countActions(account, id);
    assert.ok((mine.die ?? 0) >= 1 && account.some((x) => x.Actor.ID === id && x.Action === 'die' && x.Actor.Attributes.exitCode === '7'), `the daemon reports run 2's exit 7: ${JSON.stringify(mine)}`);
    const restoreStart = replayed.find((x) => x.Actor.ID === id && x.Action === 'start');
    assert.ok(restoreStart, 'the restarted daemon reports run 2 starting');

    const { ok: back, e: e1 } = await scrapeUntil(
      exp,
      (e) => val(e, 'docker_events_connected', { host: HOST_B }) === 1 && val(e, 'container_last_exit_code', { host: HOST_B, name: 'e2e-evt-b-once' }) === 7,
      60_000,
    );
    assert.ok(back, `B's stream reconnected and the replay was counted\n${exp.logTail(20)}`);
    await sleep(2000);
    const e2 = await exp.scrape();
    const delta = (event: string) =>
      val(e2, 'container_events_total', { host: HOST_B, name: 'e2e-evt-b-once', event }) - val(e0, 'container_events_total', { host: HOST_B, name: 'e2e-evt-b-once', event });
    assert.equal(delta('die'), mine.die, `dies: as the daemon reports them (${JSON.stringify(mine)}), not zero times, not twice`);
    assert.equal(delta('start'), mine.start, 'starts, run 2 from the replay included');
    assert.ok(val(e1, 'docker_events_reconnects_total', { host: HOST_B }) > val(e0, 'docker_events_reconnects_total', { host: HOST_B }), 'reconnected');
  });
});
