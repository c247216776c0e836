// What happened between scrapes: each host's event stream, counted (src/events/). A host whose
// stream is off has no snapshot.events and none of these series.
import { CONTAINER_EVENTS, EVENT_LIMITS, type ContainerEventCounts, type ContainerSnapshot, type EventsSnapshot, type HostSnapshot } from '../../model.ts';
import { labelBytes, nameBytes } from '../exposition.ts';
import { PAUSE_MASK, writePerHost, type FamilyDescriptor, type PerHostMetric } from '../family.ts';
import { hostLabels } from '../label-cache.ts';

const HOST_METRICS: readonly PerHostMetric<EventsSnapshot>[] = [
  { name: 'docker_events_connected', type: 'gauge', help: "Whether the host's Docker event stream is open (1) or not (0).", value: (e) => (e.connected ? 1 : 0) },
  { name: 'docker_events_reconnects_total', type: 'counter', help: "Times the host's Docker event stream was reopened after a drop.", value: (e) => e.reconnects },
  { name: 'docker_host_last_event_timestamp_seconds', type: 'gauge', help: "When the newest container event seen happened, unix seconds (the daemon's clock).", value: (e) => e.lastEventSeconds },
  { name: 'docker_host_container_oom_events_total', type: 'counter', help: 'OOM kills in the containers of the host, removed ones included (oom events less than 1 s apart count once).', value: (e) => e.hostOomKills },
];

const EVENT_LABELS = CONTAINER_EVENTS.map((e) => labelBytes(`event="${e}"`));
const EVENTS_TOTAL = nameBytes('container_events_total');
const OOM_KILLS = nameBytes('container_oom_events_total');
const LAST_EXIT_CODE = nameBytes('container_last_exit_code');

export const eventsFamily: FamilyDescriptor = {
  name: 'events',
  optional: true,
  labels: ['name', 'event', 'limit'],
  create({ labels }) {
    const set = labels.define((i) => [['name', i.name]]);
    return {
      *collect(hosts, out, render) {
        const followed = hosts.filter((h): h is HostSnapshot & { events: EventsSnapshot } => h.events !== undefined);
        const hl = followed.map(hostLabels);
        writePerHost(out, HOST_METRICS, followed.map((h) => h.events), hl);
        out.family('docker_host_container_events_total', 'counter', 'Container events of the host by kind, all containers, removed ones included.');
        followed.forEach((h, i) => {
          for (const e of CONTAINER_EVENTS) out.sample('docker_host_container_events_total', `${hl[i]},event="${e}"`, h.events.host[e]);
        });
        out.family('docker_events_limit_hits_total', 'counter', 'What a cap refused on the host\'s event stream: streams cut at a line over 1 MiB (line_bytes) or nested over 32 levels (line_depth), containers forgotten beyond 16384 counted (tracked_containers).');
        followed.forEach((h, i) => {
          for (const l of EVENT_LIMITS) out.sample('docker_events_limit_hits_total', `${hl[i]},limit="${l}"`, h.events.limitHits[l]);
        });

        const rows: [Buffer, ContainerEventCounts | undefined][] = [];
        for (const h of followed) {
          for (const c of h.containers ?? []) rows.push([render.of(h, c, set), countsOf(h.events, c)]);
        }
        out.family('container_events_total', 'counter', "The container's events by kind, as its daemon reported them; a series from its first event of that kind on.");
        for (let r = 0; r < rows.length; r++) {
          const [labels, counts] = rows[r]!;
          if (counts) {
            for (let k = 0; k < CONTAINER_EVENTS.length; k++) {
              const n = counts.events[CONTAINER_EVENTS[k]!];
              if (n > 0) out.sampleBytes(EVENTS_TOTAL, labels, n, EVENT_LABELS[k]);
            }
          }
          if ((r & PAUSE_MASK) === PAUSE_MASK) yield;
        }
        yield;
        out.family('container_oom_events_total', 'counter', 'OOM kills of the container (oom events less than 1 s apart count once); 0 for every listed container.');
        for (const [labels, counts] of rows) out.sampleBytes(OOM_KILLS, labels, counts?.oomKills ?? 0);
        yield;
        out.family('container_last_exit_code', 'gauge', "Exit code of the container's last die event; survives its restart.");
        for (const [labels, counts] of rows) out.sampleBytes(LAST_EXIT_CODE, labels, counts?.lastExitCode ?? NaN);
      },
    };
  },
};

function countsOf(events: EventsSnapshot, c: ContainerSnapshot): ContainerEventCounts | undefined {
  return events.containers.get(c.ident.id);
}
