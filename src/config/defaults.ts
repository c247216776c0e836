// Without a config file the exporter watches one host, `local`, found the way the docker CLI
// finds its daemon:
//   DOCKER_HOST unset or empty   unix:///var/run/docker.sock
//   DOCKER_HOST=unix://...       that socket
//   DOCKER_HOST=tcp://...        plain TCP; with DOCKER_TLS_VERIFY non-empty (as the docker CLI
//                                reads it), mutual TLS with ca.pem, cert.pem and key.pem from
//                                DOCKER_CERT_PATH (default ~/.docker)
//   DOCKER_HOST=ssh://user@host  the ssh-agent of SSH_AUTH_SOCK; host key from ~/.ssh/known_hosts
import os from 'node:os';
import path from 'node:path';
import { unprotected, unreadable } from '../schema/files.ts';
import type { Endpoint } from '../transport/index.ts';
import { SSH } from '../transport/ssh/options.ts';
import { loadTlsContext } from '../transport/tls-material.ts';
import { parseDockerUrl } from './hosts.ts';
import type { HostConfig } from './host-config.ts';
import { defaultsOf } from './read.ts';

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
  const tlsVerify = nonEmpty(env['DOCKER_TLS_VERIFY']);
  const parsed = parseDockerUrl(url, { tls: tlsVerify });
  if (!parsed.ok) return { ok: false, errors: [`DOCKER_HOST: ${parsed.error}`] };

  const errors: string[] = [];
  const warnings: string[] = [];
  const home = homeDir(env);
  const need = (source: string, file: string): string => {
    const problem = unreadable(file);
    if (problem !== undefined) errors.push(`${source}: ${problem}`);
    return file;
  };

  let endpoint: Endpoint;
  const p = parsed.value;
  if (p.kind === 'unix') {
    endpoint = p;
  } else if (p.kind === 'tcp') {
    endpoint = { ...p };
    if (tlsVerify) {
      const certPath = env['DOCKER_CERT_PATH'];
      const dir = nonEmpty(certPath) ? certPath : path.join(home, '.docker');
      const source = nonEmpty(certPath) ? 'DOCKER_CERT_PATH' : 'DOCKER_TLS_VERIFY (certificates from ~/.docker; set DOCKER_CERT_PATH)';
      const tls = {
        ca: need(source, path.join(dir, 'ca.pem')),
        cert: need(source, path.join(dir, 'cert.pem')),
        key: need(source, path.join(dir, 'key.pem')),
        insecureSkipVerify: false,
      };
      endpoint.tls = tls;
      if (errors.length === 0) {
        const loaded = loadTlsContext(tls, env);
        if (!loaded.ok) for (const p of loaded.problems) errors.push(`${source}: ${p.message}`);
        const warning = unprotected(tls.key, 'private key');
        if (warning !== undefined) warnings.push(`${source}: ${warning}`);
      }
    } else {
      warnings.push('DOCKER_HOST: tcp:// without DOCKER_TLS_VERIFY: the Docker API is reachable unauthenticated and unencrypted');
    }
  } else {
    const agent = env['SSH_AUTH_SOCK'];
    if (!nonEmpty(agent)) errors.push('DOCKER_HOST: ssh:// authenticates with an ssh-agent, and SSH_AUTH_SOCK is not set');
    const knownHosts = need('DOCKER_HOST: ssh:// checks the host key against ~/.ssh/known_hosts', path.join(home, '.ssh', 'known_hosts'));
    endpoint = { ...p, ssh: { ...defaultsOf(SSH), ...(nonEmpty(agent) ? { agent } : {}), knownHosts } };
  }
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, host: { name: DEFAULT_HOST_NAME, url, endpoint, labels: {} }, warnings };
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
