// The overview's Swarm section: each cluster as its serving manager last served it, services
// short of their desired tasks (or failing) first, then the nodes, those not ready first.
import type { ClusterSnapshot, HostSnapshot, SwarmNode, SwarmService } from '../../model.ts';
import { esc } from './html.ts';
import type { HostRow } from './host-parts.ts';

/** The clusters the rows' snapshots carry, once each. */
export function clustersOf(rows: readonly HostRow[]): ClusterSnapshot[] {
  const seen = new Map<string, ClusterSnapshot>();
  for (const r of rows) {
    const s: HostSnapshot | undefined = r.snapshot;
    if (s?.swarm && !seen.has(s.swarm.clusterId)) seen.set(s.swarm.clusterId, s.swarm);
  }
  return [...seen.values()];
}

const serviceProblem = (s: SwarmService): boolean => s.runningTasks < s.desiredTasks || s.tasks.failed > 0 || s.tasks.rejected > 0;
const nodeProblem = (n: SwarmNode): boolean => n.status !== 'ready' || n.reachability === 'unreachable';

/** Problems first, then by name. */
export function sortServices(services: readonly SwarmService[]): SwarmService[] {
  return [...services].sort((a, b) => Number(serviceProblem(b)) - Number(serviceProblem(a)) || a.name.localeCompare(b.name));
}

function sortNodes(nodes: readonly SwarmNode[]): SwarmNode[] {
  return [...nodes].sort((a, b) => Number(nodeProblem(b)) - Number(nodeProblem(a)) || a.hostname.localeCompare(b.hostname) || a.id.localeCompare(b.id));
}

function serviceRow(s: SwarmService): string {
  const problem = serviceProblem(s);
  const desired = Number.isFinite(s.desiredTasks) ? String(s.desiredTasks) : '?';
  const running = s.runningTasks < s.desiredTasks ? `<b class="down">${s.runningTasks}</b>` : String(s.runningTasks);
  const pending = s.tasks.pending > 0 ? ` <span class="dim">${s.tasks.pending} pending</span>` : '';
  const failed = s.failedTasks > 0 ? `<b class="down">${s.failedTasks}</b>` : '0';
  return `<tr${problem ? ' class="problem"' : ''}><td>${esc(s.name)}</td><td>${esc(s.stack)}</td><td>${esc(s.mode)}</td><td class="num">${running} / ${desired}${pending}</td><td class="num">${failed}</td><td>${esc(s.updateState ?? '')}</td><td>${esc(s.image)}</td></tr>\n`;
}

function nodeRow(n: SwarmNode): string {
  const status = n.status === 'ready' ? '<span class="up">ready</span>' : `<span class="down">${esc(n.status)}</span>`;
  const manager = n.reachability === undefined ? '' : `${n.leader ? 'leader · ' : ''}${n.reachability === 'reachable' ? 'reachable' : `<b class="down">${esc(n.reachability)}</b>`}`;
  return `<tr${nodeProblem(n) ? ' class="problem"' : ''}><td>${esc(n.hostname)}<div class="dim">${esc(n.id)}</div></td><td>${status}</td><td>${esc(n.availability)}</td><td>${esc(n.role)}</td><td>${manager}</td><td>${esc(n.engineVersion)}</td></tr>\n`;
}

function clusterSection(c: ClusterSnapshot): string {
  const head = `<h2>Swarm cluster <code>${esc(c.clusterId)}</code></h2>`;
  if (!c.up) return `${head}\n<p><span class="state down">no manager answered</span> <span class="err">${esc(c.error ?? '')}</span></p>\n`;
  const short = c.services.filter(serviceProblem).length;
  const down = c.nodes.filter(nodeProblem).length;
  return `${head}
<p>Served by <b>${esc(c.servedBy)}</b> · ${c.services.length} services, ${short ? `<b class="down">${short} with problems</b>` : '0 with problems'} · ${c.nodes.length} nodes, ${down ? `<b class="down">${down} not ready</b>` : 'all ready'}</p>
<table class="services"><thead><tr><th>Service</th><th>Stack</th><th>Mode</th><th>Running / desired</th><th>Failed tasks</th><th>Update</th><th>Image</th></tr></thead>
<tbody>
${sortServices(c.services).map(serviceRow).join('')}</tbody></table>
<table class="nodes"><thead><tr><th>Node</th><th>Status</th><th>Availability</th><th>Role</th><th>Manager</th><th>Engine</th></tr></thead>
<tbody>
${sortNodes(c.nodes).map(nodeRow).join('')}</tbody></table>
`;
}

/** '' when no row carries a cluster. */
export function clustersSection(rows: readonly HostRow[]): string {
  return clustersOf(rows).map(clusterSection).join('');
}
