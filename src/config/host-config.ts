// One host as the rest of the exporter sees it, apart from types.ts: the config's readers
// (hosts, contexts, defaults) build it, and settings.ts, which types.ts derives from, uses them.
import type { Endpoint } from '../transport/index.ts';

export interface HostConfig {
  /** Unique; the value of the `host` label. */
  name: string;
  /** As written in the config, for display (never contains secrets). */
  url: string;
  endpoint: Endpoint;
  /** Static labels added to every series of this host. */
  labels: Record<string, string>;
  /** The Docker context it was imported from (docker_contexts); absent: listed under hosts. */
  context?: string;
  /** Follow this host's event stream; absent: as collection.events says. */
  events?: boolean;
}
