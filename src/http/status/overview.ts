// The fleet overview (GET /): one row per host, from what the last scrapes served. It never
// probes: a host not scraped yet says so.
import { clustersSection } from './clusters.ts';
import { summarize, type HostSummary } from './figures.ts';
import { UNKNOWN, bar, bytes, cores, esc, page, percent } from './html.ts';
import { hostPath, hostState, lastError, probeAge, stateCounts, type HostRow } from './host-parts.ts';

export function overviewPage(version: string, rows: readonly HostRow[], now: number, telemetryPath = '/metrics'): string {
  let up = 0;
  let down = 0;
  const total = { containers: 0, problems: 0 };
  let body = '';
  for (const row of rows) {
    const s = row.snapshot;
    if (s?.up) up++;
    else if (s) down++;
    const sum = s ? summarize(s, now) : undefined;
    if (sum) {
      total.containers += s!.containers!.length;
      total.problems += sum.problems;
    }
    body += hostRow(row, sum, now);
  }
  const notYet = rows.length - up - down;
  const totals = `${rows.length} host${rows.length === 1 ? '' : 's'}: ${up} up, ${down} down${notYet ? `, ${notYet} not scraped yet` : ''} · ${total.containers} containers, ${total.problems} with problems`;
  return page(
    'docker-fleet-exporter',
    `<h1>docker-fleet-exporter</h1>
<p class="dim">Version ${esc(version)} · <a href="${esc(telemetryPath)}">Metrics</a> (all hosts) · <a href="/-/healthy">Health</a> · what the last scrape of each host served; this page never probes a daemon</p>
<p>${totals}</p>
<table class="hosts"><thead><tr><th>Host</th><th>State</th><th>Containers</th><th>Problems</th><th>CPU in use</th><th>Memory in use</th><th>Last probe</th><th>Last error</th></tr></thead>
<tbody>
${body}</tbody></table>
${clustersSection(rows)}`,
  );
}

function hostRow(row: HostRow, sum: HostSummary | undefined, now: number): string {
  const s = row.snapshot;
  const info = s?.info ?? null;
  let containers = UNKNOWN, problems = UNKNOWN, cpu = UNKNOWN, memory = UNKNOWN;
  if (sum) {
    containers = stateCounts(sum);
    problems = sum.problems ? `<b class="down">${sum.problems}</b>` : '0';
    const ncpu = info?.ncpu || NaN;
    cpu = Number.isNaN(ncpu)
      ? `${cores(sum.cpuCores)} cores`
      : `${cores(sum.cpuCores)} of ${ncpu} cores${bar(sum.cpuCores / ncpu, `${percent(sum.cpuCores / ncpu)} of the host's CPUs`)}`;
    const mem = info?.memTotal || NaN;
    memory = Number.isNaN(mem)
      ? bytes(sum.memoryBytes)
      : `${bytes(sum.memoryBytes)} of ${bytes(mem)}${bar(sum.memoryBytes / mem, `${percent(sum.memoryBytes / mem)} of the host's memory`)}`;
  }
  return `<tr><td><a href="${esc(hostPath(row.name))}">${esc(row.name)}</a><div class="dim">${esc(row.url)}</div></td><td>${hostState(s)}</td><td>${containers}</td><td class="num">${problems}</td><td>${cpu}</td><td>${memory}</td><td>${probeAge(s, now)}</td><td>${lastError(s)}</td></tr>\n`;
}
