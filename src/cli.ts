#!/usr/bin/env node
import { commandSettings, parseCliArgs } from './cli/flags.ts';
import { parseListenAddress } from './config/listen-address.ts';
import { ownedHosts } from './config/shard.ts';
import type { ExporterConfig } from './config/types.ts';
import type { ListenEndpoint } from './http/listeners.ts';
import { errorMessage } from './util/errors.ts';
import { VERSION } from './version.ts';
import type { LiveWebConfig } from './web/live.ts';

async function main(): Promise<number> {
  // `healthcheck [flags]`: the same flags and environment, to check the server they configure.
  const argv = process.argv.slice(2);
  const healthcheck = argv[0] === 'healthcheck';
  const args = parseCliArgs(healthcheck ? argv.slice(1) : argv, process.env);
  switch (args.kind) {
    case 'help':
      process.stdout.write(args.text);
      return 0;
    case 'version':
      process.stdout.write(`docker-fleet-exporter ${VERSION} (node ${process.version})\n`);
      return 0;
    case 'error':
      process.stderr.write(`docker-fleet-exporter: ${args.message}\n`);
      return healthcheck ? 1 : 2; // Docker reserves a HEALTHCHECK's exit code 2
  }
  if (healthcheck) return (await import('./cli/healthcheck.ts')).runHealthcheck(args);

  // Loaded here, not above: each healthcheck then costs ~0.25 s and ~43 MB RSS
  // instead of ~0.6 s and ~67 MB (measured here, `--version` with static imports).
  const [{ createExporter }, { loadConfig }, { createLogger }, { LiveWebConfig }] = await Promise.all([
    import('./app.ts'),
    import('./config/load.ts'),
    import('./log.ts'),
    import('./web/live.ts'),
  ]);

  // Every configuration problem is reported, and the process exits, before anything listens.
  const { configFile, webConfigFile, configCheck } = commandSettings(args.flags);
  // the same for a reload: the file (and the context store) read again, with the same flags
  const load = () => loadConfig({ file: configFile, env: process.env, flags: args.flags });
  const loaded = load();
  if (!loaded.ok) {
    process.stderr.write(`docker-fleet-exporter: invalid configuration${configFile ? ` in ${configFile}` : ''}:\n`);
    for (const e of loaded.errors) process.stderr.write(`  - ${e}\n`);
    return 1;
  }
  const { config } = loaded;
  if (configCheck) {
    for (const w of loaded.warnings) process.stderr.write(`docker-fleet-exporter: warning: ${w}\n`);
    process.stdout.write(`${checkSummary(config, configFile)}\n`);
    return 0;
  }
  const log = createLogger(config.log.level, config.log.format);
  for (const w of loaded.warnings) log.warn(w);

  let web: LiveWebConfig | undefined;
  if (webConfigFile !== undefined) {
    const opened = LiveWebConfig.open(webConfigFile, log);
    if (!opened.ok) {
      process.stderr.write(`docker-fleet-exporter: invalid web configuration in ${webConfigFile}:\n`);
      for (const e of opened.errors) process.stderr.write(`  - ${e}\n`);
      return 1;
    }
    web = opened.live;
    for (const w of opened.warnings) log.warn({ file: webConfigFile }, w);
  }

  const endpoints: ListenEndpoint[] = config.web.listenAddresses.map((text) => {
    const address = parseListenAddress(text);
    if (!address.ok) throw new Error(`listen address ${text} passed the config's check: ${address.error}`);
    return address.host === undefined ? { port: address.port } : { host: address.host, port: address.port };
  });

  const exporter = createExporter(config, log, web === undefined ? { load } : { web, load });
  // SIGHUP's default action ends the process; reloading is what a user means by it
  process.on('SIGHUP', () => void exporter.reload('SIGHUP'));
  try {
    const bound = await exporter.listenAll(endpoints);
    const tls = web?.tlsEnabled ?? false;
    for (const a of bound) log.info({ version: VERSION, address: a.address, port: a.port, tls, hosts: exporter.fleet.names() }, 'listening');
  } catch (err) {
    process.stderr.write(`docker-fleet-exporter: ${errorMessage(err)}\n`);
    await exporter.close();
    return 1;
  }

  return new Promise<number>((resolve) => {
    const stop = (signal: string) => {
      log.info({ signal }, 'shutting down');
      exporter.close().then(
        () => resolve(0),
        (err: unknown) => {
          log.error({ err: errorMessage(err) }, 'shutdown failed');
          resolve(1);
        },
      );
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}

/** What --config.check prints for a valid config. */
function checkSummary(config: ExporterConfig, file: string | undefined): string {
  const imported = config.hosts.filter((h) => h.context !== undefined).length;
  const { shard } = config;
  const mine = shard.count > 1 ? `; shard ${shard.index} of ${shard.count} serves ${ownedHosts(config.hosts, shard).length} of them` : '';
  const from = imported > 0 ? ` (${config.hosts.length - imported} listed, ${imported} from Docker contexts)` : '';
  return `${file ?? 'no config file (DOCKER_HOST)'}: valid: ${config.hosts.length} host${config.hosts.length === 1 ? '' : 's'}${from}${mine}`;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`docker-fleet-exporter: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
