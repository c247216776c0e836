// Without a config file the exporter watches one host, `local`, found the way the docker CLI
// finds its daemon: DOCKER_HOST unset or empty is unix:///var/run/docker.sock; else its scheme's
// transport reads the variables the docker CLI reads beside it (fromDockerEnv in transport/:
// tcp's DOCKER_TLS_VERIFY and DOCKER_CERT_PATH, ssh's SSH_AUTH_SOCK and ~/.ssh/known_hosts).
import os from 'node:os';
import { transportFor, type Endpoint } from '../transport/index.ts';
import { parseDockerUrl } from './hosts.ts';
import type { HostConfig } from './host-config.ts';

export const DEFAULT_HOST_NAME = 'local';
export const DEFAULT_DOCKER_HOST = 'unix:///var/run/docker.sock';

export type DefaultHostResult =
  | { ok: true; host: HostConfig; warnings: string[] }
  | { ok: false; errors: string[] };

export function homeDir(env: NodeJS.ProcessEnv): string {
  const home = env['HOME'];
  return home !== undefined && home !== '' ? home : os.homedir();
}

const nonEmpty = (value: string | undefined): value is string => value !== undefined && value !== '';

export function defaultHost(env: NodeJS.ProcessEnv): DefaultHostResult {
  const dockerHost = env['DOCKER_HOST'];
  const url = nonEmpty(dockerHost) ? dockerHost : DEFAULT_DOCKER_HOST;
  const parsed = parseDockerUrl(url, { tls: nonEmpty(env['DOCKER_TLS_VERIFY']) });
  if (!parsed.ok) return { ok: false, errors: [`DOCKER_HOST: ${parsed.error}`] };
  const fromEnv = transportFor(parsed.value.kind)?.fromDockerEnv;
  if (fromEnv === undefined) return { ok: false, errors: [`DOCKER_HOST: ${parsed.value.kind}:// hosts are configured in a config file only`] };
  const { endpoint, errors, warnings } = fromEnv(parsed.value, { env, home: homeDir(env) });
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, host: { name: DEFAULT_HOST_NAME, url, endpoint: endpoint as Endpoint, labels: {} }, warnings };
}

/**
 * `pool.threads` when the config does not say: 0 (parse on the main thread) with 1-2 cores
 * available, one worker per core above that. Measured at M (50 x 40) with taskset
 * (docs/performance.md, "The pool's default, by measurement"): on 1 and 2 cores the pool cost 10-15% more CPU (1.57-1.61 x
 * the floor against 1.40-1.45 x), 10-35 MB more RSS, and gave no better scrape time or
 * event-loop delay. 4 and 8 cores could not be measured on the 2-core box: there the design
 * card's pool stays, so a main thread busy rendering a large fleet is not also parsing it.
 */
export function defaultPoolThreads(cores: number): number {
  return cores <= 2 ? 0 : cores;
}
