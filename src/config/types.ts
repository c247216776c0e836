// The validated, normalized configuration the rest of the exporter consumes.
// Durations are milliseconds here; the file speaks Prometheus durations ("8s").

export interface TlsFiles {
  /** Paths, never contents: messages and logs may name them. */
  ca?: string;
  cert?: string;
  key?: string;
  /** Passphrase of an encrypted key, read from this file... */
  passphraseFile?: string;
  /** ...or from this environment variable. Never from the config text. */
  passphraseEnv?: string;
  insecureSkipVerify: boolean;
}

export interface SshOptions {
  /** Remote Docker socket reached through direct-streamlocal. */
  socketPath: string;
  identityFile?: string;
  /** Passphrase of identityFile, read from this file... */
  passphraseFile?: string;
  /** ...or from this environment variable. Never from the config text. */
  passphraseEnv?: string;
  /** ssh-agent socket; defaults to SSH_AUTH_SOCK when no identity file is given. */
  agent?: string;
  knownHosts?: string;
  /** "SHA256:..." as `ssh-keygen -lf` prints it. */
  hostKeyFingerprint?: string;
  insecureIgnoreHostKey: boolean;
  keepaliveIntervalMs: number;
  connectTimeoutMs: number;
}

export type Endpoint =
  | { kind: 'unix'; socketPath: string }
  | { kind: 'tcp'; host: string; port: number; tls?: TlsFiles }
  | { kind: 'ssh'; user: string; host: string; port: number; ssh: SshOptions };

export interface HostConfig {
  /** Unique; the value of the `host` label. */
  name: string;
  /** As written in the config, for display (never contains secrets). */
  url: string;
  endpoint: Endpoint;
  /** Static labels added to every series of this host. */
  labels: Record<string, string>;
}

export interface CollectionConfig {
  timeoutMs: number;
  minIntervalMs: number;
  maxStalenessMs: number;
  /** Requests in flight per host. */
  concurrency: number;
}

export type FamilyName = 'docker_exporter' | 'cadvisor' | 'state';

export interface ContainerFilter {
  /** Globs on the container name (`*` and `?`). */
  names: string[];
  /** `key` (present) or `key=value`. */
  labels: string[];
}

export interface MetricsConfig {
  families: FamilyName[];
  /** Docker labels exported as container_label_<sanitized> on container_info. */
  containerLabels: string[];
  include: ContainerFilter;
  exclude: ContainerFilter;
}

export interface ExporterConfig {
  hosts: HostConfig[];
  collection: CollectionConfig;
  metrics: MetricsConfig;
  web: {
    listenAddress: string;
    /** /metrics and /probe requests in flight, beyond which a request gets 503; 0 = no limit; default 40 */
    maxRequests?: number;
    /** a response not taken whole by the client within this is cut off; 0 = never; default 2m */
    writeTimeoutMs?: number;
    /** the path serving every host; default /metrics */
    telemetryPath?: string;
    /** leave out prom-client's process_* and nodejs_* metrics */
    disableExporterMetrics?: boolean;
  };
  log: { level: 'debug' | 'info' | 'warn' | 'error' };
  /** Worker threads for stats parsing (default: the CPU count); 0 parses on the main thread. */
  pool: { threads: number };
}
