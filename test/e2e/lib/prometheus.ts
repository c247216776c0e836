// Debian's Prometheus run for a test: a config written here, a private TSDB and port under
// .run/prometheus-<tag>/, queried through its HTTP API.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort } from '../../support/net.ts';
import { httpGet } from './exporter.ts';
import { RUN_DIR } from './fleet.ts';

export interface VectorResult {
  metric: Record<string, string>;
  value: [number, string];
}

export interface Prometheus {
  readonly url: string;
  readonly child: ChildProcess;
  /** GET <url><path>; asserts HTTP 200 and status "success"; returns `data`. */
  api<T>(path: string): Promise<T>;
  /** An instant query at now. */
  query(q: string): Promise<VectorResult[]>;
  logTail(chars?: number): string;
  stop(): Promise<void>;
}

/** Writes `config` as prometheus.yml and starts Prometheus on it; resolves once /-/ready answers. */
export async function startPrometheus(tag: string, config: object): Promise<Prometheus> {
  const dir = join(RUN_DIR, `prometheus-${tag}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'tsdb'), { recursive: true });
  const configFile = join(dir, 'prometheus.yml');
  writeFileSync(configFile, stringify(config));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const logFile = join(dir, 'prometheus.log');
  const out = openSync(logFile, 'a');
  const child = spawn('prometheus', [`--config.file=${configFile}`, `--storage.tsdb.path=${join(dir, 'tsdb')}`, `--web.listen-address=127.0.0.1:${port}`], {
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  // fleet.sh down stops it by this pid file if the test crashes.
  const pidFile = join(RUN_DIR, 'pids', `prometheus-${tag}.pid`);
  mkdirSync(join(RUN_DIR, 'pids'), { recursive: true });
  if (child.pid) writeFileSync(pidFile, `${child.pid}\n`);
  const logTail = (chars = 1500) => readFileSync(logFile, 'utf8').slice(-chars);

  const deadline = Date.now() + 30_000;
  for (;;) {
    assert.equal(child.exitCode, null, `prometheus exited: ${logTail()}`);
    const ready = await httpGet(`${url}/-/ready`, 2_000).then((r) => r.status === 200, () => false);
    if (ready) break;
    assert.ok(Date.now() < deadline, 'Prometheus not ready within 30 s');
    await new Promise((r) => setTimeout(r, 300));
  }

  async function api<T>(path: string): Promise<T> {
    const r = await httpGet(`${url}${path}`, 10_000);
    assert.equal(r.status, 200, `Prometheus ${path}: HTTP ${r.status}: ${r.body.slice(0, 300)}`);
    const j = JSON.parse(r.body) as { status: string; data: T };
    assert.equal(j.status, 'success');
    return j.data;
  }

  return {
    url,
    child,
    api,
    query: (q: string) => api<{ result: VectorResult[] }>(`/api/v1/query?query=${encodeURIComponent(q)}`).then((d) => d.result),
    logTail,
    async stop() {
      if (child.exitCode === null) {
        const done = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await done;
      }
      rmSync(pidFile, { force: true });
    },
  };
}

/** The /probe job: one target per host, `instance` = host (the README's relabelling). */
export function probeJob(jobName: string, exporterAddress: string, hosts: string[]): object {
  return {
    job_name: jobName,
    metrics_path: '/probe',
    static_configs: [{ targets: hosts }],
    relabel_configs: [
      { source_labels: ['__address__'], target_label: '__param_target' },
      { source_labels: ['__param_target'], target_label: 'instance' },
      { target_label: '__address__', replacement: exporterAddress },
    ],
  };
}

/**
 * The README's http_sd /probe job: targets from the exporters' /sd, `instance` = host, the
 * exporter's address from __meta_docker_fleet_exporter_address (so one job serves N replicas),
 * honor_labels so the static labels on the target and in the series do not clash.
 */
export function sdProbeJob(jobName: string, sdUrls: string[]): object {
  return {
    job_name: jobName,
    metrics_path: '/probe',
    honor_labels: true,
    http_sd_configs: sdUrls.map((url) => ({ url, refresh_interval: '2s' })),
    relabel_configs: [
      { source_labels: ['__address__'], target_label: '__param_target' },
      { source_labels: ['__param_target'], target_label: 'instance' },
      { source_labels: ['__meta_docker_fleet_exporter_address'], target_label: '__address__' },
    ],
  };
}
