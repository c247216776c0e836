// tcp://host[:port]: a remote daemon on TCP, plain or with mutual TLS (its `tls` block).
import fs from 'node:fs';
import { Agent as HttpAgent, type AgentOptions } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import path from 'node:path';
import { checkPassphrase, given, type ValueOf } from '../schema/fields.ts';
import { unprotected, unreadable } from '../schema/files.ts';
import { allGivenPassed, compact } from '../schema/walk.ts';
import { errorCode } from '../util/errors.ts';
import { loadTlsContext, TLS, type TlsFiles } from './tls-material.ts';
import {
  keepAliveOptions,
  sideAgents,
  type ContextBlock,
  type DockerContextInput,
  type DockerEnvContext,
  type DockerEnvResult,
  type Transport,
  type TransportBlock,
  type TransportDescriptor,
} from './types.ts';
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
  fromDockerEnv: tcpFromDockerEnv,
  fromContext: tcpFromContext,
  // the secure context is made once (createTcpTransport)
  loadedFiles: ({ tls }) => (tls === undefined ? [] : [tls.ca, tls.cert, tls.key, tls.passphraseFile].filter((f): f is string => f !== undefined)),
  create(name, endpoint, { log, maxInFlight, env }) {
    if (endpoint.tls?.insecureSkipVerify) log.warn({ host: name }, 'TLS server certificate verification is OFF (insecure_skip_verify)');
    return createTcpTransport(endpoint.host, endpoint.port, endpoint.tls, maxInFlight, env);
  },
};

const TLS_FILES = ['ca', 'cert', 'key'] as const;

/**
 * DOCKER_HOST=tcp://...: plain TCP; with DOCKER_TLS_VERIFY non-empty (as the docker CLI reads
 * it), mutual TLS with ca.pem, cert.pem and key.pem from DOCKER_CERT_PATH (default ~/.docker).
 */
function tcpFromDockerEnv(url: TcpEndpoint, { env, home }: DockerEnvContext): DockerEnvResult<TcpEndpoint> {
  const errors: string[] = [];
  const warnings: string[] = [];
  const tlsVerify = env['DOCKER_TLS_VERIFY'];
  if (tlsVerify === undefined || tlsVerify === '') {
    warnings.push('DOCKER_HOST: tcp:// without DOCKER_TLS_VERIFY: the Docker API is reachable unauthenticated and unencrypted');
    return { endpoint: { ...url }, errors, warnings };
  }
  const certPath = env['DOCKER_CERT_PATH'];
  const given = certPath !== undefined && certPath !== '';
  const dir = given ? certPath : path.join(home, '.docker');
  const source = given ? 'DOCKER_CERT_PATH' : 'DOCKER_TLS_VERIFY (certificates from ~/.docker; set DOCKER_CERT_PATH)';
  const need = (file: string): string => {
    const problem = unreadable(file);
    if (problem !== undefined) errors.push(`${source}: ${problem}`);
    return file;
  };
  const tls = { ca: need(path.join(dir, 'ca.pem')), cert: need(path.join(dir, 'cert.pem')), key: need(path.join(dir, 'key.pem')), insecureSkipVerify: false };
  if (errors.length === 0) {
    const loaded = loadTlsContext(tls, env);
    if (!loaded.ok) for (const p of loaded.problems) errors.push(`${source}: ${p.message}`);
    const warning = unprotected(tls.key, 'private key');
    if (warning !== undefined) warnings.push(`${source}: ${warning}`);
  }
  return { endpoint: { ...url, tls }, errors, warnings };
}

/**
 * A tcp:// context: TLS when the store holds TLS files or SkipTLSVerify is set, as the docker
 * CLI decides (cli/context/docker/load.go tlsConfig); SkipTLSVerify is insecure_skip_verify; no
 * files and no SkipTLSVerify is plain TCP.
 */
function tcpFromContext({ name, tlsDir, skipTlsVerify }: DockerContextInput): ContextBlock {
  const tls: Record<string, unknown> = {};
  for (const f of TLS_FILES) {
    const pem = path.join(tlsDir, `${f}.pem`);
    try {
      fs.accessSync(pem);
      tls[f] = pem;
    } catch (err) {
      const code = errorCode(err, 'error');
      if (code !== 'ENOENT') return { ok: false, file: pem, message: `context "${name}": cannot read ${pem} (${code})` };
    }
  }
  if (skipTlsVerify) tls['insecure_skip_verify'] = true;
  return Object.keys(tls).length > 0 ? { ok: true, block: tls } : { ok: true };
}

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
