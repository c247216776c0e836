// Prometheus HTTP service discovery (prometheus.io/docs/prometheus/latest/http_sd): the hosts
// this replica serves, one target group each, the target being the host name that /probe takes.
// Plain labels (the host's static labels) become target labels; the __meta_* ones are there for
// relabelling and are dropped after it:
//   __meta_docker_fleet_host              the host name (the target, kept for after __address__ is rewritten)
//   __meta_docker_fleet_url               the host's URL as configured (never a secret: URLs carry none)
//   __meta_docker_fleet_url_scheme        unix, tcp or ssh
//   __meta_docker_fleet_source            config (the hosts list) or docker_context (imported)
//   __meta_docker_fleet_exporter_address  host:port Prometheus reached this exporter at (the
//                                         discovery request's Host): set __address__ from it and
//                                         one relabel rule serves every replica
//   __meta_docker_fleet_label_<name>      each static label again, to rename or keep after dropping
export interface SdHost {
  name: string;
  url: string;
  labels: Readonly<Record<string, string>>;
  source: 'config' | 'docker_context';
}

export interface TargetGroup {
  targets: [string];
  labels: Record<string, string>;
}

export const SD_CONTENT_TYPE = 'application/json; charset=utf-8';
const META = '__meta_docker_fleet_';

export function targetGroups(hosts: readonly SdHost[], exporterAddress: string): TargetGroup[] {
  return hosts.map((h) => {
    const labels: Record<string, string> = { ...h.labels };
    labels[`${META}host`] = h.name;
    labels[`${META}url`] = h.url;
    labels[`${META}url_scheme`] = h.url.slice(0, h.url.indexOf(':')).toLowerCase();
    labels[`${META}source`] = h.source;
    labels[`${META}exporter_address`] = exporterAddress;
    for (const [name, value] of Object.entries(h.labels)) labels[`${META}label_${name}`] = value;
    return { targets: [h.name], labels };
  });
}

/** The response body: `[]` with no hosts. */
export function serviceDiscoveryBody(hosts: readonly SdHost[], exporterAddress: string): string {
  return JSON.stringify(targetGroups(hosts, exporterAddress));
}

/** host, host:port, [v6] or [v6]:port, and nothing else: a Host header is client text. */
const AUTHORITY = /^(?:[A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/**
 * The address a client reached us at: its Host header when that is a plain authority, else the
 * socket's own address and port (an HTTP/1.0 client may send no Host).
 */
export function exporterAddress(hostHeader: string | undefined, localAddress: string | undefined, localPort: number | undefined): string {
  if (hostHeader !== undefined && AUTHORITY.test(hostHeader)) return hostHeader;
  const addr = localAddress ?? '';
  return `${addr.includes(':') ? `[${addr}]` : addr}:${localPort ?? ''}`;
}
