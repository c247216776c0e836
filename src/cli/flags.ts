// The exporter's command line: config/settings.ts' flags through the generic parser.
import { FLAGS } from '../config/settings.ts';
import { helpText as writeHelp, parseCliArgs as parseFlags, type CliResult } from './args.ts';

export const helpText = writeHelp(FLAGS, {
  usage: 'docker-fleet-exporter [<flags>]\n       docker-fleet-exporter healthcheck [<flags>]',
  description:
    'Prometheus exporter for a fleet of Docker daemons (unix socket, TCP with mutual TLS, SSH).\nhealthcheck: exit 0 if the server these flags configure answers /healthz, else 1.',
});

export type RunArgs = Extract<CliResult<typeof FLAGS>, { kind: 'run' }>;

export function parseCliArgs(argv: string[], env: NodeJS.ProcessEnv): CliResult<typeof FLAGS> {
  return parseFlags(argv, env, FLAGS, helpText);
}
