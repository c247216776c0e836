// One ExporterConfig for the suites that build the exporter in-process: the declared defaults
// (as loading a file that lists only these hosts gives them), then the suite's own settings.
import assert from 'node:assert/strict';
import { parseCliArgs } from '../../src/cli/flags.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { ExporterConfig, HostConfig } from '../../src/config/types.ts';
import type { FlagValues } from '../../src/schema/walk.ts';

/** The values a command line sets (parsed and checked as the exporter's own are). */
export function cliFlags(argv: string[], env: NodeJS.ProcessEnv = {}): FlagValues {
  const r = parseCliArgs(argv, env);
  assert.equal(r.kind, 'run', JSON.stringify(r));
  return r.kind === 'run' ? r.flags : new Map();
}

/** The defaults every suite starts from (loaded without a file: no host read from anywhere). */
function defaults(): ExporterConfig {
  const loaded = loadConfig({ env: {} });
  assert.ok(loaded.ok, JSON.stringify(loaded));
  return loaded.config;
}

type Override<T> = { [K in keyof T]?: T[K] extends readonly unknown[] ? T[K] : T[K] extends object ? Partial<T[K]> : T[K] };

/**
 * `hosts` with the declared defaults, and `more` over them section by section. Tests listen on
 * 127.0.0.1:0 and parse on the main thread unless they say otherwise.
 */
export function testConfig(hosts: HostConfig[], more: Override<Omit<ExporterConfig, 'hosts'>> = {}): ExporterConfig {
  const d = defaults();
  return {
    hosts,
    collection: { ...d.collection, ...more.collection },
    metrics: { ...d.metrics, ...more.metrics },
    pool: { ...d.pool, threads: 0, ...more.pool },
    shard: { ...d.shard, ...more.shard },
    web: { ...d.web, listenAddresses: ['127.0.0.1:0'], ...more.web },
    log: { ...d.log, ...more.log },
  };
}
