// Debian's Prometheus as a child process on a free port, with its HTTP API.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort, httpGet } from './exporter.ts';
import { RUN_DIR } from './fleet.ts';

export interface VectorResult {
  metric: Record<string, string>;
  value: [number, string];
}

export interface Prometheus {
  readonly url: string;
  api<T>(path: string): Promise<T>;
  query(q: string): Promise<VectorResult[]>;
  stop(): Promise<void>;
}

/** Starts Prometheus with `config` (prometheus.yml as an object) and waits for /-/ready. */
export async function startPrometheus(tag: string, config: Record<string, unknown>): Promise<Prometheus> {
  const dir = join(RUN_DIR, `prometheus-${tag}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'tsdb'), { recursive: true });
  const configFile = join(dir, 'prometheus.yml');
  writeFileSync(configFile, stringify(config));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const logFile = join(dir, 'prometheus.log');
  const out = openSync(logFile, 'a');
  const child: ChildProcess = spawn('prometheus', [`--config.file=${configFile}`, `--storage.tsdb.path=${join(dir, 'tsdb')}`, `--web.listen-address=127.0.0.1:${port}`], {
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  const pidFile = join(RUN_DIR, 'pids', `prometheus-${tag}.pid`);
  mkdirSync(join(RUN_DIR, 'pids'), { recursive: true });
  if (child.pid) writeFileSync(pidFile, `${child.pid}\n`);

  const api = async <T>(path: string): Promise<T> => {
    const r = await httpGet(`${url}${path}`, 10_000);
    assert.equal(r.status, 200, `Prometheus ${path}: HTTP ${r.status}: ${r.body.slice(0, 200)}`);
    const j = JSON.parse(r.body) as { status: string; data: T };
    assert.equal(j.status, 'success');
    return j.data;
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    assert.equal(child.exitCode, null, `prometheus exited: ${readFileSync(logFile, 'utf8').slice(-1500)}`);
    if (await httpGet(`${url}/-/ready`, 2_000).then((r) => r.status === 200, () => false)) break;
    assert.ok(Date.now() < deadline, 'Prometheus not ready within 30 s');
    await new Promise((r) => setTimeout(r, 300));
  }
  return {
    url,
    api,
    query: (q) => api<{ result: VectorResult[] }>(`/api/v1/query?query=${encodeURIComponent(q)}`).then((d) => d.result),
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
