// The validated, normalized configuration the rest of the exporter consumes, as settings.ts
// declares it. Durations are milliseconds here; the file speaks Prometheus durations ("8s").
import type { ValueOf } from '../schema/fields.ts';
import type { HostConfig } from './host-config.ts';
import type { FlagSettings, settings } from './settings.ts';
import type { Shard } from './shard.ts';

export type { HostConfig };

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
