// The validated, normalized configuration the rest of the exporter consumes, as settings.ts
// declares it, every default applied. Durations are milliseconds here; the file speaks Prometheus
// durations ("8s").
import type { ValueOf } from '../schema/fields.ts';
import type { HostConfig } from './host-config.ts';
import type { settings } from './settings.ts';

export type { HostConfig };

type Settings = ValueOf<ReturnType<typeof settings<HostConfig[]>>>;

export type CollectionConfig = Settings['collection'];
export type MetricsConfig = Settings['metrics'];
export type ContainerFilter = MetricsConfig['include'];

/** `hosts`: every host, listed and imported (docker_contexts); `shard` says which this replica serves. */
export type ExporterConfig = Omit<Settings, 'docker_contexts'>;
