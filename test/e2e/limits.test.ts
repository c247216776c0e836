// Limits as the kernel applies them: containers started with the ways `docker run` spells a limit,
// each exported limit compared with the container's cgroup files (absent where the kernel has
// none), and the "CPU against its limit" ratio evaluated by a real Prometheus.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { cgroupV2, limits, type CgroupLimits } from './lib/cgroup.ts';
import { inspect } from './lib/engine.ts';
import { select, type Exposition } from './lib/exposition.ts';
import { hostA, startExporter, type Exporter } from './lib/exporter.ts';
import { dockerCli, HOST_A, loadFleet } from './lib/fleet.ts';
import { startPrometheus, type Prometheus } from './lib/prometheus.ts';

const fleet = loadFleet();
const IDLE = 'trap "exit 0" TERM; while :; do sleep 1; done';

/** name -> docker run flags */
const CONTAINERS: Record<string, string[]> = {
  'e2e-lim-cpus': ['--cpus', '0.5'],
  'e2e-lim-quota': ['--cpu-quota', '25000'],
  'e2e-lim-quota-period': ['--cpu-quota', '20000', '--cpu-period', '50000'],
  'e2e-lim-cpuset': ['--cpuset-cpus', '0'],
  'e2e-lim-pids': ['--pids-limit', '50'],
  'e2e-lim-mem': ['--memory', '64m'],
  'e2e-lim-mem-noswap': ['--memory', '64m', '--memory-swap', '-1'],
  'e2e-lim-none': [],
};
const CPU_LIMITED = ['e2e-lim-cpus', 'e2e-lim-quota', 'e2e-lim-quota-period'];

/** exported metric -> the cgroup figure it must equal */
const METRIC_OF: Record<Exclude<keyof CgroupLimits, 'cpusetInherited'>, string> = {
  cpuQuota: 'container_spec_cpu_quota',
  cpuPeriod: 'container_spec_cpu_period',
  memoryBytes: 'container_spec_memory_limit_bytes',
  memoryReservationBytes: 'container_spec_memory_reservation_limit_bytes',
  memorySwapBytes: 'container_spec_memory_swap_limit_bytes',
  pids: 'container_spec_pids_limit',
  cpusetCpus: 'container_spec_cpuset_cpus',
};

let exp: Exporter;
let prom: Prometheus | undefined;

const docker = (args: string[]) => dockerCli(fleet.a.socket, args);

before(async () => {
  await docker(['rm', '-f', ...Object.keys(CONTAINERS)]).catch(() => '');
  await Promise.all(
    Object.entries(CONTAINERS).map(([name, flags]) => docker(['run', '-d', '--network', 'none', '--stop-timeout', '1', '--name', name, ...flags, fleet.image, 'sh', '-c', IDLE])),
  );
  exp = await startExporter('limits', [hostA(fleet)], { metrics: { include: { names: ['e2e-lim-*'] } } });
});

after(async () => {
  await prom?.stop();
  if (exp && exp.child.exitCode === null) await exp.stop();
  await docker(['rm', '-f', ...Object.keys(CONTAINERS)]).catch(() => '');
});

function exported(e: Exposition, metric: string, name: string): number {
  const s = select(e, metric, { host: HOST_A, name });
  assert.ok(s.length <= 1, `${metric}{name="${name}"}: ${s.length} series`);
  return s.length === 0 ? NaN : s[0]!.value;
}

describe(`limits against the cgroup files (cgroup ${cgroupV2 ? 'v2' : 'v1'})`, { timeout: 120_000 }, () => {
  test('every exported limit equals what the kernel applies, and is absent where it has none', async () => {
    const e = await exp.scrape();
    const problems: string[] = [];
    for (const name of Object.keys(CONTAINERS)) {
      const kernel = limits((await inspect(fleet.a.socket, name)).State.Pid);
      for (const [field, metric] of Object.entries(METRIC_OF) as [keyof typeof METRIC_OF, string][]) {
        const got = exported(e, metric, name);
        let want = kernel[field];
        if (field === 'cpusetCpus' && kernel.cpusetInherited) want = NaN;
        const same = Number.isNaN(want) ? Number.isNaN(got) : got === want;
        if (!same) problems.push(`${name} ${metric}: exported ${Number.isNaN(got) ? 'nothing' : got}, cgroup ${Number.isNaN(want) ? 'no limit' : want}`);
      }
    }
    assert.deepEqual(problems, []);
    // and the flags really made limits (the comparison above is not vacuous)
    assert.equal(exported(e, 'container_spec_cpu_quota', 'e2e-lim-cpus'), 50000);
    assert.equal(exported(e, 'container_spec_cpu_period', 'e2e-lim-quota'), 100000);
    assert.equal(exported(e, 'container_spec_cpu_period', 'e2e-lim-quota-period'), 50000);
    assert.equal(exported(e, 'container_spec_pids_limit', 'e2e-lim-pids'), 50);
    assert.equal(exported(e, 'container_spec_cpuset_cpus', 'e2e-lim-cpuset'), 1);
    assert.equal(exported(e, 'container_spec_memory_swap_limit_bytes', 'e2e-lim-mem'), 2 * 64 * 2 ** 20);
    assert.ok(Number.isNaN(exported(e, 'container_spec_memory_swap_limit_bytes', 'e2e-lim-mem-noswap')));
    assert.ok(Number.isNaN(exported(e, 'container_spec_cpu_quota', 'e2e-lim-none')));
  });

  test('restart policy is exported as info', async () => {
    const e = await exp.scrape();
    const s = select(e, 'container_restart_policy_info', { host: HOST_A, name: 'e2e-lim-none' });
    assert.deepEqual(s.map((x) => x.labels.policy), ['no']);
  });

  test('a real Prometheus: CPU used against the limit is a finite ratio for each CPU-limited container', async () => {
    prom = await startPrometheus('limits', {
      global: { scrape_interval: '1s', scrape_timeout: '1s' },
      scrape_configs: [{ job_name: 'limits', static_configs: [{ targets: [exp.address] }] }],
    });
    const q = 'rate(container_cpu_usage_seconds_total[1m]) / (container_spec_cpu_quota / container_spec_cpu_period)';
    const deadline = Date.now() + 40_000;
    let byName = new Map<string, number>();
    for (;;) {
      byName = new Map((await prom.query(q)).map((r) => [r.metric.name!, Number(r.value[1])]));
      if (CPU_LIMITED.every((n) => byName.has(n))) break;
      assert.ok(Date.now() < deadline, `after 40 s the ratio has series only for ${[...byName.keys()].join(', ') || 'none'}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
    for (const n of CPU_LIMITED) assert.ok(Number.isFinite(byName.get(n)), `${n}: ${byName.get(n)}`);
    assert.deepEqual([...byName.keys()].sort(), [...CPU_LIMITED].sort(), 'containers without a CPU quota have no ratio (not +Inf)');
  });
});
