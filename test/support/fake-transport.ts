// A transport defined outside src/: one file that registers itself, as a new transport would.
// fake:///path.sock reaches a daemon on that unix socket; its `fake` block has one key.
import { section, text } from '../../src/schema/fields.ts';
import { registerTransport } from '../../src/transport/index.ts';
import type { ConnectionMetricNames } from '../../src/model.ts';
import type { TransportDescriptor } from '../../src/transport/types.ts';
import { createUnixTransport } from '../../src/transport/unix.ts';

export type FakeEndpoint = { kind: 'fake'; socketPath: string; fake?: { greeting: string } };

/** What the transports created so far were given. */
export const created: { name: string; endpoint: FakeEndpoint }[] = [];

/** As if it kept a connection: its stats under names of its own. */
const FAKE_METRICS: ConnectionMetricNames = { prefix: 'docker_fake', what: 'Fake', connection: 'fake link', hosts: 'fake:// hosts only' };

export const fakeTransport: TransportDescriptor<FakeEndpoint> = {
  scheme: 'fake',
  form: 'fake:///path.sock',
  example: 'fake:///run/fake.sock',
  authority: false,
  block: {
    key: 'fake',
    optional: true,
    section: section({ greeting: text('greeting', 'Said when created.', 'hello', (v) => (v.length > 10 ? 'must be at most 10 characters' : undefined)) }),
    finish: (_raw, value) => value,
  },
  connectionMetrics: FAKE_METRICS,
  // DOCKER_HOST=fake://...: the greeting from FAKE_GREETING
  fromDockerEnv: (url, { env }) => ({ endpoint: { ...url, fake: { greeting: env['FAKE_GREETING'] ?? 'hello' } }, errors: [], warnings: [] }),
  // a fake:// context: docker_contexts' fake block, else a greeting naming the context
  fromContext: ({ name, given }) => ({ ok: true, block: given ?? { greeting: name.slice(0, 10) } }),
  parseUrl(rest) {
    return rest.startsWith('/') ? { ok: true, value: { kind: 'fake', socketPath: rest } } : { ok: false, error: 'fake:// needs an absolute path' };
  },
  create(name, endpoint, { maxInFlight }) {
    created.push({ name, endpoint });
    const transport = createUnixTransport(endpoint.socketPath, maxInFlight);
    return { ...transport, stats: () => ({ names: FAKE_METRICS, connected: true, connects: 7, reconnects: 0, failures: 0 }) };
  },
};

registerTransport(fakeTransport);
