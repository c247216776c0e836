// Version negotiation and the daemon's facts: GET /version pins the API version every later
// call speaks (the daemon's own, capped at ours), and GET /info gives cores, memory and drivers.
import { decodeInfo } from '../docker/decode.ts';
import type { DaemonClient } from '../docker/daemon-client.ts';
import { decodeVersion, type EngineClient, type VersionInfo } from '../docker/engine-client.ts';
import type { DaemonInfo } from '../model.ts';

/** Daemon facts (cores, memory, versions) change rarely: refresh them this often, and after a failure. */
const INFO_REFRESH_MS = 5 * 60_000;

export class DaemonFacts {
  readonly #client: EngineClient;
  readonly #daemon: DaemonClient;
  #info: DaemonInfo | null = null;
  #infoAt = 0;

  constructor(client: EngineClient, daemon: DaemonClient) {
    this.#client = client;
    this.#daemon = daemon;
  }

  /** null until the first /info succeeded; kept through failures */
  get info(): DaemonInfo | null {
    return this.#info;
  }

  /** GET /version (through dockerode), and the API version to speak pinned from its answer. */
  async negotiate(timeoutMs: number): Promise<VersionInfo> {
    const version = decodeVersion(await this.#daemon.version(timeoutMs));
    this.#client.negotiate(version);
    return version;
  }

  /** Negotiates when no version is pinned (the same answer a probe's negotiation gets). */
  async ensureNegotiated(timeoutMs: number): Promise<void> {
    if (!this.#client.apiVersion) await this.negotiate(timeoutMs);
  }

  /**
   * /version and /info again when no version is pinned or the facts are due. Rejects on
   * failure, and the version is forgotten: the daemon may come back upgraded.
   */
  async refresh(timeoutMs: number): Promise<void> {
    if (this.#client.apiVersion && Date.now() - this.#infoAt <= INFO_REFRESH_MS) return;
    try {
      const version = await this.negotiate(timeoutMs);
      this.#info = decodeInfo(await this.#daemon.info(this.#client.apiVersion, timeoutMs), version, this.#client.apiVersion);
      this.#infoAt = Date.now();
    } catch (err) {
      this.#client.reset();
      throw err;
    }
  }
}
