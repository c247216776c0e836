import { writeSync } from 'node:fs';
import { pino, type Logger } from 'pino';
import { toLogfmt, type LogFormat } from './util/logfmt.ts';

export type { Logger };

/**
 * Lines on stderr, written synchronously (a line is never lost at exit), so stdout stays free.
 * logfmt by default, as the Prometheus exporters log; JSON lines with --log.format=json. Secrets
 * are never passed to the logger.
 */
export function createLogger(level: string, format: LogFormat = 'logfmt', fd = 2): Logger {
  if (format === 'json') return pino({ level, base: undefined }, pino.destination({ fd, sync: true }));
  return pino({ level, base: undefined }, { write: (line: string) => void writeSync(fd, toLogfmt(line)) });
}
