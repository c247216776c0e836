import type { HostSnapshot } from '../model.ts';

export interface HostRow {
  name: string;
  url: string;
  snapshot?: HostSnapshot;
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The status page: links and one row per host, from what the last scrape served (no probe). */
export function landingPage(version: string, rows: readonly HostRow[], telemetryPath = '/metrics'): string {
  const body = rows
    .map(({ name, url, snapshot: s }) => {
      const state = !s ? '<td class="unknown">not scraped yet</td>' : s.up ? '<td class="up">up</td>' : '<td class="down">down</td>';
      const containers = s?.containers ? String(s.containers.length) : '';
      const duration = s && Number.isFinite(s.lastDurationSeconds) ? `${s.lastDurationSeconds.toFixed(3)} s` : '';
      return `<tr><td><a href="/probe?target=${encodeURIComponent(name)}">${esc(name)}</a></td><td>${esc(url)}</td>${state}<td>${containers}</td><td>${duration}</td><td>${esc(s?.error ?? '')}</td></tr>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>docker-fleet-exporter</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}.up{color:#080}.down{color:#b00;font-weight:bold}.unknown{color:#888}</style>
</head><body>
<h1>docker-fleet-exporter</h1>
<p>Version ${esc(version)}. <a href="${esc(telemetryPath)}">Metrics</a> (all hosts) · <a href="/-/healthy">Health</a></p>
<table><thead><tr><th>Host</th><th>URL</th><th>State</th><th>Containers</th><th>Last probe</th><th>Last error</th></tr></thead>
<tbody>
${body}
</tbody></table>
</body></html>
`;
}
