import type { HostConfig } from '../config/types.ts';
import type { Logger } from '../log.ts';
import { createSshTransport } from './ssh.ts';
import { createTcpTransport } from './tcp.ts';
import type { Transport } from './types.ts';
import { createUnixTransport } from './unix.ts';

/** One transport per host; `maxInFlight` bounds that host's concurrent Engine API requests. */
export function createTransport(host: HostConfig, log: Logger, maxInFlight: number): Transport {
  const e = host.endpoint;
  switch (e.kind) {
    case 'unix':
      return createUnixTransport(e.socketPath, maxInFlight);
    case 'tcp':
      if (e.tls?.insecureSkipVerify) log.warn({ host: host.name }, 'TLS server certificate verification is OFF (insecure_skip_verify)');
      return createTcpTransport(e.host, e.port, e.tls, maxInFlight);
    case 'ssh':
      return createSshTransport({ name: host.name, endpoint: e }, log, { maxInFlight });
  }
}
