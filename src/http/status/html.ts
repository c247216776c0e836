// The status pages' HTML pieces: escaping, number formats, bars, the page shell. Inline CSS
// only, no script and no external asset: the pages work offline and behind any proxy.

const SPECIAL = /[&<>"']/;

/** Text and attribute values alike: container names, labels and errors come from daemons. */
export function esc(s: string): string {
  return SPECIAL.test(s) ? s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`) : s;
}

/** What is not known (yet). The formats below return plain text with nothing to escape. */
export const UNKNOWN = '\u2014';

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** 512 B, 40.0 MiB, 7.77 GiB: three significant digits, binary units as `docker stats` shows them. */
export function bytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return UNKNOWN;
  let u = 0;
  while (n >= 1024 && u < BYTE_UNITS.length - 1) {
    n /= 1024;
    u++;
  }
  return `${u === 0 ? n : n.toPrecision(3)} ${BYTE_UNITS[u]}`;
}

/** 0.52, 1.30, 12.5 */
export function cores(n: number): string {
  if (!Number.isFinite(n)) return UNKNOWN;
  return n < 10 ? n.toFixed(2) : n.toFixed(1);
}

/** 45s, 12m 5s, 3h 5m, 4d 2h: the two largest units. */
export function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return UNKNOWN;
  const s = Math.max(0, Math.floor(seconds));
  const parts: [number, string][] = [
    [Math.floor(s / 86400), 'd'],
    [Math.floor((s % 86400) / 3600), 'h'],
    [Math.floor((s % 3600) / 60), 'm'],
    [s % 60, 's'],
  ];
  const first = parts.findIndex(([v]) => v > 0);
  if (first < 0) return '0s';
  const [v1, u1] = parts[first]!;
  const next = parts[first + 1];
  return next && next[0] > 0 ? `${v1}${u1} ${next[0]}${next[1]}` : `${v1}${u1}`;
}

export function percent(fraction: number): string {
  if (!Number.isFinite(fraction)) return UNKNOWN;
  const p = fraction * 100;
  if (p > 0 && p < 0.1) return 'under 0.1%';
  return `${p < 10 && p > 0 ? p.toFixed(1) : Math.round(p)}%`;
}

/** A horizontal bar of `fraction` (clamped to 0..1), amber from 70%, red from 90%. */
export function bar(fraction: number, title: string): string {
  if (!Number.isFinite(fraction)) return '';
  const f = Math.min(Math.max(fraction, 0), 1);
  const level = fraction >= 0.9 ? ' crit' : fraction >= 0.7 ? ' warn' : '';
  return `<span class="bar${level}" title="${esc(title)}"><i style="width:${(f * 100).toFixed(1)}%"></i></span>`;
}

/** One bar of several parts, e.g. containers by state; parts of 0 are left out. */
export function stackedBar(parts: readonly { n: number; cls: string; label: string }[]): string {
  let total = 0;
  for (const p of parts) total += p.n;
  if (total === 0) return '';
  let out = '<span class="stack">';
  for (const p of parts) {
    if (p.n > 0) out += `<i class="${p.cls}" style="width:${((p.n / total) * 100).toFixed(1)}%" title="${p.n} ${p.label}"></i>`;
  }
  return `${out}</span>`;
}

const CSS = `
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em 2em;color:#222;background:#fff}
h1{font-size:1.5em;margin:0 0 .2em}h1 .state{font-size:.6em;vertical-align:middle}
a{color:#0550ae}p{margin:.3em 0}.dim{color:#777;font-size:.85em}
table{border-collapse:collapse;margin-top:1em;min-width:60em}
th,td{border-bottom:1px solid #ddd;padding:.35em .6em;text-align:left;vertical-align:top}
th{background:#f4f4f4;font-weight:600}td.num{text-align:right;font-variant-numeric:tabular-nums}
.up{color:#1a7f37;font-weight:600}.down{color:#c62828;font-weight:600}.stale{color:#b26b00;font-weight:600}.unknown{color:#888}
tr.problem td{background:#fff4f2}tr.problem.p-restarted td{background:#fffbea}
.tag{display:inline-block;border-radius:3px;padding:0 .4em;margin-left:.4em;font-size:.8em;color:#fff;background:#c62828}
.tag.p-restarted{background:#b26b00}
.bar{display:block;width:9em;height:.55em;background:#e8e8e8;border-radius:2px;margin-top:.2em;overflow:hidden}
.bar i{display:block;height:100%;background:#2e7d32}.bar.warn i{background:#e69500}.bar.crit i{background:#c62828}
.stack{display:flex;width:12em;height:.7em;border-radius:2px;overflow:hidden;margin-top:.2em;background:#e8e8e8}
.stack i{display:block;height:100%}
.s-running{background:#2e7d32}.s-unhealthy{background:#c62828}.s-restarting{background:#e69500}.s-exited{background:#9e9e9e}.s-other{background:#90caf9}
.err{color:#c62828;max-width:40em;word-break:break-word}
`;

/** The whole document. `title` and `body` are HTML already (escaped by their makers). */
export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>${title}</title>
<style>${CSS}</style>
</head><body>
${body}
</body></html>
`;
}
