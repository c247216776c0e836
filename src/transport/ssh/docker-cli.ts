// An ssh:// host as the docker CLI's settings give it: DOCKER_HOST=ssh://... (the default host)
// and an ssh:// context of its store. The docker CLI runs `ssh`, which reads ~/.ssh/config; the
// exporter speaks SSH itself, so how it logs in comes from an ssh-agent (DOCKER_HOST) or the
// docker_contexts ssh block, and the host key is checked against ~/.ssh/known_hosts, the file
// `ssh` checks, unless the block says how.
import path from 'node:path';
import { unreadable } from '../../schema/files.ts';
import { defaultsOf } from '../../schema/walk.ts';
import type { ContextBlock, DockerContextInput, DockerEnvContext, DockerEnvResult } from '../types.ts';
import { SSH, type SshEndpoint } from './options.ts';

const HOST_KEY_SETTINGS = ['known_hosts', 'host_key_fingerprint', 'insecure_ignore_host_key'];

export function sshFromDockerEnv(url: Omit<SshEndpoint, 'ssh'>, { env, home }: DockerEnvContext): DockerEnvResult<SshEndpoint> {
  const errors: string[] = [];
  const agent = env['SSH_AUTH_SOCK'];
  const hasAgent = agent !== undefined && agent !== '';
  if (!hasAgent) errors.push('DOCKER_HOST: ssh:// authenticates with an ssh-agent, and SSH_AUTH_SOCK is not set');
  const knownHosts = path.join(home, '.ssh', 'known_hosts');
  const problem = unreadable(knownHosts);
  if (problem !== undefined) errors.push(`DOCKER_HOST: ssh:// checks the host key against ~/.ssh/known_hosts: ${problem}`);
  return { endpoint: { ...url, ssh: { ...defaultsOf(SSH), ...(hasAgent ? { agent } : {}), knownHosts } }, errors, warnings: [] };
}

export function sshFromContext({ given, homeDir }: DockerContextInput): ContextBlock {
  const ssh: Record<string, unknown> = { ...given };
  if (!HOST_KEY_SETTINGS.some((k) => ssh[k] !== undefined && ssh[k] !== null)) ssh['known_hosts'] = path.join(homeDir, '.ssh', 'known_hosts');
  return { ok: true, block: ssh };
}
