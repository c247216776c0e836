// A transport defined outside src/: one file that registers itself, as a new transport would.
// fake:///path.sock reaches a daemon on that unix socket; its `fake` block has one key.
import { section, text } from '../../src/schema/fields.ts';
import { registerTransport } from '../../src/transport/index.ts';
import type { TransportDescriptor } from '../../src/transport/types.ts';
import { createUnixTransport } from '../../src/transport/unix.ts';

export type FakeEndpoint = { kind: 'fake'; socketPath: string; fake?: { greeting: string } };

/** What the transports created so far were given. */
export const created: { name: string; endpoint: FakeEndpoint }[] = [];

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
  parseUrl(rest) {
    return rest.startsWith('/') ? { ok: true, value: { kind: 'fake', socketPath: rest } } : { ok: false, error: 'fake:// needs an absolute path' };
  },
  create(name, endpoint, { maxInFlight }) {
    created.push({ name, endpoint });
    return createUnixTransport(endpoint.socketPath, maxInFlight);
  },
};

registerTransport(fakeTransport);
