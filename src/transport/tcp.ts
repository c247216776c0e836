// tcp://host[:port]: a remote daemon on TCP, plain or with mutual TLS (its `tls` block).
import { Agent as HttpAgent, type AgentOptions } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { checkPassphrase, given, type ValueOf } from '../schema/fields.ts';
import { allGivenPassed, compact } from '../schema/walk.ts';
import { loadTlsContext, TLS, type TlsFiles } from './tls-material.ts';
import { keepAliveOptions, sideAgents, type Transport, type TransportBlock, type TransportDescriptor } from './types.ts';
import { parseAuthority } from './url.ts';

/** Port defaults as in the docker CLI. */
const TCP_PORT = 2375;
const TCP_TLS_PORT = 2376;

export type TcpEndpoint = { kind: 'tcp'; host: string; port: number; tls?: TlsFiles };

const tlsBlock: TransportBlock<typeof TLS.fields, TlsFiles> = {
  key: 'tls',
  optional: true,
  section: TLS,
  finish(raw, value: ValueOf<typeof TLS>, issues, ctx) {
    const before = issues.count;
    checkPassphrase(raw, 'key', (key, message) => issues.add(key, message));
    // On the keys as written, so a key that is present but bad is not also reported missing.
    if (given(raw, 'cert') && !given(raw, 'key')) issues.add('key', 'missing: tls.cert and tls.key go together');
    if (given(raw, 'key') && !given(raw, 'cert')) issues.add('cert', 'missing: tls.cert and tls.key go together');
    const tls: TlsFiles = compact({ ...value, insecureSkipVerify: value.insecureSkipVerify ?? false });
    if (!given(raw, 'ca') && !tls.insecureSkipVerify) {
      issues.add('ca', 'missing: the daemon\'s certificate is verified against it (or set insecure_skip_verify: true)');
    }
    // The files' contents, once every file is there: as the connections will load them.
    if (issues.count === before && allGivenPassed(raw, TLS, value)) {
      const loaded = loadTlsContext(tls, ctx.env);
      if (!loaded.ok) for (const p of loaded.problems) issues.add(p.key, p.message);
    }
    if (tls.insecureSkipVerify) issues.warn('insecure_skip_verify', 'the daemon\'s TLS certificate is not verified');
    return tls;
  },
};

export const tcpTransport: TransportDescriptor<TcpEndpoint> = {
  scheme: 'tcp',
  form: 'tcp://host:port',
  example: 'tcp://host:2376',
  authority: true,
  insteadOf: { schemes: ['http', 'https'], hint: 'use tcp://host:port (with a tls block for TLS)' },
  block: tlsBlock,
  withoutBlock: 'tcp:// without a tls block: the Docker API is reachable unauthenticated and unencrypted',
  parseUrl(rest, tls) {
    const r = parseAuthority('tcp', rest, { user: 'none', defaultPort: tls ? TCP_TLS_PORT : TCP_PORT, pathError: 'tcp:// URLs take no path' });
    return r.ok ? { ok: true, value: { kind: 'tcp', host: r.value.host, port: r.value.port } } : r;
  },
  // the secure context is made once (createTcpTransport)
  loadedFiles: ({ tls }) => (tls === undefined ? [] : [tls.ca, tls.cert, tls.key, tls.passphraseFile].filter((f): f is string => f !== undefined)),
  create(name, endpoint, { log, maxInFlight, env }) {
    if (endpoint.tls?.insecureSkipVerify) log.warn({ host: name }, 'TLS server certificate verification is OFF (insecure_skip_verify)');
    return createTcpTransport(endpoint.host, endpoint.port, endpoint.tls, maxInFlight, env);
  },
};

/**
 * The TLS material lives in the agent, loaded once into one secure context, so every request of
 * the host shares its kept-alive sessions: one handshake per connection, not per request, and no
 * file read per connection.
 */
export function createTcpTransport(host: string, port: number, tls: TlsFiles | undefined, maxSockets: number, env: NodeJS.ProcessEnv = process.env): Transport {
  // Checked at config load; a file changed since fails this host's requests, not the process.
  const loaded = tls ? loadTlsContext(tls, env) : undefined;
  const makeAgent = (options: AgentOptions): HttpAgent => {
    if (!tls || !loaded) return new HttpAgent(options);
    const agent = new HttpsAgent({ ...options, rejectUnauthorized: !tls.insecureSkipVerify, ...(loaded.ok ? { secureContext: loaded.context } : {}) });
    if (!loaded.ok) {
      const problem = loaded.problems.map((p) => `tls.${p.key}: ${p.message}`).join('; ');
      agent.createConnection = () => {
        throw new Error(problem);
      };
    }
    return agent;
  };
  const agent = makeAgent(keepAliveOptions(maxSockets));
  const side = sideAgents(() => makeAgent({ keepAlive: false }));
  return {
    agent,
    newSideAgent: side.newSideAgent,
    requestOptions: { protocol: tls ? 'https:' : 'http:', host, port },
    async close() {
      agent.destroy();
      side.destroy();
    },
  };
}
