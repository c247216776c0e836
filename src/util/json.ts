// Type guards for parsed JSON (Engine API responses, stats bodies): a field of the wrong type is
// a value to handle, never a TypeError.

/** A JSON object (not null, not an array). */
export function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** The object, or an empty one for anything else: reads of its fields then find nothing. */
export function asRecord(v: unknown): Record<string, unknown> {
  return isRecord(v) ? v : {};
}

/** A string field; '' when absent, a number or boolean as its text. */
export function str(v: unknown): string {
  return typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);
}

/** A finite number field, else NaN (no series). */
export function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : NaN;
}

/** What a JSON value is, for messages: "null", "an array", "an object", "a string"... */
export function jsonKind(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'an array';
  return typeof x === 'object' ? 'an object' : `a ${typeof x}`;
}

/**
 * Where JSON.parse failed ("at position 8"), or '' when V8 does not say: its messages quote the
 * text around the fault (`Unexpected token 'r', "root:$6$VE"...`), and a file's bytes never go
 * into a message.
 */
export function jsonErrorPosition(err: unknown): string {
  const m = /at position (\d+)/.exec(err instanceof Error ? err.message : '');
  return m === null ? '' : ` at byte ${m[1]}`;
}
