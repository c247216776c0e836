// logfmt, the log format of the Prometheus exporters: pino's JSON lines rewritten one by one.

export const LOG_FORMATS = ['logfmt', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

const LEVEL_NAMES: Readonly<Record<number, string>> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

/**
 * One pino JSON line -> `time=<RFC 3339> level=info msg="..." key=value ...\n`. Values that
 * need it are quoted with JSON string escapes (so a value can never break the line); lists and
 * mappings are written as JSON in one quoted value.
 */
export function toLogfmt(jsonLine: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(jsonLine) as Record<string, unknown>;
  } catch {
    return jsonLine; // not pino's: pass it through untouched
  }
  const { time, level, msg, ...rest } = record;
  const parts: string[] = [];
  if (typeof time === 'number') parts.push(`time=${new Date(time).toISOString()}`);
  if (typeof level === 'number') parts.push(`level=${LEVEL_NAMES[level] ?? String(level)}`);
  if (msg !== undefined) parts.push(`msg=${logfmtValue(msg)}`);
  for (const [key, value] of Object.entries(rest)) {
    if (value !== undefined) parts.push(`${key}=${logfmtValue(value)}`);
  }
  return `${parts.join(' ')}\n`;
}

function logfmtValue(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  // bare only when nothing in it could be read as a separator, quote or escape
  return /^[\x21\x23-\x3c\x3e-\x5b\x5d-\x7e]+$/.test(text) ? text : JSON.stringify(text);
}
