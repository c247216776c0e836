import type { Agent, AgentOptions } from 'node:http';
import type { Logger } from '../log.ts';
import type { ConnectionMetricNames, ConnectionStats } from '../model.ts';
import type { FieldContext, Fields, Section, ValueOf } from '../schema/fields.ts';
import type { Issues } from '../schema/issues.ts';

/**
 * How bytes reach one daemon. Each transport (unix, tcp, ssh) yields a keep-alive
 * agent plus the base request options; the Engine API client does not care which.
 */
export interface Transport {
  readonly agent: Agent;
  /**
   * A new agent on the same way to the daemon (socket, TLS material, SSH session), outside the
   * pool and without keep-alive, closed with the transport: for dockerode (docker/daemon-client.ts),
   * whose modem util.inspect()s the agent on every request. Measured: 10 ms of CPU with 50 pooled
   * unix sockets, 72 ms with 12 SSH channels, 10 ms with one SSH event stream open, 0.1-0.6 ms
   * with nothing open; so the event stream and the metadata calls get an agent each.
   */
  newSideAgent(): Agent;
  /** Merged into every http(s).request of this host. */
  readonly requestOptions: {
    protocol: 'http:' | 'https:';
    socketPath?: string;
    host?: string;
    port?: number;
  };
  /** Connection state and counters, for transports that keep a connection (ssh). */
  stats?(): ConnectionStats;
  close(): Promise<void>;
}

/** Side agents made by `make`, all destroyed together (with their transport). */
export function sideAgents(make: () => Agent): { newSideAgent(): Agent; destroy(): void } {
  const made = new Set<Agent>();
  return {
    newSideAgent() {
      const agent = make();
      made.add(agent);
      return agent;
    },
    destroy() {
      for (const agent of made) agent.destroy();
    },
  };
}

/** An agent's options: kept-alive sockets, at most `maxSockets`, the most recently used first. */
export function keepAliveOptions(maxSockets: number): AgentOptions {
  return { keepAlive: true, maxSockets, maxFreeSockets: maxSockets, scheduling: 'lifo' };
}

export type UrlResult<U> = { ok: true; value: U } | { ok: false; error: string };

export interface TransportDeps {
  log: Logger;
  /** Engine API requests in flight on this host */
  maxInFlight: number;
  env: NodeJS.ProcessEnv;
}

/**
 * A transport's own block in a hosts[] item (tcp: `tls`, ssh: `ssh`): its keys declared once,
 * and the rules between them.
 */
export interface TransportBlock<F extends Fields = Fields, V = unknown> {
  readonly key: string;
  /** true: absent means none (tcp without tls); false: absent is an empty block, its defaults apply */
  readonly optional: boolean;
  readonly section: Section<F>;
  /**
   * Rules between keys, on the block as written and the values of its keys that passed their
   * checks (a failed key is absent); returns the block's value. Problems go to `issues`.
   */
  finish(raw: Record<string, unknown>, value: ValueOf<Section<F>>, issues: Issues, ctx: FieldContext): V;
}

/**
 * One way to reach a daemon, registered in transport/index.ts: its URL scheme, how its URL is
 * read, its config block, and its factory. `E` is its endpoint: `U`, the parsed URL (`kind` is
 * the scheme), plus the block's value under the block's key.
 */
export interface TransportDescriptor<E extends { kind: string } = { kind: string }, U extends { kind: string } = E> {
  readonly scheme: E['kind'];
  /** The URL's form and an example, for messages: "tcp://host:port", "tcp://host:2376". */
  readonly form: string;
  readonly example: string;
  /** false: what follows "scheme://" is a path (unix), never "user:password@" */
  readonly authority: boolean;
  /** Schemes written for this one by mistake, and what to write instead. */
  readonly insteadOf?: { schemes: readonly string[]; hint: string };
  readonly block?: TransportBlock;
  /** Warned for a host without the (optional) block, e.g. tcp without tls. */
  readonly withoutBlock?: string;
  /**
   * Files the transport reads once, when it is created: a reload rebuilds the host when their
   * contents change (files read at each connection, as ssh's, need not be named).
   */
  loadedFiles?(endpoint: E): string[];
  /**
   * The default host, when DOCKER_HOST names this scheme: its block from the variables the docker
   * CLI reads beside it (DOCKER_CERT_PATH, SSH_AUTH_SOCK...). Absent: DOCKER_HOST may not name it.
   */
  fromDockerEnv?(url: U, ctx: DockerEnvContext): DockerEnvResult<E>;
  /**
   * A context of the docker CLI's store with this scheme: its hosts[] block (config file
   * spelling; none: plain), or the file that could not be read. Absent: it never has a block.
   */
  fromContext?(ctx: DockerContextInput): ContextBlock;
  /** Transports that keep a connection (their Transport has stats()): the names of its metrics. */
  readonly connectionMetrics?: ConnectionMetricNames;
  /** The endpoint without its block from what follows "scheme://"; `blockGiven` may change defaults (tcp's port). */
  parseUrl(rest: string, blockGiven: boolean): UrlResult<U>;
  create(name: string, endpoint: E, deps: TransportDeps): Transport;
}

export interface DockerEnvContext {
  env: NodeJS.ProcessEnv;
  /** $HOME, else the user's home */
  home: string;
}

/** Errors and warnings name the variable they come from. */
export type DockerEnvResult<E> = { endpoint: E; errors: string[]; warnings: string[] };

export type ContextBlock = { ok: true; block?: Record<string, unknown> } | { ok: false; file: string; message: string };

export interface DockerContextInput {
  /** the context's name */
  name: string;
  /** where the store keeps the context's TLS files: <store>/contexts/tls/<sha256 of the name>/docker */
  tlsDir: string;
  /** Endpoints.docker.SkipTLSVerify */
  skipTlsVerify: boolean;
  /** this transport's block as docker_contexts gives it for every context of its scheme */
  given?: Record<string, unknown>;
  homeDir: string;
}
