// One host's page (GET /hosts/<name>): its containers, problems first, from what the last
// scrape of it served. It never probes.
import { workingSet } from '../../metrics/family.ts';
import type { ContainerSnapshot, DaemonInfo, HealthStatus } from '../../model.ts';
import { cpuAgainst, cpuCores, memoryAgainst, sortContainers, summarize, type Against, type ContainerRow } from './figures.ts';
import { UNKNOWN, bar, bytes, cores, duration, esc, page, percent } from './html.ts';
import { hostState, lastError, probeAge, stateCounts, type HostRow } from './host-parts.ts';

const COMPOSE_PROJECT = 'com.docker.compose.project';
const COMPOSE_SERVICE = 'com.docker.compose.service';

export function hostPage(version: string, row: HostRow, now: number): string {
  const s = row.snapshot;
  const name = esc(row.name);
  const info = s?.info ?? null;
  const facts = [esc(row.url)];
  if (info) facts.push(`Docker ${esc(info.serverVersion)}`, `${info.ncpu} CPUs`, `${bytes(info.memTotal)} memory`);
  let containers: string;
  if (!s) containers = '<p>Not scraped yet: this page shows what the last scrape served, and never probes.</p>';
  else if (!s.containers) containers = '<p>No container data: the last probe failed and no recent one is kept (see the error above).</p>';
  else {
    const sum = summarize(s, now)!;
    let body = '';
    for (const r of sortContainers(s.containers, now)) body += containerRow(r, info, now);
    containers = `<p>${s.containers.length} containers: ${stateCounts(sum)}</p>
<table class="containers"><thead><tr><th>Container</th><th>Image</th><th>State</th><th>Health</th><th>CPU</th><th>Memory</th><th>Restarts</th><th>Uptime</th></tr></thead>
<tbody>
${body}</tbody></table>`;
  }
  return page(
    `${name} · docker-fleet-exporter`,
    `<p class="dim"><a href="/">All hosts</a> · <a href="/probe?target=${esc(encodeURIComponent(row.name))}">This host's metrics</a> · docker-fleet-exporter ${esc(version)}</p>
<h1>${name} ${hostState(s)}</h1>
<p class="dim">${facts.join(' · ')}</p>
<p>Last probe: ${probeAge(s, now)}</p>
${s?.error ? `<p>Last error: ${lastError(s)}</p>` : ''}${containers}`,
  );
}

function containerRow({ c, problem }: ContainerRow, info: DaemonInfo | null, now: number): string {
  const i = c.inspect;
  const project = c.ident.labels[COMPOSE_PROJECT];
  const service = c.ident.labels[COMPOSE_SERVICE];
  const compose = project !== undefined ? `<div class="dim">${esc(project)}${service !== undefined ? ` / ${esc(service)}` : ''}</div>` : '';
  const p = problem ? `p-${problem.replace(/ /g, '-')}` : '';
  const cls = problem ? ` class="problem ${p}"` : '';
  const tag = problem ? `<span class="tag ${p}">${problem}</span>` : '';
  const stopped = c.state === 'exited' || c.state === 'dead';
  const state = stopped ? `${c.state} (${i.exitCode})` : c.state;
  return `<tr${cls}><td><span title="${esc(c.ident.id)}">${esc(c.ident.name)}</span>${tag}${compose}</td><td>${esc(c.ident.image)}</td><td>${esc(state)}</td><td>${health(i.health)}</td><td>${cpuCell(c, info)}</td><td>${memoryCell(c, info)}</td><td class="num">${i.restartCount}</td><td>${uptime(c, now)}</td></tr>\n`;
}

/** "52% of its 0.5 CPUs limit" or "3.1% of the host's 7.77 GiB", and a bar. */
function share(used: number, against: Against, whole: (n: number) => string): string {
  if (!Number.isFinite(against.whole) || !Number.isFinite(used)) return '';
  const f = used / against.whole;
  const text = `${percent(f)} of ${against.limit ? `its ${whole(against.whole)} limit` : `the host's ${whole(against.whole)}`}`;
  return `<div class="dim">${text}</div>${bar(f, text)}`;
}

const cpus = (n: number): string => `${Number(n.toFixed(2))} CPU${n === 1 ? '' : 's'}`;

function cpuCell(c: ContainerSnapshot, info: DaemonInfo | null): string {
  if (!c.stats) return UNKNOWN;
  const used = cpuCores(c);
  if (Number.isNaN(used)) return '<span class="dim" title="a rate needs two consecutive probes of the container">after the next probe</span>';
  return `${cores(used)} cores${share(used, cpuAgainst(c, info), cpus)}`;
}

function memoryCell(c: ContainerSnapshot, info: DaemonInfo | null): string {
  if (!c.stats) return UNKNOWN;
  const used = workingSet(c);
  if (Number.isNaN(used)) return UNKNOWN;
  return `${bytes(used)}${share(used, memoryAgainst(c, info), bytes)}`;
}

function health(h: HealthStatus | undefined): string {
  if (h === undefined) return '<span class="dim">none</span>';
  return h === 'unhealthy' ? '<b class="down">unhealthy</b>' : esc(h);
}

function uptime(c: ContainerSnapshot, now: number): string {
  const i = c.inspect;
  if (c.state === 'running' || c.state === 'paused') return duration(now - i.startedAt);
  if (Number.isFinite(i.finishedAt)) return `<span class="dim">stopped ${duration(now - i.finishedAt)} ago</span>`;
  return Number.isFinite(i.startedAt) ? UNKNOWN : '<span class="dim">never started</span>';
}
