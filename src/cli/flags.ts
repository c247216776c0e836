// The exporter's command line: config/settings.ts' flags through the generic parser.
import { FLAGS } from '../config/settings.ts';
import { helpText as writeHelp, parseCliArgs as parseFlags, type CliResult } from './args.ts';

export const helpText = writeHelp(FLAGS, {
  usage: 'docker-fleet-exporter [<flags>]',
  description: 'Prometheus exporter for a fleet of Docker daemons (unix socket, TCP with mutual TLS, SSH).',
});

export function parseCliArgs(argv: string[], env: NodeJS.ProcessEnv): CliResult<typeof FLAGS> {
  return parseFlags(argv, env, FLAGS, helpText);
}
