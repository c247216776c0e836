// Prometheus-style durations, as in prometheus.yml: "500ms", "8s", "1m30s", "0s".
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 };
const PART = /(\d+)(ms|s|m|h|d|w|y)/y;

/** The longest delay setTimeout honours: Node turns a longer one into 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** Milliseconds, or undefined when `text` is not a Prometheus duration. */
export function parseDuration(text: string): number | undefined {
  if (text === '0') return 0;
  let total = 0;
  let pos = 0;
  PART.lastIndex = 0;
  while (pos < text.length) {
    PART.lastIndex = pos;
    const m = PART.exec(text);
    if (!m) return undefined;
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    pos = PART.lastIndex;
  }
  return pos === 0 ? undefined : total;
}

export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** For messages: "57ms", "1.2s", "16s" (never "7.196348276999999s"). */
export function roundDuration(ms: number): string {
  const whole = Math.round(ms);
  if (whole < 1000) return `${whole}ms`;
  return `${Math.round(ms / 100) / 10}s`;
}
