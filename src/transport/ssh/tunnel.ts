import { Agent, type ClientRequestArgs } from 'node:http';
import type { Duplex } from 'node:stream';
import ssh2, { type AgentAuthMethod, type Client as SshClient, type ClientChannel, type PublicKeyAuthMethod } from 'ssh2';
import type { Logger } from '../../log.ts';
import type { ConnectionStats } from '../../model.ts';
import { roundDuration } from '../../util/duration.ts';
import { Backoff } from '../../util/backoff.ts';
import { errorMessage } from '../../util/errors.ts';
import { keepAliveOptions, sideAgents, type Transport } from '../types.ts';
import { loadSshAuth, type IdentityCache, type SshAuth } from './auth.ts';
import { ChannelSocket } from './channel-socket.ts';
import { loadHostKeyPolicy, type HostKeyPolicy } from './host-key.ts';
import { SSH_METRICS, type SshEndpoint } from './options.ts';
import { Slots } from './slots.ts';

const { Client } = ssh2;

export interface SshTransportOptions {
  /** Channels (= Engine API requests) in flight on the host's connection. */
  maxInFlight: number;
  /** Delays between reconnection attempts; default 0.5 s doubling up to 30 s. */
  backoff?: { initialMs: number; maxMs: number };
}

type State =
  | { kind: 'idle' }
  | { kind: 'connecting'; ready: Promise<SshClient> }
  | { kind: 'up'; client: SshClient }
  | { kind: 'waiting'; reason: string; timer: NodeJS.Timeout }
  | { kind: 'closed' };

/**
 * A daemon behind SSH, as `docker -H ssh://user@host` reaches it, but with ONE kept-alive ssh2
 * connection per host: every Engine API request is a direct-streamlocal channel to the remote
 * socket on that connection. Connects on the first request, reconnects with capped backoff
 * after a drop, and fails requests fast (never hangs them) while the tunnel is down.
 */
export function createSshTransport(
  host: { name: string; endpoint: SshEndpoint },
  log: Logger,
  opts: SshTransportOptions,
): Transport {
  const tunnel = new SshTunnel(host.name, host.endpoint, log, opts);
  return {
    agent: tunnel.agent,
    newSideAgent: tunnel.side.newSideAgent,
    // The host name is only the Host header: bytes go where the channel goes.
    requestOptions: { protocol: 'http:', host: 'docker', port: 80 },
    stats: () => tunnel.stats(),
    close: () => tunnel.close(),
  };
}

/** An agent whose connections are channels of the tunnel's connection. */
class ChannelAgent extends Agent {
  constructor(
    private readonly open: () => Promise<Duplex>,
    options: ConstructorParameters<typeof Agent>[0],
  ) {
    super(options);
  }

  override createConnection(_options: ClientRequestArgs, oncreate?: (err: Error | null, socket: Duplex) => void): Duplex | null | undefined {
    this.open().then(
      (channel) => oncreate?.(null, channel),
      (err: Error) => (oncreate as ((err: Error) => void) | undefined)?.(err),
    );
    return undefined;
  }
}

class SshTunnel {
  readonly agent: Agent;
  /** more channels on the connection, outside the pool (Transport.newSideAgent) */
  readonly side = sideAgents(() => new ChannelAgent(() => this.openChannel(), { keepAlive: false }));
  private state: State = { kind: 'idle' };
  /** The client of the current attempt or connection, for close(). */
  private client: SshClient | undefined;
  private everUp = false;
  private readonly counters = { connects: 0, reconnects: 0, failures: 0 };
  private lastError: string | undefined;
  private readonly slots: Slots;
  private readonly backoff: Backoff;
  /** Open channels and the release of their slot. */
  private readonly open = new Map<ChannelSocket, () => void>();
  private readonly target: string;
  private readonly identityCache: IdentityCache = {};
  /** known_hosts lines that could not be read, as last logged */
  private skippedLines = '';

  constructor(
    private readonly name: string,
    private readonly ep: SshEndpoint,
    private readonly log: Logger,
    opts: SshTransportOptions,
  ) {
    this.target = `${ep.user}@${ep.host}:${ep.port}`;
    this.slots = new Slots(opts.maxInFlight);
    this.backoff = new Backoff(opts.backoff?.initialMs ?? 500, opts.backoff?.maxMs ?? 30_000);
    this.agent = this.makeAgent(opts.maxInFlight);
    if (ep.ssh.insecureIgnoreHostKey) {
      log.warn(
        { host: name, target: this.target },
        'ssh: host key NOT verified (insecure_ignore_host_key: true): anyone on the network path can impersonate this host and read or forge its Docker API',
      );
    }
  }

  /**
   * connects: connections established (first and later); reconnects: those that replaced a
   * lost one; failures: connection attempts that failed (a drop itself is not one: it shows
   * as `connected` false, then as a reconnect or as failures).
   */
  stats(): ConnectionStats {
    return { names: SSH_METRICS, connected: this.state.kind === 'up', ...this.counters, lastError: this.lastError };
  }

  private makeAgent(maxInFlight: number): Agent {
    const agent = new ChannelAgent(() => this.openChannel(), keepAliveOptions(maxInFlight));
    // A kept-alive idle channel holds a slot; when requests wait for one inside
    // createConnection (the agent does not know them), close it to hand the slot over.
    // Runs after the agent's own 'free' listener: only if it parked the socket as idle,
    // not if it gave the socket to a request of its own queue.
    agent.on('free', (socket: Duplex) => {
      if (this.slots.waiting === 0) return;
      const idle = Object.values(agent.freeSockets).some((list) => (list as readonly Duplex[] | undefined)?.includes(socket));
      if (idle) socket.destroy();
    });
    return agent;
  }

  /** One channel to the remote Docker socket, within the in-flight bound. */
  private async openChannel(): Promise<ChannelSocket> {
    const client = await this.connected();
    const release = await this.slots.acquire();
    if (this.state.kind !== 'up' || this.state.client !== client) {
      release();
      throw this.notConnectedError();
    }
    const socketPath = this.ep.ssh.socketPath;
    let channel: ClientChannel;
    try {
      channel = await new Promise<ClientChannel>((resolve, reject) => {
        client.openssh_forwardOutStreamLocal(socketPath, (err, ch) => (err ? reject(err) : resolve(ch)));
      });
    } catch (err) {
      release();
      throw new Error(`ssh ${this.name}: cannot open a channel to ${socketPath}: ${errorMessage(err)}`);
    }
    const socket = new ChannelSocket(channel);
    this.open.set(socket, release);
    socket.once('close', () => {
      this.open.delete(socket);
      release();
    });
    // Errors reach the request through http's own listeners; this one keeps a late error
    // on an idle socket from crashing the process.
    socket.on('error', () => {});
    return socket;
  }

  /** The live client; connects lazily; fails fast while waiting to retry. */
  private connected(): Promise<SshClient> {
    switch (this.state.kind) {
      case 'up':
        return Promise.resolve(this.state.client);
      case 'connecting':
        return this.state.ready;
      case 'idle':
        return this.startAttempt();
      case 'waiting':
        return Promise.reject(this.notConnectedError());
      case 'closed':
        return Promise.reject(new Error(`ssh ${this.name}: transport closed`));
    }
  }

  /**
   * While waiting to retry: the same text as the failure that started the wait, so a host's
   * error changes (and is logged) once per outage cause, not at every scrape. When the next
   * attempt is due is in the transport's own log line (retryInMs), not here.
   */
  private notConnectedError(): Error {
    if (this.state.kind === 'waiting') return new Error(`ssh ${this.name}: ${this.state.reason}`);
    if (this.state.kind === 'closed') return new Error(`ssh ${this.name}: transport closed`);
    return new Error(`ssh ${this.name}: not connected${this.lastError ? `: ${this.lastError}` : ''}`);
  }

  private startAttempt(): Promise<SshClient> {
    const ready = this.attempt();
    // State changes inside attempt() all happen after its first await, so this comes first.
    this.state = { kind: 'connecting', ready };
    ready.catch(() => {}); // a retry started by the timer may have no caller waiting on it
    return ready;
  }

  private async attempt(): Promise<SshClient> {
    let auth: SshAuth;
    let policy: HostKeyPolicy;
    try {
      [auth, policy] = await Promise.all([loadSshAuth(this.ep.ssh, this.identityCache), loadHostKeyPolicy(this.ep.host, this.ep.port, this.ep.ssh)]);
    } catch (err) {
      throw this.attemptFailed(errorMessage(err));
    }
    if (this.state.kind === 'closed') throw new Error(`ssh ${this.name}: transport closed`);
    this.noteSkipped(policy);

    return new Promise<SshClient>((resolve, reject) => {
      const client = new Client();
      this.client = client;
      let refusal: string | undefined;
      let firstError: string | undefined;
      let isUp = false;
      client.on('error', (err: Error & { level?: string }) => {
        firstError ??= this.describe(err, refusal, policy, auth);
      });
      client.on('ready', () => {
        if (this.state.kind === 'closed') {
          client.end();
          return;
        }
        isUp = true;
        firstError = undefined; // from here on, errors describe the drop
        this.wentUp(client);
        resolve(client);
      });
      client.on('close', () => {
        if (this.client === client) this.client = undefined;
        const reason = firstError ?? 'connection closed by the server';
        if (isUp) this.wentDown(client, reason);
        else reject(this.attemptFailed(reason));
      });
      try {
        client.connect({
          host: this.ep.host,
          port: this.ep.port,
          username: this.ep.user,
          // An explicit list: ssh2 takes an already decrypted key only here (not as privateKey).
          authHandler: this.authMethods(auth),
          readyTimeout: this.ep.ssh.connectTimeoutMs,
          keepaliveInterval: this.ep.ssh.keepaliveIntervalMs,
          algorithms: policy.algorithms ? { serverHostKey: policy.algorithms } : undefined,
          // Always set: ssh2 accepts any host key when there is no verifier.
          hostVerifier: (key: Buffer): boolean => {
            refusal = policy.check(key);
            return refusal === undefined;
          },
        });
      } catch (err) {
        this.client = undefined;
        reject(this.attemptFailed(errorMessage(err)));
      }
    });
  }

  /** Lines of known_hosts that could not be read: logged once per change, not at every attempt. */
  private noteSkipped(policy: HostKeyPolicy): void {
    const lines = policy.skipped?.lines ?? [];
    const key = lines.join('\n');
    if (key === this.skippedLines) return;
    this.skippedLines = key;
    if (lines.length > 0) this.log.warn({ host: this.name, file: policy.skipped!.file, skipped: lines }, 'ssh: known_hosts lines that cannot be read are skipped');
  }

  private authMethods(auth: SshAuth): (PublicKeyAuthMethod | AgentAuthMethod)[] {
    const username = this.ep.user;
    const methods: (PublicKeyAuthMethod | AgentAuthMethod)[] = [];
    if (auth.privateKey) methods.push({ type: 'publickey', username, key: auth.privateKey });
    if (auth.agent) methods.push({ type: 'agent', username, agent: auth.agent });
    return methods;
  }

  /** Turns ssh2's error into one that says what to fix. Never includes a secret. */
  private describe(err: Error & { level?: string }, refusal: string | undefined, policy: HostKeyPolicy, auth: SshAuth): string {
    if (refusal) return refusal;
    if (policy.noCommonAlgorithm && /no matching host key/i.test(err.message)) return policy.noCommonAlgorithm;
    if (err.level === 'client-authentication') return `authentication failed for ${this.target} (offered ${auth.offered})`;
    if (/waiting for handshake/i.test(err.message)) return `no SSH handshake with ${this.target} within connect_timeout ${roundDuration(this.ep.ssh.connectTimeoutMs)}`;
    return err.message;
  }

  private wentUp(client: SshClient): void {
    this.state = { kind: 'up', client };
    this.counters.connects++;
    if (this.everUp) this.counters.reconnects++;
    this.everUp = true;
    this.backoff.reset();
    this.log.info({ host: this.name, target: this.target, connects: this.counters.connects }, 'ssh: connected');
  }

  /** An established connection is gone: fail what is in flight, then retry later. */
  private wentDown(client: SshClient, reason: string): void {
    if (this.state.kind !== 'up' || this.state.client !== client) return;
    const err = new Error(`ssh ${this.name}: connection lost: ${reason}`);
    this.failInFlight(err);
    this.lastError = reason;
    const delay = this.scheduleRetry(`connection lost: ${reason}`);
    this.log.warn({ host: this.name, target: this.target, err: reason, retryInMs: delay }, 'ssh: connection lost');
  }

  /** Records a failed attempt, schedules the next and returns the error for its waiters. */
  private attemptFailed(reason: string): Error {
    if (this.state.kind === 'closed') return new Error(`ssh ${this.name}: transport closed`);
    this.counters.failures++;
    this.lastError = reason;
    const delay = this.scheduleRetry(reason);
    this.log.warn({ host: this.name, target: this.target, err: reason, retryInMs: delay }, 'ssh: connect failed');
    return new Error(`ssh ${this.name}: ${reason}`);
  }

  private scheduleRetry(reason: string): number {
    const delay = this.backoff.next();
    const timer = setTimeout(() => {
      if (this.state.kind === 'waiting') this.startAttempt();
    }, delay);
    // The exporter's server keeps the process alive; a pending retry alone should not.
    timer.unref();
    this.state = { kind: 'waiting', reason, timer };
    return delay;
  }

  private failInFlight(err: Error): void {
    this.slots.failWaiting(err);
    for (const [socket, release] of this.open) {
      this.open.delete(socket);
      release();
      socket.destroy(err);
    }
  }

  async close(): Promise<void> {
    if (this.state.kind === 'closed') return;
    if (this.state.kind === 'waiting') clearTimeout(this.state.timer);
    this.state = { kind: 'closed' };
    this.failInFlight(new Error(`ssh ${this.name}: transport closed`));
    this.agent.destroy();
    this.side.destroy();
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        client.destroy();
        resolve();
      }, 1000);
      timer.unref();
      client.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      client.end();
    });
  }
}
