// The exporter's command line: config/settings.ts' flags through the generic parser.
import { COMMAND, flagFields, WEB } from '../config/settings.ts';
import { defaultsOf } from '../schema/walk.ts';
import type { ValueOf } from '../schema/fields.ts';
import type { FlagValues } from '../schema/walk.ts';
import { helpText as writeHelp, parseCliArgs as parseFlags, type CliResult } from './args.ts';

const FIELDS = flagFields();

export const helpText = writeHelp(FIELDS, {
  usage: 'docker-fleet-exporter [<flags>]\n       docker-fleet-exporter healthcheck [<flags>]',
  description:
    'Prometheus exporter for a fleet of Docker daemons (unix socket, TCP with mutual TLS, SSH).\nhealthcheck: exit 0 if the server these flags configure answers /healthz, else 1.',
});

export type RunArgs = Extract<CliResult, { kind: 'run' }>;

export function parseCliArgs(argv: string[], env: NodeJS.ProcessEnv): CliResult {
  return parseFlags(argv, env, FIELDS, helpText);
}

/** --config.file, --config.check, --web.config.file: resolved from the flags (defaults applied). */
export function commandSettings(flags: FlagValues): ValueOf<typeof COMMAND> {
  return defaultsOf(COMMAND, flags);
}

/** The web flags, resolved (the healthcheck reads the listen address the server would). */
export function webSettings(flags: FlagValues): ValueOf<typeof WEB> {
  return defaultsOf(WEB, flags);
}
