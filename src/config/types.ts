// The validated, normalized configuration the rest of the exporter consumes, as settings.ts
// declares it. Durations are milliseconds here; the file speaks Prometheus durations ("8s").
import type { ValueOf } from '../schema/fields.ts';
import type { Endpoint } from '../transport/index.ts';
import type { FlagSettings, settings } from './settings.ts';
import type { Shard } from './shard.ts';

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

type FileSettings = ValueOf<ReturnType<typeof settings<HostConfig[]>>>;

export type CollectionConfig = FileSettings['collection'];
export type MetricsConfig = FileSettings['metrics'];
export type ContainerFilter = MetricsConfig['include'];

/** `hosts`: every host, listed and imported (docker_contexts); `shard` says which this replica serves (absent: all). */
export interface ExporterConfig extends Omit<FileSettings, 'docker_contexts' | 'shard'> {
  shard?: Shard;
  web: {
    listenAddresses: FlagSettings['listenAddresses'];
    /** absent: the flag's default */
    maxRequests?: FlagSettings['maxRequests'];
    writeTimeoutMs?: FlagSettings['writeTimeoutMs'];
    telemetryPath?: FlagSettings['telemetryPath'];
    disableExporterMetrics?: FlagSettings['disableExporterMetrics'];
  };
  log: { level: FlagSettings['logLevel']; format?: FlagSettings['logFormat'] };
}
