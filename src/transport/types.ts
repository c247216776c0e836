import type { Agent } from 'node:http';
import type { ConnectionStats } from '../model.ts';

/**
 * How bytes reach one daemon. Each transport (unix, tcp, ssh) yields a keep-alive
 * agent plus the base request options; the Engine API client does not care which.
 */
export interface Transport {
  readonly kind: 'unix' | 'tcp' | 'ssh';
  readonly agent: Agent;
  /** Merged into every http(s).request of this host. */
  readonly requestOptions: {
    protocol: 'http:' | 'https:';
    socketPath?: string;
    host?: string;
    port?: number;
  };
  /** Connection state and counters, for transports that have them (ssh). */
  stats?(): ConnectionStats;
  close(): Promise<void>;
}
