// ssh://user@host[:port]: a daemon behind SSH, reached as `docker -H ssh://` reaches it, over one
// kept-alive connection per host (tunnel.ts); its `ssh` block is options.ts.
import type { TransportDescriptor } from '../types.ts';
import { parseAuthority } from '../url.ts';
import { sshFromContext, sshFromDockerEnv } from './docker-cli.ts';
import { SSH_METRICS, sshBlock, type SshEndpoint } from './options.ts';
import { createSshTransport } from './tunnel.ts';

const SSH_PORT = 22;

export const sshTransport: TransportDescriptor<SshEndpoint, Omit<SshEndpoint, 'ssh'>> = {
  scheme: 'ssh',
  form: 'ssh://user@host',
  example: 'ssh://user@host',
  authority: true,
  block: sshBlock,
  connectionMetrics: SSH_METRICS,
  fromDockerEnv: sshFromDockerEnv,
  fromContext: sshFromContext,
  parseUrl(rest) {
    const r = parseAuthority('ssh', rest, { user: 'required', defaultPort: SSH_PORT, pathError: 'ssh:// URLs take no path: set ssh.socket_path for the remote socket' });
    return r.ok ? { ok: true, value: { kind: 'ssh', user: r.value.user!, host: r.value.host, port: r.value.port } } : r;
  },
  create: (name, endpoint, { log, maxInFlight }) => createSshTransport({ name, endpoint }, log, { maxInFlight }),
};
