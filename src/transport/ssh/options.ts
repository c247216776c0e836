// An ssh:// host's `ssh` block: its keys declared once, and the rules between them.
import { bool, checkPassphrase, duration, file, given, optionalText, passphraseFields, section, text, type ValueOf } from '../../schema/fields.ts';
import { compact } from '../../schema/walk.ts';
import type { ConnectionMetricNames } from '../../model.ts';
import type { TransportBlock } from '../types.ts';

/** OpenSSH's `ssh-keygen -lf` form: 32 bytes of SHA-256 as unpadded base64 (43 chars; the last
 * one carries 2 zero bits, hence its restricted alphabet). */
const SSH_FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]$/;

export const SSH = section({
  socketPath: text('socket_path', 'The Docker socket on the remote host (rootless: /run/user/<uid>/docker.sock).', '/var/run/docker.sock', (v) =>
    v.startsWith('/') ? undefined : 'must be an absolute path on the remote host',
  ),
  identityFile: file('identity_file', 'Private key to log in with.', 'private key'),
  ...passphraseFields(),
  agent: optionalText('agent', 'ssh-agent socket (default: SSH_AUTH_SOCK when no identity_file is given).', undefined, (v, ctx) => ctx.resolvePath(v)),
  knownHosts: file('known_hosts', 'known_hosts file the host key is checked against.'),
  hostKeyFingerprint: optionalText('host_key_fingerprint', 'The host key\'s SHA256 fingerprint, as `ssh-keygen -lf` prints it.', (v) =>
    SSH_FINGERPRINT.test(v) ? undefined : 'must be "SHA256:" and 43 base64 characters without padding, as `ssh-keygen -lf` prints it',
  ),
  insecureIgnoreHostKey: bool('insecure_ignore_host_key', 'Accept any host key (warns loudly).'),
  keepaliveIntervalMs: duration('keepalive_interval', 'SSH keepalive interval; 0s = off.', '15s', 'zero', true),
  connectTimeoutMs: duration('connect_timeout', 'Deadline of the SSH handshake.', '5s', 'positive', true),
});

/** The `ssh` block as the transport uses it. */
export type SshOptions = ValueOf<typeof SSH>;

/** The SSH connection's series keep the names dashboards know: docker_ssh_connected... */
export const SSH_METRICS: ConnectionMetricNames = { prefix: 'docker_ssh', what: 'SSH', connection: 'SSH tunnel', hosts: 'ssh:// hosts only' };

export type SshEndpoint = { kind: 'ssh'; user: string; host: string; port: number; ssh: SshOptions };

export const sshBlock: TransportBlock<typeof SSH.fields, SshOptions> = {
  key: 'ssh',
  optional: false,
  section: SSH,
  finish(raw, value: ValueOf<typeof SSH>, issues, ctx) {
    checkPassphrase(raw, 'identity_file', (key, message) => issues.add(key, message));
    const envAgent = ctx.env['SSH_AUTH_SOCK'];
    const agent = value.agent ?? (!given(raw, 'identity_file') && envAgent !== undefined && envAgent !== '' ? envAgent : undefined);
    if (!given(raw, 'identity_file') && !given(raw, 'agent') && agent === undefined) {
      issues.add('identity_file', 'ssh needs identity_file or agent (and SSH_AUTH_SOCK is not set)');
    }
    const insecure = value.insecureIgnoreHostKey ?? false;
    if (!given(raw, 'known_hosts') && !given(raw, 'host_key_fingerprint') && !insecure) {
      issues.add('known_hosts', 'missing: the daemon\'s host key must be verified: set known_hosts or host_key_fingerprint (or insecure_ignore_host_key: true)');
    }
    if (insecure) issues.warn('insecure_ignore_host_key', 'the daemon\'s SSH host key is not verified');
    return compact({ ...value, agent, insecureIgnoreHostKey: insecure });
  },
};
