// Daemons whose answers are built to cost the exporter: an event line in 1-byte HTTP chunks,
// nested-array event lines, big and many container ids while the list always fails,
// /system/df with 60,000 mounts and one at the body cap. Each next to the good host, with the
// checks of every fault scenario (README.md): /healthz under 100 ms throughout, the good host
// whole in every scrape, peak RSS within 100 MB of the healthy scrapes.
import { BODY_CAPS } from '../../src/docker/engine-client.ts';
import type { ContainerInput } from '../support/stats-bodies.ts';
import { containerId } from './lib/checks.ts';
import { faultScenarios, hostDown, hostUp, type BadHost } from './lib/scenario.ts';

function containers(host: string): ContainerInput[] {
  return ['a', 'b'].map((c) => ({ name: `${host}-${c}`, state: 'running' }));
}

function host(name: string, faults: BadHost['faults'], up = true): BadHost {
  return { name, containers: containers(name), faults, expect: [up ? hostUp(name) : hostDown(name)] };
}

/** One container of `host` mounting `n` distinct volumes: 2.1 MiB at 60,000. */
function mountsBody(host: string, n: number): string {
  const mounts = Array.from({ length: n }, (_, i) => ({ Type: 'volume', Name: `vol-${i}`, Source: `/var/lib/docker/volumes/vol-${i}/_data`, Destination: `/m/${i}`, Driver: 'local', RW: true }));
  return `${JSON.stringify({ LayersSize: 1, Images: [], Containers: [{ Id: containerId(`${host}-a`), State: 'running', SizeRw: 1, Mounts: mounts }], Volumes: [], BuildCache: [] })}\n`;
}

// Walks every second: the df faults are read several times while the faults are on. The
// warm-up outlasts the first interval, so the good host's disk series are in the reference.
const DF = { disk_interval: '1s' };
const DF_WARM_MS = 1500;
// Longer than the other scenarios: an event stream is cut and reopened under them (backoff
// from 1 s), and a df body at the cap takes a walk ~5 s to arrive from the fake.
const EVENT_MS = 5000;
const DF_CAP_MS = 8000;

faultScenarios([
  {
    title: 'an event line of 600 KB in 1-byte HTTP chunks, again and again',
    faultMs: EVENT_MS,
    bad: [host('bytes', [{ kind: 'events', eventStream: { shape: 'byteChunks', lineBytes: 600_000 } }])],
    defects: { healthz: 'events: the follower rebuilt and searched the pending line at every chunk (quadratic)' },
  },
  {
    title: 'event lines of 1 MB nested arrays, again and again',
    faultMs: EVENT_MS,
    bad: [host('nested-ev', [{ kind: 'events', eventStream: { shape: 'nested', lineBytes: 1_000_000 } }])],
    defects: { healthz: 'events: each line JSON.parsed with no depth guard, and such lines never end the stream' },
  },
  {
    title: 'events of big and many container ids, and a list that always fails',
    faultMs: EVENT_MS,
    bad: [host('ids', [{ kind: 'list', status: 500 }, { kind: 'events', eventStream: { shape: 'ids', bigIdBytes: 1_000_000, bigIds: 60, distinctIds: 200_000 } }], false)],
    defects: { rss: 'events: ids of any length kept in the seen keys and the counts, which only a successful list prunes' },
  },
  {
    title: '/system/df with 60,000 mounts in one container',
    collection: DF,
    warmMs: DF_WARM_MS,
    faultMs: EVENT_MS,
    bad: [host('mounts', [{ kind: 'df', body: mountsBody('mounts', 60_000) }])],
    defects: { healthz: 'disk usage: names.includes() per mount is quadratic' },
  },
  {
    title: '/system/df at the body cap, of empty items',
    collection: DF,
    warmMs: DF_WARM_MS,
    faultMs: DF_CAP_MS,
    bad: [host('df-cap', [{ kind: 'df', repeatBody: { head: '{"Containers":[', unit: '{},', tail: '{}]}\n', bytes: BODY_CAPS.df } }])],
    defects: { rss: 'disk usage: the body is held and JSON.parsed whole', healthz: 'disk usage: the body is JSON.parsed whole on the main thread' },
  },
]);
